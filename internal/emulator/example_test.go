package emulator_test

import (
	"fmt"

	"github.com/sensehat/sensehat/internal/emulator"
)

// The LEDs' 5-bit duties are linear light; a screen needs sRGB.
func ExampleSRGB() {
	for _, d := range []uint8{0, 4, 8, 16, 31} {
		r, _, _ := emulator.SRGB(d, 0, 0)
		fmt.Printf("duty %2d → %3d\n", d, r)
	}
	// Output:
	// duty  0 →   0
	// duty  4 → 101
	// duty  8 → 139
	// duty 16 → 190
	// duty 31 → 255
}

// A frame event is what the page receives for every change of the matrix.
func ExampleAppendFrameEvent() {
	var f emulator.Frame
	f[0] = 31 // red of the top-left LED at full duty
	ev := emulator.AppendFrameEvent(nil, &f)
	fmt.Printf("%q … %d bytes\n", ev[:23], len(ev))
	// Output:
	// "event: frame\ndata: 1f00" … 405 bytes
}
