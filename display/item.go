package display

import (
	"fmt"
	"image/color"
	"math"
	"time"
)

// Item is one thing the Player shows: a sequence of frames, each held for
// its own delay. Render and Delay are called from the player's loop only and
// must not allocate: they run once per frame.
type Item interface {
	// Steps is the number of frames; an item with none completes at once.
	Steps() int
	// Render draws frame step (0 ≤ step < Steps()) into dst.
	Render(dst *Frame, step int)
	// Delay is how long frame step stays on the matrix before the next one
	// (or the next item) replaces it.
	Delay(step int) time.Duration
	// String describes the item for Status.Showing: the text for a text.
	String() string
}

// TextItem is text scrolled (or, for one glyph, shown still) as NewScroll
// describes, leaving the matrix on the background colour.
func TextItem(text string, opts ScrollOpts) Item {
	return NewScroll(text, opts)
}

// DefaultFrameDelay is used for animation frames given no delay.
const DefaultFrameDelay = 100 * time.Millisecond

// Forever as the loops of AnimationItem plays the frames over and over
// until another item is waiting, as a GIF with loop count 0 asks (see
// AnimationItem).
const Forever = 0

type animation struct {
	frames  []*Frame
	delays  []time.Duration
	loops   int
	endless bool
	pass    time.Duration // one pass through the frames
}

// AnimationItem plays frames, each for its delay (delays[i] for frames[i];
// missing entries mean DefaultFrameDelay), loops times. With loops Forever
// (or less) it plays one whole pass, then goes on looping only while no
// other item is waiting: at the end of the first frame that finds one, it
// ends, as displayed. So it holds up the queue no longer than one pass, as
// a one-pass animation would. The frames are copied, so the caller may
// reuse them. A single frame with delay 0 is a still picture: it stays on
// the matrix until the next item whatever loops says. Nil frames are shown
// black.
func AnimationItem(frames []*Frame, delays []time.Duration, loops int) Item {
	a := &animation{
		frames: make([]*Frame, len(frames)),
		delays: make([]time.Duration, len(frames)),
		loops:  max(loops, 1),
	}
	for i, f := range frames {
		a.frames[i] = NewFrame()
		if f != nil {
			a.frames[i].CopyFrom(f)
		}
		a.delays[i] = DefaultFrameDelay
		if i < len(delays) {
			a.delays[i] = max(delays[i], 0)
		}
		a.pass += a.delays[i]
	}
	// Frames that take no time would make an endless loop spin: they are
	// shown once, and the last stays, as a still picture does.
	a.endless = loops <= Forever && a.pass > 0
	return a
}

// Steps is the number of frames of all passes; for an endless animation it
// is math.MaxInt, which a loop of frames of at least a nanosecond each does
// not reach in this millennium.
func (a *animation) Steps() int {
	if a.endless {
		return math.MaxInt
	}
	return len(a.frames) * a.loops
}

func (a *animation) Render(dst *Frame, step int) {
	dst.CopyFrom(a.frames[step%len(a.frames)])
}

func (a *animation) Delay(step int) time.Duration {
	return a.delays[step%len(a.delays)]
}

// Duration is how long the animation holds the matrix: every pass, or one
// pass for an endless animation, which gives way to a waiting item after
// that.
func (a *animation) Duration() time.Duration {
	if a.endless {
		return a.pass
	}
	if a.pass > math.MaxInt64/time.Duration(a.loops) {
		return math.MaxInt64 // longer than any limit; do not wrap round
	}
	return a.pass * time.Duration(a.loops)
}

func (a *animation) yieldAfter() int {
	if a.endless {
		return len(a.frames)
	}
	return 0
}

func (a *animation) String() string {
	if len(a.frames) == 1 {
		return "(picture)"
	}
	return fmt.Sprintf("(animation, %d frames)", len(a.frames))
}

type clearItem color.RGBA

// ClearItem paints the whole matrix c and completes at once.
func ClearItem(c color.RGBA) Item { return clearItem(c) }

func (c clearItem) Steps() int               { return 1 }
func (c clearItem) Render(dst *Frame, _ int) { dst.Fill(color.RGBA(c)) }
func (c clearItem) Delay(int) time.Duration  { return 0 }
func (c clearItem) String() string           { return "(clear " + FormatColor(color.RGBA(c)) + ")" }
func (c clearItem) Duration() time.Duration  { return 0 }

// FillOf returns the colour of an item made by ClearItem, which paints
// the whole matrix one colour.
func FillOf(it Item) (color.RGBA, bool) {
	c, ok := it.(clearItem)
	return color.RGBA(c), ok
}

// TextOf returns the text of an item made by TextItem or NewScroll.
func TextOf(it Item) (string, bool) {
	s, ok := it.(*Scroll)
	if !ok {
		return "", false
	}
	return s.text, true
}
