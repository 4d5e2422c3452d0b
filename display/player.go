package display

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/sensehat/sensehat/internal/echo"
	"github.com/sensehat/sensehat/internal/wire"
)

// The errors below carry the contract's codes (wire.Error) from where they
// start, so the service answers them without looking at their text.

// ErrQueueFull is returned (wrapped) by Submit when the queue is full;
// nothing already queued is dropped. Its code is wire.Busy: the same
// request may succeed later.
var ErrQueueFull = wire.NewError(wire.Busy, "display: queue full")

// ErrStopped is returned (wrapped) by Submit once Run has returned.
var ErrStopped = errors.New("display: player stopped")

// ErrInvalidConfig is wrapped by every error from NewPlayer and SetConfig
// about a bad setting. Its code is wire.Invalid.
var ErrInvalidConfig = wire.NewError(wire.Invalid, "display: invalid setting")

// ErrTooLong is returned (wrapped) by Submit for an item that would hold
// the matrix longer than MaxItemDuration. Its code is wire.Invalid: the
// request must be made shorter.
var ErrTooLong = wire.NewError(wire.Invalid, "display: item plays too long")

// MaxItemDuration is the longest one item may hold the matrix, all its
// passes together: ten minutes is a long text read to the end. It also
// bounds the queue as a whole: what is left of the item showing plus every
// item waiting may hold the matrix no longer than this, so whoever sends
// next waits at most ten minutes, however many senders queued before. An
// endless animation counts one pass: after that it gives way as soon as
// another item is waiting.
const MaxItemDuration = 10 * time.Minute

// Durationer is implemented by items that know up front how long they play
// (TextItem, AnimationItem, ClearItem); Submit refuses those longer than
// MaxItemDuration.
type Durationer interface {
	Duration() time.Duration
}

// yielder is implemented by items that may end early for a waiting item:
// once yieldAfter() steps (more than 0) have been shown in full, the item
// ends, as displayed, at the next step due while the queue is not empty.
type yielder interface {
	yieldAfter() int
}

// DefaultQueueSize is PlayerOpts.QueueSize when left at zero.
const DefaultQueueSize = 16

// idleTick is PlayerOpts.IdleTick when left at zero, and how soon a frame
// the device refused is tried again.
const idleTick = time.Second

// Reasons reported in Result.Reason for items not displayed to the end.
const (
	ReasonReplaced = "replaced"
	ReasonStopped  = "stopped"
)

// Mode says how Submit treats what is already queued.
type Mode int

const (
	// Queue appends the item after everything queued.
	Queue Mode = iota
	// Replace drops everything queued and interrupts the item showing.
	Replace
)

// LowLightSetter is implemented by devices that can dim themselves the way
// the hardware intends (the framebuffer's low-light gamma table). Other
// devices are dimmed in software.
type LowLightSetter interface {
	SetLowLight(on bool) error
}

// PlayerOpts configure a Player. The zero value is usable.
type PlayerOpts struct {
	// QueueSize bounds the items waiting; DefaultQueueSize if 0 or less.
	QueueSize int
	// Orientation of the matrix at start.
	Orientation Orientation
	// Brightness 0..1 at start; 0 means 1 (full), as the zero value should.
	Brightness float64
	// LowLight at start.
	LowLight bool
	// Clock defaults to RealClock.
	Clock Clock
	// IdleTick bounds how long the loop sleeps with nothing to show, so
	// Heartbeat moves at least this often: a watchdog that judges the loop
	// by it needs one second (the default, for zero). Without one, a long
	// tick saves the idle wake-ups; a refused frame is still retried after
	// a second.
	IdleTick time.Duration
	// OnFrame, if set, is called from the player's loop after each frame
	// the device accepted (for a web emulator). It must return quickly and
	// must not retain the frame: the player reuses it.
	OnFrame func(*Frame)
	// OnItem, if set, is called from the player's loop when an item
	// starts showing (what the matrix shows, rather than what was asked
	// for: a queued item may be replaced before it shows). It must return
	// quickly.
	OnItem func(Item)
}

// Config changes the player's settings while it runs; nil fields are left
// as they are. Changes show on the next frame, and at once on a still
// picture.
type Config struct {
	Rotation   *int
	LowLight   *bool
	FlipH      *bool
	FlipV      *bool
	Brightness *float64
}

// Status is a snapshot of the player for status replies.
type Status struct {
	QueueLen      int
	Showing       string // the item showing, "" when idle
	Orientation   Orientation
	LowLight      bool
	Brightness    float64
	FramesSent    uint64
	FramesSkipped uint64 // identical to the frame before, not re-sent
	DeviceErrors  uint64
	LastError     string
	LastFrame     time.Time
}

// settings are what Config changes.
type settings struct {
	orient     Orientation
	lowLight   bool
	brightness float64
}

type entry struct {
	item     Item
	ticket   *Ticket
	start    time.Time
	dur      time.Duration // what Durationer says, 0 for other items
	finished bool
}

// Player owns the matrix: a queue of items and the one loop (Run) that
// renders them and sends the frames to the Device. Every method but Run is
// safe to call from any goroutine and never blocks on the device.
type Player struct {
	idleTick  time.Duration
	dev       Device
	lowSetter LowLightSetter
	clock     Clock
	onFrame   func(*Frame)
	onItem    func(Item)
	queueSize int
	wake      chan struct{}

	mu        sync.Mutex
	queue     []*entry
	cur       *entry
	set       settings
	cfgDirty  bool
	nextID    uint64
	running   bool
	stopped   bool
	heartbeat time.Time
	last      *Frame // last frame the device accepted
	sent      uint64
	skipped   uint64
	devErrs   uint64
	lastErr   string
	lastFrame time.Time

	// Test hooks. Tests with a fake clock must not move it while the loop
	// is awake, or a Reset computed from the old time loses the deadline:
	// beforeSleep is called by Run before each wait, onWakeUp before a
	// wake-up is sent and afterWake once Run has taken one.
	beforeSleep func()
	onWakeUp    func()
	afterWake   func()

	// Loop state, touched by Run only.
	cur0       *entry // the loop's view of cur
	step       int
	due        time.Time
	raw, out   *Frame
	needSend   bool // the device has not got the current out frame
	appliedLow bool
	lowFailed  bool
}

// NewPlayer returns a player for dev; nothing is shown until Run.
func NewPlayer(dev Device, opts PlayerOpts) (*Player, error) {
	if dev == nil {
		return nil, errors.New("display: NewPlayer needs a device (use a none device to show nothing)")
	}
	if err := opts.Orientation.Valid(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	b := opts.Brightness
	if b == 0 {
		b = 1
	}
	if err := checkBrightness(b); err != nil {
		return nil, err
	}
	p := &Player{
		dev:       dev,
		clock:     opts.Clock,
		onFrame:   opts.OnFrame,
		onItem:    opts.OnItem,
		queueSize: opts.QueueSize,
		wake:      make(chan struct{}, 1),
		set:       settings{orient: opts.Orientation, lowLight: opts.LowLight, brightness: b},
		last:      NewFrame(),
		raw:       NewFrame(),
		out:       NewFrame(),
		needSend:  true, // blank whatever a previous run left on the matrix
	}
	p.lowSetter, _ = dev.(LowLightSetter)
	if p.clock == nil {
		p.clock = RealClock
	}
	if p.queueSize <= 0 {
		p.queueSize = DefaultQueueSize
	}
	p.idleTick = opts.IdleTick
	if p.idleTick <= 0 {
		p.idleTick = idleTick
	}
	p.queue = make([]*entry, 0, p.queueSize)
	return p, nil
}

func checkBrightness(b float64) error {
	if math.IsNaN(b) || b < 0 || b > 1 {
		return fmt.Errorf("%w: brightness %v; use a number from 0 to 1", ErrInvalidConfig, b)
	}
	return nil
}

// String names the device driven.
func (p *Player) String() string { return "player(" + p.dev.String() + ")" }

// Submit hands an item to the player without waiting. With Queue it waits
// behind the others, or fails with ErrQueueFull; with Replace everything
// queued completes as ReasonReplaced, the item showing is interrupted
// within a frame, and it goes first. An item that says it plays longer than
// MaxItemDuration (see Durationer) fails with ErrTooLong, and nothing
// queued or showing is touched. With Queue, an item that would make the
// rest of the item showing plus everything waiting hold the matrix longer
// than MaxItemDuration fails with ErrQueueFull too, saying how long the
// queue already holds it.
func (p *Player) Submit(it Item, mode Mode) (*Ticket, error) {
	if it == nil {
		return nil, errors.New("display: Submit of a nil item")
	}
	if mode != Queue && mode != Replace {
		return nil, fmt.Errorf("display: unknown mode %d; use Queue or Replace", mode)
	}
	if d, ok := it.(Durationer); ok && d.Duration() > MaxItemDuration {
		return nil, fmt.Errorf("%w: %s would play for %s; one item may hold the matrix for at most %s",
			ErrTooLong, describe(it), d.Duration().Round(time.Second), MaxItemDuration)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil, fmt.Errorf("%w: the display is shutting down", ErrStopped)
	}
	if mode == Replace {
		now := p.clock.Now()
		for _, e := range p.queue {
			p.finishLocked(e, false, ReasonReplaced, 0)
		}
		clear(p.queue)
		p.queue = p.queue[:0]
		if p.cur != nil {
			p.finishLocked(p.cur, false, ReasonReplaced, now.Sub(p.cur.start))
		}
	} else if len(p.queue) >= p.queueSize {
		return nil, fmt.Errorf("%w: %d items waiting; try again when one has been shown, or use mode replace", ErrQueueFull, len(p.queue))
	}
	dur := itemDuration(it)
	if mode == Queue {
		if err := p.checkHoldLocked(it, dur); err != nil {
			return nil, err
		}
	}
	p.nextID++
	e := &entry{item: it, dur: dur, ticket: &Ticket{id: p.nextID, done: make(chan struct{})}}
	p.queue = append(p.queue, e)
	p.wakeUp()
	return e.ticket, nil
}

// itemDuration is how long it says it holds the matrix; an item that does
// not say counts nothing.
func itemDuration(it Item) time.Duration {
	if d, ok := it.(Durationer); ok {
		return max(d.Duration(), 0)
	}
	return 0
}

// holdLocked is how long the queue holds the matrix from now: what is left
// of the item showing plus every item waiting. p.mu must be held.
func (p *Player) holdLocked(now time.Time) time.Duration {
	var d time.Duration
	if c := p.cur; c != nil && !c.finished {
		d = max(c.dur-now.Sub(c.start), 0)
	}
	for _, e := range p.queue {
		d += e.dur
	}
	return d
}

// checkHoldLocked refuses it, which plays for dur, when queueing it would
// hold the matrix past MaxItemDuration in all. p.mu must be held.
func (p *Player) checkHoldLocked(it Item, dur time.Duration) error {
	held := p.holdLocked(p.clock.Now())
	if held+dur <= MaxItemDuration {
		return nil
	}
	// Whole seconds, rounded up, so that trying again after the wait
	// succeeds if nothing else was queued meanwhile.
	wait := (held + dur - MaxItemDuration + time.Second - 1).Truncate(time.Second)
	return fmt.Errorf("%w: what is showing and the %d item(s) waiting already hold the matrix for %s, and %s plays for %s; "+
		"the queue may hold it for at most %s in all: try again in %s, or use mode replace",
		ErrQueueFull, len(p.queue), held.Round(time.Second), describe(it), dur.Round(time.Second), MaxItemDuration, wait)
}

func (p *Player) wakeUp() {
	if p.onWakeUp != nil {
		p.onWakeUp()
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// describe names an item in an error message, keeping a long text short.
func describe(it Item) string {
	if ti, ok := it.(*Scroll); ok {
		return "text " + echo.Quote(ti.Text())
	}
	return it.String()
}

// finishLocked completes e's ticket once; p.mu must be held.
func (p *Player) finishLocked(e *entry, displayed bool, reason string, d time.Duration) {
	if e.finished {
		return
	}
	e.finished = true
	e.ticket.res = Result{Displayed: displayed, Reason: reason, Duration: d, ID: e.ticket.id}
	close(e.ticket.done)
}

// SetConfig changes orientation, brightness or low light; all fields are
// checked before any is applied.
func (p *Player) SetConfig(c Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.set
	if c.Rotation != nil {
		s.orient.Rotation = *c.Rotation
		if err := s.orient.Valid(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
	}
	if c.FlipH != nil {
		s.orient.FlipH = *c.FlipH
	}
	if c.FlipV != nil {
		s.orient.FlipV = *c.FlipV
	}
	if c.LowLight != nil {
		s.lowLight = *c.LowLight
	}
	if c.Brightness != nil {
		if err := checkBrightness(*c.Brightness); err != nil {
			return err
		}
		s.brightness = *c.Brightness
	}
	p.set = s
	p.cfgDirty = true
	p.wakeUp()
	return nil
}

// Status returns counters and settings.
func (p *Player) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Status{
		QueueLen:      len(p.queue),
		Orientation:   p.set.orient,
		LowLight:      p.set.lowLight,
		Brightness:    p.set.brightness,
		FramesSent:    p.sent,
		FramesSkipped: p.skipped,
		DeviceErrors:  p.devErrs,
		LastError:     p.lastErr,
		LastFrame:     p.lastFrame,
	}
	if p.cur != nil && !p.cur.finished {
		st.Showing = p.cur.item.String()
	}
	return st
}

// Heartbeat returns when the loop last went round; it moves at least once a
// second while Run is healthy, whatever is showing.
func (p *Player) Heartbeat() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.heartbeat
}

// Snapshot copies the last frame the device accepted into dst.
func (p *Player) Snapshot(dst *Frame) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dst.CopyFrom(p.last)
}
