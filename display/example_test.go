package display_test

import (
	"fmt"
	"image/color"
	"strings"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/font"
)

// show prints a frame, '#' for lit pixels.
func show(f *display.Frame) {
	for y := range display.Size {
		var b strings.Builder
		for x := range display.Size {
			if f.RGBAt(x, y) != (color.RGBA{0, 0, 0, 255}) {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		fmt.Println(b.String())
	}
}

func ExampleRenderText() {
	f := display.NewFrame()
	white := color.RGBA{255, 255, 255, 255}
	black := color.RGBA{0, 0, 0, 255}
	// Offset -1: the text has entered by 7 columns.
	display.RenderText(f, font.Default(), "Hi", -1, white, black)
	show(f)
	// Output:
	// .#..#.#.
	// .#..#...
	// .#..#.#.
	// .####.#.
	// .#..#.#.
	// .#..#.#.
	// .#..#.#.
	// ........
}

func ExampleTransform() {
	src, dst := display.NewFrame(), display.NewFrame()
	src.SetRGB(0, 0, 255, 0, 0)
	display.Transform(dst, src, display.Orientation{Rotation: 90})
	show(dst)
	// Output:
	// .......#
	// ........
	// ........
	// ........
	// ........
	// ........
	// ........
	// ........
}

func ExampleNewScroll() {
	s := display.NewScroll("A", display.ScrollOpts{})
	fmt.Println(s.Still(), s.Steps(), s.Interval())
	s = display.NewScroll("Hello", display.ScrollOpts{Speed: 20, Repeat: 2})
	fmt.Println(s.Still(), s.Steps() == 2*(font.Default().TextWidth("Hello")+8)+1, s.Interval())
	// Output:
	// true 2 1s
	// false true 50ms
}
