package font_test

import (
	"fmt"

	"github.com/sensehat/sensehat/font"
)

// Each uint8 of a glyph is one column, bit y lighting row y from the top.
func ExampleFont_Glyph() {
	cols := font.Default().Glyph('é')
	for y := 0; y < font.Height; y++ {
		for _, c := range cols {
			if c&(1<<y) != 0 {
				fmt.Print("#")
			} else {
				fmt.Print(".")
			}
		}
		fmt.Println()
	}
	// Output:
	// ..#.
	// .#..
	// .##.
	// #..#
	// ####
	// #...
	// .###
	// ....
}

// A scroller needs the width of the whole text to know when it has gone by.
func ExampleFont_TextWidth() {
	f := font.Default()
	fmt.Println(f.TextWidth("Hi"), f.TextWidth("20 °C"), f.TextWidth(""))
	// Output:
	// 6 21 0
}

// Runes the font lacks show as a hollow box, never as '?'.
func ExampleFont_Has() {
	f := font.Default()
	fmt.Println(f.Has('ß'), f.Has('€'), f.Has('中'), len(f.Glyph('中')))
	// Output:
	// true true false 5
}
