package none

import (
	"testing"

	"github.com/sensehat/sensehat/display"
)

func TestDiscardsAndCounts(t *testing.T) {
	d := New()
	f := display.NewFrame()
	for i := 0; i < 3; i++ {
		if err := d.Show(f); err != nil {
			t.Fatal(err)
		}
	}
	if d.Frames() != 3 {
		t.Fatalf("Frames() = %d, want 3", d.Frames())
	}
	if d.String() != "none" || d.Halt() != nil {
		t.Fatal("String/Halt")
	}
}
