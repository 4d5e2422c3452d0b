package display

import (
	"image/color"
	"time"
	"unicode/utf8"

	"github.com/sensehat/sensehat/font"
)

// DefaultSpeed is the scroll speed in columns per second when ScrollOpts
// leaves it at zero: readable, and about what the original Python library
// did with its 0.1 s per column.
const DefaultSpeed = 10

// MaxSpeed bounds ScrollOpts.Speed: beyond this the frame rate outruns what
// the framebuffer driver (about 100 frames/s) can show.
const MaxSpeed = 100

// StillHold is how long one pass of a one-glyph text stays on the matrix.
const StillHold = time.Second

// RenderText draws the 8-column window of text whose leftmost column is text
// column offset: column 0 is the first column of the first glyph, glyphs
// are separated by font.Spacing blank columns, and a negative offset leaves
// blank columns on the left (the text entering from the right). Lit pixels
// get fg, the rest bg. It does not allocate.
func RenderText(dst *Frame, fnt *font.Font, text string, offset int, fg, bg color.RGBA) {
	dst.Fill(bg)
	end := offset + Size
	start := 0 // text column of the current glyph's first column
	for _, r := range text {
		if start >= end {
			break
		}
		g := fnt.Glyph(r)
		if start+len(g) > offset {
			for i, mask := range g {
				x := start + i - offset
				if x < 0 {
					continue
				}
				if x >= Size {
					break
				}
				for y := range font.Height {
					if mask&(1<<y) != 0 {
						p := dst.Pix[y*dst.Stride+x*3 : y*dst.Stride+x*3+3 : y*dst.Stride+x*3+3]
						p[0], p[1], p[2] = fg.R, fg.G, fg.B
					}
				}
			}
		}
		start += len(g) + font.Spacing
	}
}

// ScrollOpts are the options of a scrolled text. The zero value is white on
// black, DefaultSpeed, one pass, the default font.
type ScrollOpts struct {
	// Font defaults to font.Default().
	Font *font.Font
	// Fg is the text colour; the zero value (transparent) means white.
	Fg color.RGBA
	// Bg is the background colour; the zero value is black.
	Bg color.RGBA
	// Speed is in columns per second, DefaultSpeed if 0 or less, at most
	// MaxSpeed.
	Speed float64
	// Repeat is the number of passes, 1 if 0 or less.
	Repeat int
}

// Scroll is a text broken into the steps of its scroll: a pure function of
// step number to frame, so it can be tested without time or hardware.
//
// A text is scrolled from just off the right edge (offset -8) until its
// last column has left the left edge, once per pass; one final step shows
// the plain background so the matrix is left blank. A text of one glyph
// that fits the matrix is not scrolled: it is shown still and centred for
// StillHold per pass, then the background.
type Scroll struct {
	text     string
	fnt      *font.Font
	fg, bg   color.RGBA
	width    int // text width in columns
	still    bool
	x0       int // left column of a still glyph
	repeat   int
	steps    int
	interval time.Duration
}

// NewScroll prepares text for scrolling with opts.
func NewScroll(text string, opts ScrollOpts) *Scroll {
	s := newScroll(text, opts)
	return &s
}

// ScrollDuration is NewScroll(text, opts).Duration() without allocating:
// how long the text will take on the matrix, for checking a request before
// it is queued.
func ScrollDuration(text string, opts ScrollOpts) time.Duration {
	s := newScroll(text, opts)
	return s.Duration()
}

func newScroll(text string, opts ScrollOpts) Scroll {
	s := Scroll{text: text, fnt: opts.Font, fg: opts.Fg, bg: opts.Bg, repeat: opts.Repeat}
	if s.fnt == nil {
		s.fnt = font.Default()
	}
	if s.fg == (color.RGBA{}) {
		s.fg = color.RGBA{0xff, 0xff, 0xff, 0xff}
	}
	if s.repeat < 1 {
		s.repeat = 1
	}
	speed := opts.Speed
	switch {
	case !(speed > 0): // also NaN
		speed = DefaultSpeed
	case speed > MaxSpeed:
		speed = MaxSpeed
	}
	s.width = s.fnt.TextWidth(text)
	switch {
	case text == "":
		s.steps = 1
		s.interval = time.Duration(float64(time.Second) / speed)
	// The width first: counting the runes of a long text is a pass
	// over it, and a text wider than the matrix is never shown still.
	case s.width <= Size && utf8.RuneCountInString(text) == 1:
		s.still = true
		s.x0 = (Size - s.width) / 2
		s.steps = s.repeat + 1
		s.interval = StillHold
	default:
		s.steps = s.repeat*(s.width+Size) + 1
		s.interval = time.Duration(float64(time.Second) / speed)
	}
	return s
}

// Text returns the text being scrolled.
func (s *Scroll) Text() string { return s.text }

// String returns the text, for status reports.
func (s *Scroll) String() string { return s.text }

// Still reports whether the text is shown still rather than scrolled.
func (s *Scroll) Still() bool { return s.still }

// Steps returns the number of frames: Repeat*(width+8)+1 for a scroll,
// Repeat+1 for a still glyph, 1 for an empty text.
func (s *Scroll) Steps() int { return s.steps }

// Interval is how long each step but the last stays on the matrix.
func (s *Scroll) Interval() time.Duration { return s.interval }

// Delay is how long step stays on the matrix: Interval, except for the last
// (blank) step, which ends the item at once.
func (s *Scroll) Delay(step int) time.Duration {
	if step >= s.steps-1 {
		return 0
	}
	return s.interval
}

// Duration is the total time the text takes on the matrix.
func (s *Scroll) Duration() time.Duration {
	return time.Duration(s.steps-1) * s.interval
}

// Render draws step (0 ≤ step < Steps()) into dst; any other step draws the
// background.
func (s *Scroll) Render(dst *Frame, step int) {
	if step < 0 || step >= s.steps-1 {
		dst.Fill(s.bg)
		return
	}
	if s.still {
		RenderText(dst, s.fnt, s.text, -s.x0, s.fg, s.bg)
		return
	}
	RenderText(dst, s.fnt, s.text, step%(s.width+Size)-Size, s.fg, s.bg)
}
