package display

import (
	"image/color"
	"testing"
	"time"

	"github.com/sensehat/sensehat/font"
)

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
	red   = color.RGBA{255, 0, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
)

// textColumns lays text out as one wide strip of column masks, the obvious
// way: every glyph's columns, then font.Spacing blank columns between
// glyphs. RenderText must agree with windows cut from this strip.
func textColumns(fnt *font.Font, text string) []uint8 {
	var cols []uint8
	first := true
	for _, r := range text {
		if !first {
			for range font.Spacing {
				cols = append(cols, 0)
			}
		}
		first = false
		cols = append(cols, fnt.Glyph(r)...)
	}
	return cols
}

// windowFrame draws columns[offset:offset+8] of a strip, blank outside it.
func windowFrame(cols []uint8, offset int, fg, bg color.RGBA) *Frame {
	f := NewFrame()
	f.Fill(bg)
	for x := range Size {
		c := offset + x
		if c < 0 || c >= len(cols) {
			continue
		}
		for y := range Size {
			if cols[c]&(1<<y) != 0 {
				f.SetRGB(x, y, fg.R, fg.G, fg.B)
			}
		}
	}
	return f
}

// columnMask reads column x of f back as a mask of pixels equal to fg.
func columnMask(f *Frame, x int, fg color.RGBA) uint8 {
	var m uint8
	for y := range Size {
		if f.RGBAt(x, y) == fg {
			m |= 1 << y
		}
	}
	return m
}

func TestRenderTextHi(t *testing.T) {
	fnt := font.Default()
	h, i := fnt.Glyph('H'), fnt.Glyph('i')
	width := fnt.TextWidth("Hi")
	if width != len(h)+font.Spacing+len(i) {
		t.Fatalf("TextWidth(Hi) = %d, want %d", width, len(h)+font.Spacing+len(i))
	}
	cols := textColumns(fnt, "Hi")
	for _, off := range []int{-9, -8, -7, -1, 0, 1, 3, len(h), width - 1, width, width + 5} {
		got := NewFrame()
		got.Fill(color.RGBA{9, 9, 9, 255}) // must be fully overwritten
		RenderText(got, fnt, "Hi", off, red, blue)
		want := windowFrame(cols, off, red, blue)
		if !got.Equal(want) {
			t.Errorf("offset %d:\n%s\nwant\n%s", off, frameString(got), frameString(want))
		}
	}

	// Pin the geometry directly too, independent of the reference strip.
	f := NewFrame()
	RenderText(f, fnt, "Hi", -8, white, black)
	if !f.Equal(NewFrame()) {
		t.Errorf("offset -8 is not blank:\n%s", frameString(f))
	}
	RenderText(f, fnt, "Hi", -1, white, black)
	if m := columnMask(f, 0, white); m != 0 {
		t.Errorf("offset -1: column 0 = %08b, want blank", m)
	}
	if m := columnMask(f, 1, white); m != h[0] {
		t.Errorf("offset -1: column 1 = %08b, want H's first column %08b", m, h[0])
	}
	RenderText(f, fnt, "Hi", 0, white, black)
	for x := range len(h) {
		if m := columnMask(f, x, white); m != h[x] {
			t.Errorf("offset 0: column %d = %08b, want %08b", x, m, h[x])
		}
	}
	if m := columnMask(f, len(h), white); m != 0 {
		t.Errorf("offset 0: spacing column %d = %08b, want blank", len(h), m)
	}
	if m := columnMask(f, len(h)+1, white); m != i[0] {
		t.Errorf("offset 0: column %d = %08b, want i %08b", len(h)+1, m, i[0])
	}
	RenderText(f, fnt, "Hi", width-1, white, black)
	if m := columnMask(f, 0, white); m != i[len(i)-1] {
		t.Errorf("offset width-1: column 0 = %08b, want i's last column", m)
	}
	RenderText(f, fnt, "Hi", width, white, black)
	if !f.Equal(NewFrame()) {
		t.Errorf("offset width is not blank:\n%s", frameString(f))
	}
}

func TestRenderTextUnknownRuneIsBox(t *testing.T) {
	fnt := font.Default()
	// A rune no font has must still light something: the replacement box.
	f := NewFrame()
	RenderText(f, fnt, "\U0010FFFD", 0, white, black)
	if f.Equal(NewFrame()) {
		t.Error("unknown rune rendered blank, want a visible box")
	}
}

func TestScrollSteps(t *testing.T) {
	fnt := font.Default()
	w := fnt.TextWidth("Hello")
	tests := []struct {
		name     string
		text     string
		opts     ScrollOpts
		steps    int
		interval time.Duration
		still    bool
	}{
		{"defaults", "Hello", ScrollOpts{}, w + 8 + 1, 100 * time.Millisecond, false},
		{"speed 20", "Hello", ScrollOpts{Speed: 20}, w + 8 + 1, 50 * time.Millisecond, false},
		{"repeat 3", "Hello", ScrollOpts{Repeat: 3}, 3*(w+8) + 1, 100 * time.Millisecond, false},
		{"speed clamped", "Hello", ScrollOpts{Speed: 1e9}, w + 8 + 1, 10 * time.Millisecond, false},
		{"one glyph still", "A", ScrollOpts{}, 2, StillHold, true},
		{"one glyph repeat 2", "°", ScrollOpts{Repeat: 2}, 3, StillHold, true},
		{"two glyphs scroll", "AA", ScrollOpts{}, fnt.TextWidth("AA") + 8 + 1, 100 * time.Millisecond, false},
		{"empty", "", ScrollOpts{}, 1, 100 * time.Millisecond, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewScroll(tc.text, tc.opts)
			if s.Steps() != tc.steps || s.Interval() != tc.interval || s.Still() != tc.still {
				t.Errorf("Steps, Interval, Still = %d, %v, %v; want %d, %v, %v",
					s.Steps(), s.Interval(), s.Still(), tc.steps, tc.interval, tc.still)
			}
			if got := s.Delay(s.Steps() - 1); got != 0 {
				t.Errorf("last step delay = %v, want 0", got)
			}
			if s.Steps() > 1 && s.Delay(0) != tc.interval {
				t.Errorf("first step delay = %v, want %v", s.Delay(0), tc.interval)
			}
			if want := time.Duration(tc.steps-1) * tc.interval; s.Duration() != want {
				t.Errorf("Duration = %v, want %v", s.Duration(), want)
			}
		})
	}
}

func TestScrollRender(t *testing.T) {
	fnt := font.Default()
	s := NewScroll("Hi", ScrollOpts{Fg: red, Bg: blue, Repeat: 2})
	w := fnt.TextWidth("Hi")
	cols := textColumns(fnt, "Hi")
	pass := w + 8
	if s.Steps() != 2*pass+1 {
		t.Fatalf("Steps = %d, want %d", s.Steps(), 2*pass+1)
	}
	for step := range s.Steps() {
		off := step%pass - 8
		want := windowFrame(cols, off, red, blue)
		if step == s.Steps()-1 {
			want = windowFrame(nil, 0, red, blue)
		}
		got := NewFrame()
		s.Render(got, step)
		if !got.Equal(want) {
			t.Fatalf("step %d (offset %d):\n%s\nwant\n%s", step, off, frameString(got), frameString(want))
		}
	}
}

func TestScrollStillCentred(t *testing.T) {
	fnt := font.Default()
	g := fnt.Glyph('A')
	s := NewScroll("A", ScrollOpts{})
	x0 := (Size - len(g)) / 2
	f := NewFrame()
	s.Render(f, 0)
	for x := range Size {
		want := uint8(0)
		if x >= x0 && x < x0+len(g) {
			want = g[x-x0]
		}
		if m := columnMask(f, x, white); m != want {
			t.Errorf("column %d = %08b, want %08b\n%s", x, m, want, frameString(f))
		}
	}
	s.Render(f, 1) // final step: background
	if !f.Equal(NewFrame()) {
		t.Errorf("final still step not blank:\n%s", frameString(f))
	}
}

func TestRenderTextAllocs(t *testing.T) {
	fnt := font.Default()
	f := NewFrame()
	s := NewScroll("Grüße 20°C €", ScrollOpts{})
	n := testing.AllocsPerRun(100, func() {
		RenderText(f, fnt, "Grüße 20°C €", 3, white, black)
		s.Render(f, 7)
	})
	if n != 0 {
		t.Errorf("allocs = %v, want 0", n)
	}
}

func TestScrollDurationMatchesScroll(t *testing.T) {
	for _, tc := range []struct {
		text string
		opts ScrollOpts
	}{
		{"", ScrollOpts{}},
		{"A", ScrollOpts{Repeat: 3}},
		{"Hello", ScrollOpts{Speed: 1, Repeat: 100}},
		{"Grüße", ScrollOpts{Speed: 250}},
	} {
		if got, want := ScrollDuration(tc.text, tc.opts), NewScroll(tc.text, tc.opts).Duration(); got != want {
			t.Errorf("ScrollDuration(%q, %+v) = %v, Scroll says %v", tc.text, tc.opts, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { ScrollDuration("Hello, world", ScrollOpts{}) }); n != 0 {
		t.Errorf("ScrollDuration allocates %v times", n)
	}
}
