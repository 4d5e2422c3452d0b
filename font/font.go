package font

import "unicode/utf8"

//go:generate go run gen.go

// Height is the number of rows of every glyph (8: the whole matrix height).
const Height = 8

// Spacing is the blank columns between two glyphs.
const Spacing = 1

// glyphRange maps the runes low..high to the glyphs first.. in order.
type glyphRange struct {
	low, high rune
	first     uint16
}

// Font is a proportional bitmap font whose glyphs are columns of Height
// pixels. Like golang.org/x/image/font/basicfont it keeps every glyph in one
// mask and finds them through rune ranges; Latin-1 also has a direct index
// because nearly all text the matrix shows lives there. The zero Font has
// no glyphs, not even the box: get one from Default.
type Font struct {
	mask   []uint8      // all glyph columns, glyph after glyph
	bounds []uint16     // glyph i is mask[bounds[i]:bounds[i+1]]
	ranges []glyphRange // sorted by rune
	latin  [256]uint16  // glyph index + 1 of runes below 0x100; 0 = absent
	ascii  [128]uint8   // width of the glyph of each ASCII rune, box or not
	box    int          // glyph shown for absent runes
}

var defaultFont = newFont(defaultMask, defaultBounds, defaultRanges, defaultBox)

// Default returns the built-in font: printable ASCII, Latin-1, the euro
// sign, arrows and a few symbols. It is shared and read-only.
func Default() *Font { return defaultFont }

func newFont(mask []uint8, bounds []uint16, ranges []glyphRange, box int) *Font {
	f := &Font{mask: mask, bounds: bounds, ranges: ranges, box: box}
	for _, rg := range ranges {
		for r := rg.low; r <= rg.high && r < rune(len(f.latin)); r++ {
			f.latin[r] = rg.first + uint16(r-rg.low) + 1
		}
	}
	for r := range f.ascii {
		f.ascii[r] = uint8(len(f.Glyph(rune(r))))
	}
	return f
}

// index returns the glyph index of r, or -1 if the font lacks it.
func (f *Font) index(r rune) int {
	if uint32(r) < uint32(len(f.latin)) {
		return int(f.latin[r]) - 1
	}
	// A hand-written search: sort.Search's closure would cost an
	// allocation on a path that runs once per character per frame.
	lo, hi := 0, len(f.ranges)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch rg := f.ranges[m]; {
		case r < rg.low:
			hi = m
		case r > rg.high:
			lo = m + 1
		default:
			return int(rg.first) + int(r-rg.low)
		}
	}
	return -1
}

// Glyph returns the column masks of r, left to right: bit y (1<<y) set
// means the pixel at row y is lit, row 0 being the top. A rune the font
// lacks gets the replacement box, a hollow rectangle. The slice aliases the
// font's data: callers must not modify it. Glyph does not allocate.
func (f *Font) Glyph(r rune) []uint8 {
	i := f.index(r)
	if i < 0 {
		i = f.box
	}
	lo, hi := f.bounds[i], f.bounds[i+1]
	// Capped so that an append by a careless caller copies instead of
	// overwriting the next glyph.
	return f.mask[lo:hi:hi]
}

// Has reports whether the font has a glyph of its own for r, rather than
// the replacement box.
func (f *Font) Has(r rune) bool { return f.index(r) >= 0 }

// TextWidth returns the number of columns s takes when rendered: the sum of
// its glyph widths plus Spacing between neighbours (none after the last).
// Invalid UTF-8 counts as the replacement box. TextWidth does not allocate.
func (f *Font) TextWidth(s string) int {
	w, n := 0, 0
	for len(s) > 0 {
		// ASCII through its own table: TextWidth decides whether a
		// device takes a text, for every text of a flood
		// (BenchmarkTextWidth).
		if c := s[0]; c < utf8.RuneSelf {
			w += int(f.ascii[c])
			s = s[1:]
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		w += len(f.Glyph(r))
		n++
	}
	if n > 1 {
		w += (n - 1) * Spacing
	}
	return w
}
