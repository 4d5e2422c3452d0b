package display

import (
	"image/color"
	"testing"
)

func TestFormatColorRoundTrip(t *testing.T) {
	c := color.RGBA{0x12, 0xab, 0xf0, 0xff}
	s := FormatColor(c)
	if s != "#12abf0" {
		t.Fatalf("FormatColor = %q", s)
	}
}
