package font

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/sensehat/sensehat/font/internal/glyphs"
)

// picture draws cols as Height rows of '#' and '.', one line per row.
func picture(cols []uint8) string {
	var b strings.Builder
	for y := 0; y < Height; y++ {
		for _, c := range cols {
			if c&(1<<y) != 0 {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// runes lists every rune the font has its own glyph for.
func runes(f *Font) []rune {
	var rs []rune
	for _, rg := range f.ranges {
		for r := rg.low; r <= rg.high; r++ {
			rs = append(rs, r)
		}
	}
	return rs
}

// rows is the set of rows lit anywhere in cols, as a bit mask.
func rows(cols []uint8) uint8 {
	var m uint8
	for _, c := range cols {
		m |= c
	}
	return m
}

func TestDataUpToDate(t *testing.T) {
	src, err := os.Open("glyphs.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	gs, err := glyphs.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	want, err := glyphs.Generate(gs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("data.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("data.go does not match glyphs.txt: run go generate")
	}
	if n := len(runes(Default())); n != len(gs) {
		t.Fatalf("font has %d glyphs, glyphs.txt %d", n, len(gs))
	}
}

func TestGlyphShapes(t *testing.T) {
	f := Default()
	for _, r := range runes(f) {
		g := f.Glyph(r)
		if len(g) < 1 || len(g) > 7 {
			t.Errorf("U+%04X %q: width %d, want 1..7", r, r, len(g))
		}
		if unicode.IsSpace(r) {
			if rows(g) != 0 {
				t.Errorf("U+%04X: a space with lit pixels:\n%s", r, picture(g))
			}
			continue
		}
		// Spacing between glyphs is the renderer's job: a blank edge
		// column would double it.
		if g[0] == 0 || g[len(g)-1] == 0 {
			t.Errorf("U+%04X %q: blank edge column:\n%s", r, r, picture(g))
		}
	}
}

// TestVerticalMetrics pins the design in doc.go: capitals and digits on
// rows 0-6, lowercase x-height on rows 2-6, only descenders on row 7.
func TestVerticalMetrics(t *testing.T) {
	const (
		row0     = 1 << 0
		row2     = 1 << 2
		row6     = 1 << 6
		row7     = 1 << 7
		capRows  = 0x7f // rows 0-6
		xRows    = 0x7c // rows 2-6
		ascender = 0x03 // rows 0-1
	)
	f := Default()
	check := func(s string, want func(m uint8) bool, what string) {
		t.Helper()
		for _, r := range s {
			if m := rows(f.Glyph(r)); !want(m) {
				t.Errorf("%q uses rows %08b, want %s:\n%s", r, m, what, picture(f.Glyph(r)))
			}
		}
	}
	check("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", func(m uint8) bool { return m == capRows }, "exactly rows 0-6")
	check("acemnorsuvwxz", func(m uint8) bool { return m == xRows }, "exactly rows 2-6")
	check("bdhkl", func(m uint8) bool { return m == capRows }, "rows 0-6 (ascender)")
	check("gpqy", func(m uint8) bool { return m&row7 != 0 && m&row2 != 0 && m&ascender == 0 }, "x-height top and a descender")
	check("ÀÉÎÑÖÜÝ", func(m uint8) bool { return m&capRows == m && m&row0 != 0 && m&row6 != 0 }, "accent on row 0, body to row 6")
	check("àéîñöüý", func(m uint8) bool { return m&row0 != 0 }, "accent from row 0")
	check(".!?", func(m uint8) bool { return m&row6 != 0 && m&row7 == 0 }, "sitting on the baseline")
	check(",;", func(m uint8) bool { return m&row7 != 0 }, "reaching the descender row")
}

func TestLettersDistinct(t *testing.T) {
	f := Default()
	seen := map[string]rune{}
	for _, r := range runes(f) {
		if !unicode.IsLetter(r) {
			continue
		}
		p := picture(f.Glyph(r))
		if prev, ok := seen[p]; ok {
			t.Errorf("%q and %q share a bitmap:\n%s", prev, r, p)
		}
		seen[p] = r
	}
	if len(seen) < 2*26+60 {
		t.Errorf("only %d letters checked; the font should have more", len(seen))
	}
}

func TestCoverage(t *testing.T) {
	f := Default()
	var want []rune
	for r := rune(0x20); r <= 0x7e; r++ {
		want = append(want, r)
	}
	for r := rune(0xa0); r <= 0xff; r++ {
		want = append(want, r)
	}
	want = append(want, []rune("€←↑→↓•♥✓…‘’“”–—ŒœŠšŽžŸ\uFFFD")...)
	for _, r := range want {
		if !f.Has(r) {
			t.Errorf("Has(%q U+%04X) = false", r, r)
		}
	}
	for _, r := range []rune{0, '\n', 0x1f, 0x7f, 0x80, 0x9f, 0x100, 0x4e2d, 0x1f600, -1, unicode.MaxRune + 1} {
		if f.Has(r) {
			t.Errorf("Has(U+%04X) = true, want false", r)
		}
	}
}

// TestRangeEdges probes the rune just outside and at both ends of every
// range, where an off-by-one in the lookup would show.
func TestRangeEdges(t *testing.T) {
	f := Default()
	for i, rg := range f.ranges {
		if !f.Has(rg.low) || !f.Has(rg.high) {
			t.Errorf("range %U-%U: ends missing", rg.low, rg.high)
		}
		if i > 0 && f.ranges[i-1].high >= rg.low-1 {
			t.Errorf("ranges %d and %d touch or overlap; the generator should merge them", i-1, i)
		}
		if f.Has(rg.low-1) || f.Has(rg.high+1) {
			t.Errorf("range %U-%U: neighbour outside the range reported present", rg.low, rg.high)
		}
	}
	// The same glyph must come back whichever path finds it.
	if got, want := picture(f.Glyph('€')), picture(f.mask[f.bounds[f.index('€')]:f.bounds[f.index('€')+1]]); got != want {
		t.Errorf("Glyph('€') differs from its table entry")
	}
}

func TestReplacementBox(t *testing.T) {
	f := Default()
	box := picture(f.Glyph('\uFFFD'))
	const want = "" +
		"#####\n" +
		"#...#\n" +
		"#...#\n" +
		"#...#\n" +
		"#...#\n" +
		"#...#\n" +
		"#####\n" +
		".....\n"
	if box != want {
		t.Fatalf("replacement box:\n%s\nwant:\n%s", box, want)
	}
	for _, r := range []rune{0x4e2d, 0x1f600, 0x7f, 0x0a, -1, unicode.MaxRune + 1} {
		got := picture(f.Glyph(r))
		if got != box {
			t.Errorf("Glyph(U+%04X):\n%s\nwant the replacement box", r, got)
		}
		if got == picture(f.Glyph('?')) {
			t.Errorf("Glyph(U+%04X) is the '?' glyph", r)
		}
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		r    rune
		want string
	}{
		{'A', `
.##.
#..#
#..#
####
#..#
#..#
#..#
....`},
		{'g', `
....
....
.###
#..#
#..#
.###
...#
###.`},
		{'é', `
..#.
.#..
.##.
#..#
####
#...
.###
....`},
		{'É', `
..#.
.#..
####
#...
###.
#...
####
....`},
		{'€', `
..###
.#...
####.
.#...
####.
.#...
..###
.....`},
		{'°', `
.#.
#.#
.#.
...
...
...
...
...`},
		{'i', `
#
.
#
#
#
#
#
.`},
		{' ', `
..
..
..
..
..
..
..
..`},
	}
	f := Default()
	for _, tc := range tests {
		t.Run(string(tc.r), func(t *testing.T) {
			want := strings.TrimPrefix(tc.want, "\n") + "\n"
			if got := picture(f.Glyph(tc.r)); got != want {
				t.Errorf("Glyph(%q):\n%s\nwant:\n%s", tc.r, got, want)
			}
		})
	}
}

func TestGlyphMasks(t *testing.T) {
	// Bit y is row y: 'A' column 0 lights rows 1-6, column 1 rows 0 and 3.
	if got, want := Default().Glyph('A'), []uint8{0x7e, 0x09, 0x09, 0x7e}; !bytes.Equal(got, want) {
		t.Errorf("Glyph('A') = %#x, want %#x", got, want)
	}
}

func TestGlyphCapped(t *testing.T) {
	f := Default()
	a, b := f.Glyph('A'), picture(f.Glyph('B'))
	if cap(a) != len(a) {
		t.Fatalf("cap %d, len %d: an append would write into the next glyph", cap(a), len(a))
	}
	_ = append(a, 0xff)
	if got := picture(f.Glyph('B')); got != b {
		t.Errorf("append to Glyph('A') changed 'B'")
	}
}

func TestTextWidth(t *testing.T) {
	f := Default()
	w := func(r rune) int { return len(f.Glyph(r)) }
	box := w('\uFFFD')
	tests := []struct {
		name string
		s    string
		want int
	}{
		{"empty", "", 0},
		{"one", "H", w('H')},
		{"Hi", "Hi", w('H') + Spacing + w('i')},
		{"space", "a b", w('a') + w(' ') + w('b') + 2*Spacing},
		{"latin1", "ñé", w('ñ') + Spacing + w('é')},
		{"euro", "5€", w('5') + Spacing + w('€')},
		{"missing", "中", box},
		{"invalid utf8", "a\xffb", w('a') + box + w('b') + 2*Spacing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.TextWidth(tc.s); got != tc.want {
				t.Errorf("TextWidth(%q) = %d, want %d", tc.s, got, tc.want)
			}
		})
	}
	// Every ASCII rune, control characters (the box) included, through
	// the table TextWidth keeps for them.
	for r := rune(0); r < 0x80; r++ {
		if got := f.TextWidth(string(r) + string(r)); got != 2*w(r)+Spacing {
			t.Errorf("TextWidth(%q) = %d, want %d", string(r)+string(r), got, 2*w(r)+Spacing)
		}
	}
	// Pin real numbers too, so a width change in glyphs.txt is a
	// deliberate test change: H 4 + 1 + i 1.
	if got := f.TextWidth("Hi"); got != 6 {
		t.Errorf("TextWidth(\"Hi\") = %d, want 6", got)
	}
}

func TestNoAllocs(t *testing.T) {
	f := Default()
	var sink int
	tests := []struct {
		name string
		fn   func()
	}{
		{"Glyph ASCII", func() { sink += len(f.Glyph('A')) }},
		{"Glyph Latin-1", func() { sink += len(f.Glyph('é')) }},
		{"Glyph table", func() { sink += len(f.Glyph('€')) }},
		{"Glyph missing", func() { sink += len(f.Glyph(0x1f600)) }},
		{"Has", func() {
			if f.Has('→') {
				sink++
			}
		}},
		{"TextWidth", func() { sink += f.TextWidth("Grüße, 20 € → 中!") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tc.fn); n != 0 {
				t.Errorf("%v allocs per run, want 0", n)
			}
		})
	}
	_ = sink
}

var sinkLen int

func BenchmarkGlyph(b *testing.B) {
	f := Default()
	for _, bc := range []struct {
		name string
		r    rune
	}{
		{"ASCII", 'A'},
		{"Latin1", 'é'},
		{"Table", '€'},
		{"Missing", 0x4e2d},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkLen += len(f.Glyph(bc.r))
			}
		})
	}
}

func BenchmarkTextWidth(b *testing.B) {
	f := Default()
	const s = "Température 21.5 °C — humidité 43 % → ok ✓"
	b.ReportAllocs()
	for b.Loop() {
		sinkLen += f.TextWidth(s)
	}
}
