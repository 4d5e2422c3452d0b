// Package font is the proportional bitmap font the daemon scrolls across
// the 8x8 LED matrix.
//
// A glyph is a run of columns, each a uint8 whose bit y lights row y (row 0
// at the top), so it fills the full Height of the matrix. Widths vary from 1
// column (i, l, !) to 7 (©, ♥); scrolling text puts Spacing blank columns
// between glyphs.
//
// Vertical design, the same for every glyph:
//
//	rows 0-6  capitals and digits, cap height 7; the baseline is row 6
//	rows 2-6  lowercase letters (x-height 5); ascenders reach row 0
//	row  7    descenders of g j p q y and , ; whose bowls rise to rows 2-5
//	rows 0-1  accents: lowercase letters keep their body under them;
//	          capitals shrink to a 5-row body on rows 2-6 (É, Ö, Ñ), so
//	          every accented letter differs from its base and its siblings
//
// The font covers printable ASCII, all of Latin-1 (U+00A0-U+00FF), the euro
// sign, the arrows ← ↑ → ↓, typographic quotes and dashes, Œ œ Š š Ž ž Ÿ,
// and • … ♥ ✓. Any other rune shows as the replacement box, a hollow
// rectangle 5 columns by 7 rows that no character resembles: a missing
// glyph must look missing, never like a question mark or a letter.
//
// The glyphs are drawn as pictures in glyphs.txt and turned into data.go
// by gen.go (go generate); a test fails if data.go no longer matches the
// pictures. Lookups are allocation-free: Latin-1 through a direct index,
// other runes by binary search over the rune ranges.
package font
