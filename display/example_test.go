package display_test

import (
	"errors"
	"fmt"
	"image/color"
	"strings"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/font"
)

func ExampleParseColor() {
	for _, s := range []string{"orange", "#0af", "bleu"} {
		c, err := display.ParseColor(s)
		if err != nil {
			fmt.Println(err, errors.Is(err, display.ErrUnknownColor))
			continue
		}
		fmt.Println(s, c.R, c.G, c.B)
	}
	c, _ := display.ParseColorJSON([]byte("[255, 136, 0]"))
	fmt.Println(display.FormatColor(c))
	// Output:
	// orange 255 165 0
	// #0af 0 170 255
	// display: unknown colour "bleu"; use a name like red, #rrggbb, #rgb or [r,g,b] with 0..255 true
	// #ff8800
}

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
