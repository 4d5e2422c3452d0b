package display

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/sensehat/sensehat/font"
	"github.com/sensehat/sensehat/internal/echo"
)

// ErrQueueFull is returned (wrapped) by Submit when the queue is full;
// nothing already queued is dropped.
var ErrQueueFull = errors.New("display: queue full")

// ErrStopped is returned (wrapped) by Submit once Run has returned.
var ErrStopped = errors.New("display: player stopped")

// ErrInvalidConfig is wrapped by every error from NewPlayer and SetConfig
// about a bad setting.
var ErrInvalidConfig = errors.New("display: invalid setting")

// ErrTooLong is returned (wrapped) by Submit for an item that would hold
// the matrix longer than MaxItemDuration.
var ErrTooLong = errors.New("display: item plays too long")

// MaxItemDuration is the longest one item may hold the matrix, all its
// passes together: ten minutes is a long text read to the end, and caps how
// long the items queued behind it wait. An endless animation counts one
// pass: after that it gives way as soon as another item is waiting.
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

// idleTick bounds how long the loop sleeps, so Heartbeat moves at least
// once a second even with nothing to show: the systemd watchdog relies on it.
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

// Clock is the player's time source, replaceable in tests so no test has
// to sleep.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the player uses. Reset must discard a
// value not yet received, as time.Timer does since Go 1.23.
type Timer interface {
	C() <-chan time.Time
	Reset(d time.Duration) bool
	Stop() bool
}

// RealClock is the wall clock, the default.
var RealClock Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time                 { return time.Now() }
func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time        { return t.t.C }
func (t realTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }
func (t realTimer) Stop() bool                 { return t.t.Stop() }

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
	// Font is used by text items whose options name none.
	Font *font.Font
	// OnFrame, if set, is called from the player's loop after each frame
	// the device accepted (for a web emulator). It must return quickly and
	// must not retain the frame: the player reuses it.
	OnFrame func(*Frame)
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

// Result is what became of a submitted item.
type Result struct {
	// Displayed is true when the item ran to its end.
	Displayed bool
	// Reason says why not: ReasonReplaced or ReasonStopped.
	Reason string
	// Duration is how long the item was on the matrix.
	Duration time.Duration
	// ID is the ticket's identifier, unique for the player.
	ID uint64
}

// Ticket follows one submitted item.
type Ticket struct {
	id   uint64
	done chan struct{}
	res  Result
}

// ID returns the item's identifier.
func (t *Ticket) ID() uint64 { return t.id }

// FinishedTicket returns a ticket already settled with res: what a Player
// stand-in hands back in tests of code that waits on tickets.
func FinishedTicket(id uint64, res Result) *Ticket {
	t := &Ticket{id: id, done: make(chan struct{}), res: res}
	close(t.done)
	return t
}

// Done is closed when the item has been displayed, replaced or dropped.
func (t *Ticket) Done() <-chan struct{} { return t.done }

// Result returns the outcome once Done is closed; before, only ID is set.
func (t *Ticket) Result() Result {
	select {
	case <-t.done:
		return t.res
	default:
		return Result{ID: t.id}
	}
}

// Wait blocks until the item is done or ctx ends.
func (t *Ticket) Wait(ctx context.Context) (Result, error) {
	select {
	case <-t.done:
		return t.res, nil
	case <-ctx.Done():
		return Result{ID: t.id}, ctx.Err()
	}
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
	finished bool
}

// Player owns the matrix: a queue of items and the one loop (Run) that
// renders them and sends the frames to the Device. Every method but Run is
// safe to call from any goroutine and never blocks on the device.
type Player struct {
	dev       Device
	lowSetter LowLightSetter
	clock     Clock
	font      *font.Font
	onFrame   func(*Frame)
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

	// beforeSleep, if set, is called by Run before each wait: tests with a
	// fake clock use it to know the loop is asleep.
	beforeSleep func()

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
		font:      opts.Font,
		onFrame:   opts.OnFrame,
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
// queued or showing is touched.
func (p *Player) Submit(it Item, mode Mode) (*Ticket, error) {
	if it == nil {
		return nil, errors.New("display: Submit of a nil item")
	}
	if mode != Queue && mode != Replace {
		return nil, fmt.Errorf("display: unknown mode %d; use Queue or Replace", mode)
	}
	if ti, ok := it.(*textItem); ok && ti.opts.Font == nil && p.font != nil {
		opts := ti.opts
		opts.Font = p.font
		it = &textItem{opts: opts, Scroll: NewScroll(ti.Text(), opts)}
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
	p.nextID++
	e := &entry{item: it, ticket: &Ticket{id: p.nextID, done: make(chan struct{})}}
	p.queue = append(p.queue, e)
	p.wakeUp()
	return e.ticket, nil
}

func (p *Player) wakeUp() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// describe names an item in an error message, keeping a long text short.
func describe(it Item) string {
	if ti, ok := it.(*textItem); ok {
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

// Run shows items until ctx ends, then completes what is left as
// ReasonStopped, blanks the matrix and returns nil. It is the only
// goroutine that touches the device; call it once. Device errors are
// counted in Status and the frame is tried again. Run does not Halt the
// device: its owner does.
func (p *Player) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running || p.stopped {
		p.mu.Unlock()
		return errors.New("display: Run called twice")
	}
	p.running = true
	p.mu.Unlock()

	// The timer is made at the first wait, so that an armed timer always
	// means the loop has finished a round.
	var timer Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if ctx.Err() != nil {
			p.shutdown()
			return nil
		}
		wait := p.iterate(p.clock.Now())
		if wait <= 0 {
			continue
		}
		if timer == nil {
			timer = p.clock.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		if p.beforeSleep != nil {
			p.beforeSleep()
		}
		select {
		case <-ctx.Done():
		case <-timer.C():
		case <-p.wake:
		}
	}
}

// iterate does one round of the loop at time now: it picks up an item,
// renders a frame if one is due and sends it, and returns how long to wait
// before the next round.
func (p *Player) iterate(now time.Time) time.Duration {
	p.mu.Lock()
	p.heartbeat = now
	if p.cur0 != nil && p.cur0.finished { // replaced by Submit
		p.cur0, p.cur = nil, nil
	}
	if p.cur0 == nil && len(p.queue) > 0 {
		e := p.queue[0]
		copy(p.queue, p.queue[1:])
		p.queue[len(p.queue)-1] = nil
		p.queue = p.queue[:len(p.queue)-1]
		e.start = now
		p.cur0, p.cur = e, e
		p.step, p.due = 0, now
	}
	waiting := len(p.queue) > 0
	set := p.set
	if p.cfgDirty {
		p.cfgDirty = false
		p.needSend = true // show the new settings on a still picture too
	}
	cur := p.cur0
	p.mu.Unlock()

	p.applyLowLight(set.lowLight)

	if cur != nil && !now.Before(p.due) {
		if p.step >= cur.item.Steps() || (waiting && p.gaveEnough(cur.item)) {
			p.mu.Lock()
			p.finishLocked(cur, true, "", now.Sub(cur.start))
			p.cur0, p.cur = nil, nil
			p.mu.Unlock()
			return 0
		}
		cur.item.Render(p.raw, p.step)
		p.needSend = true
		p.due = p.due.Add(cur.item.Delay(p.step))
		if p.due.Before(now) {
			p.due = now // fell behind (slow device): do not race to catch up
		}
		p.step++
	}
	if p.needSend {
		p.send(now, set)
	}
	wait := idleTick
	if cur != nil {
		wait = min(wait, p.due.Sub(now))
	}
	return wait
}

// gaveEnough reports whether an item that yields to waiting items has
// shown all it must.
func (p *Player) gaveEnough(it Item) bool {
	y, ok := it.(yielder)
	return ok && y.yieldAfter() > 0 && p.step >= y.yieldAfter()
}

// applyLowLight switches the device's own low-light mode if it has one.
func (p *Player) applyLowLight(want bool) {
	if p.lowSetter == nil || (want == p.appliedLow && !p.lowFailed) {
		return
	}
	if err := p.lowSetter.SetLowLight(want); err != nil {
		p.lowFailed = true
		p.recordError(fmt.Errorf("display: low light on %s: %w", p.dev, err))
		return
	}
	if p.lowFailed {
		p.needSend = true // stop dimming in software
	}
	p.appliedLow, p.lowFailed = want, false
}

// send turns raw into what the device gets and sends it unless the device
// already shows exactly that.
func (p *Player) send(now time.Time, set settings) {
	Transform(p.out, p.raw, set.orient)
	if set.brightness < 1 {
		Scale(p.out, p.out, set.brightness)
	}
	if set.lowLight && (p.lowSetter == nil || p.lowFailed) {
		ApplyLowLight(p.out)
	}
	p.show(now, false)
}

func (p *Player) show(now time.Time, force bool) {
	// p.last is written by this goroutine only, so reading it unlocked is safe.
	if !force && p.out.Equal(p.last) && p.sent > 0 {
		p.needSend = false
		p.mu.Lock()
		p.skipped++
		p.mu.Unlock()
		return
	}
	if err := p.dev.Show(p.out); err != nil {
		p.recordError(fmt.Errorf("display: show on %s: %w", p.dev, err))
		return // needSend stays true: tried again next round
	}
	p.needSend = false
	p.mu.Lock()
	p.last.CopyFrom(p.out)
	p.sent++
	p.lastFrame = now
	p.mu.Unlock()
	if p.onFrame != nil {
		p.onFrame(p.out)
	}
}

func (p *Player) recordError(err error) {
	p.mu.Lock()
	p.devErrs++
	p.lastErr = err.Error()
	p.mu.Unlock()
}

// shutdown completes every ticket as stopped and blanks the matrix.
func (p *Player) shutdown() {
	now := p.clock.Now()
	p.mu.Lock()
	p.stopped = true
	if p.cur0 != nil {
		p.finishLocked(p.cur0, false, ReasonStopped, now.Sub(p.cur0.start))
	}
	for _, e := range p.queue {
		p.finishLocked(e, false, ReasonStopped, 0)
	}
	clear(p.queue)
	p.queue = p.queue[:0]
	p.cur0, p.cur = nil, nil
	p.heartbeat = now
	p.mu.Unlock()
	p.raw.Clear()
	p.out.Clear()
	p.show(now, true)
}
