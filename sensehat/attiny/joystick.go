package attiny

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/sensehat"
)

// bitKeys is register 0xF2 bit by bit; the board's printed directions.
var bitKeys = [5]sensehat.Key{
	sensehat.KeyDown,   // bit 0
	sensehat.KeyRight,  // bit 1
	sensehat.KeyUp,     // bit 2
	sensehat.KeyMiddle, // bit 3 (enter)
	sensehat.KeyLeft,   // bit 4
}

// keyMask covers the bits of 0xF2 that carry a key; the others are ignored.
const keyMask = 1<<len(bitKeys) - 1

// KeyBit returns the bit of register 0xF2 that is set while k is pressed,
// or 0 for a value that is no key.
func KeyBit(k sensehat.Key) byte {
	for i, bk := range bitKeys {
		if bk == k && k != sensehat.KeyNone {
			return 1 << i
		}
	}
	return 0
}

// AppendChanges appends to dst a Pressed or Released event stamped t for
// every key whose bit differs between the register values prev and cur, in
// bit order, and returns the extended slice. Bits 5-7 are ignored. With a
// dst of capacity 5 it never allocates.
func AppendChanges(dst []sensehat.Event, prev, cur byte, t time.Time) []sensehat.Event {
	diff := (prev ^ cur) & keyMask
	for i, k := range bitKeys {
		bit := byte(1) << i
		if diff&bit == 0 {
			continue
		}
		a := sensehat.Released
		if cur&bit != 0 {
			a = sensehat.Pressed
		}
		dst = append(dst, sensehat.Event{Key: k, Action: a, Time: t})
	}
	return dst
}

// JoystickOpts configures NewJoystick. Zero durations and a nil Now take
// the defaults of DefaultJoystickOpts.
type JoystickOpts struct {
	// PollInterval is how often 0xF2 is read when there is no interrupt
	// line (irq nil, or edge detection could not be set up). With the
	// line it bounds how late a Held event can be.
	PollInterval time.Duration
	// RepeatDelay is how long a key stays down before the first Held.
	RepeatDelay time.Duration
	// RepeatPeriod is the time between two Held events.
	RepeatPeriod time.Duration
	// Now stamps events and times the repeats; tests replace it.
	Now func() time.Time
}

// DefaultJoystickOpts polls at 50 Hz and repeats like the kernel's input
// autorepeat: 250 ms delay, 33 ms period.
var DefaultJoystickOpts = JoystickOpts{
	PollInterval: 20 * time.Millisecond,
	RepeatDelay:  250 * time.Millisecond,
	RepeatPeriod: 33 * time.Millisecond,
	Now:          time.Now,
}

// Bounds for the backoff after a failed read of 0xF2.
const (
	minBackoff = 10 * time.Millisecond
	maxBackoff = time.Second
)

// MaxIRQWait is the longest wait on the interrupt line before Run checks
// for cancellation and for a line left high (a missed edge). A press ends
// the wait at once whatever the bound; the bound is what an idle joystick
// costs, since periph's WaitForEdge cannot be cancelled and each expiry is
// a wake-up for nothing. At 100 ms these wake-ups were most of the
// daemon's idle CPU beyond publishing (BENCHMARKS.md, Idle CPU); a second
// costs a slower stop instead.
const MaxIRQWait = time.Second

// Joystick reads the Sense HAT joystick from the ATtiny's register 0xF2,
// woken by the GPIO23 interrupt line when there is one, by polling
// otherwise.
type Joystick struct {
	b    i2c.Bus
	irq  gpio.PinIn
	opts JoystickOpts
	name string

	running  atomic.Bool
	usingIRQ atomic.Bool
	errs     atomic.Uint64
	errMu    sync.Mutex
	lastErr  error

	// Scratch for Run, kept here so reading and decoding allocate nothing.
	w      [1]byte
	r      [1]byte
	events [len(bitKeys)]sensehat.Event
	timer  *time.Timer
}

var _ conn.Resource = (*Joystick)(nil)

// NewJoystick identifies the ATtiny on b and returns its joystick. irq is
// the GPIO23 input (nil to poll). A nil opts means DefaultJoystickOpts.
// It does not check for a kernel driver: New does, and a caller that
// claims the joystick without the matrix calls CheckKernel first.
func NewJoystick(b i2c.Bus, irq gpio.PinIn, opts *JoystickOpts) (*Joystick, error) {
	if b == nil {
		return nil, errors.New("attiny: nil I2C bus")
	}
	o := DefaultJoystickOpts
	if opts != nil {
		if opts.PollInterval < 0 || opts.RepeatDelay < 0 || opts.RepeatPeriod < 0 {
			return nil, fmt.Errorf("attiny: negative joystick interval (poll %v, repeat delay %v, period %v)",
				opts.PollInterval, opts.RepeatDelay, opts.RepeatPeriod)
		}
		if opts.PollInterval > 0 {
			o.PollInterval = opts.PollInterval
		}
		if opts.RepeatDelay > 0 {
			o.RepeatDelay = opts.RepeatDelay
		}
		if opts.RepeatPeriod > 0 {
			o.RepeatPeriod = opts.RepeatPeriod
		}
		if opts.Now != nil {
			o.Now = opts.Now
		}
	}
	if _, err := probe(b); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("attiny88 joystick(%s 0x%02x, polling)", b, Addr)
	if irq != nil {
		name = fmt.Sprintf("attiny88 joystick(%s 0x%02x, interrupt %s)", b, Addr, irq)
	}
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Joystick{b: b, irq: irq, opts: o, name: name, w: [1]byte{regJoystick}, timer: t}, nil
}

// String implements conn.Resource.
func (j *Joystick) String() string { return j.name }

// Halt implements conn.Resource. The joystick holds nothing between reads:
// Run stops with its context, so there is nothing to do.
func (j *Joystick) Halt() error { return nil }

// Errors returns how many reads of the joystick register failed since
// NewJoystick; Run retries them.
func (j *Joystick) Errors() uint64 { return j.errs.Load() }

// LastError returns the most recent failure, a bus read or an interrupt
// line that could not be used, or nil.
func (j *Joystick) LastError() error {
	j.errMu.Lock()
	defer j.errMu.Unlock()
	return j.lastErr
}

// UsingInterrupt reports whether Run waits on the interrupt line (false:
// it polls, because there is no line or edge detection failed).
func (j *Joystick) UsingInterrupt() bool { return j.usingIRQ.Load() }

// repeat is the autorepeat state. As with the kernel's, only the key
// pressed last repeats and releasing it stops the repeat; unlike the
// kernel's, releasing some other key does not.
type repeat struct {
	key  sensehat.Key // KeyNone: nothing repeats
	next time.Time
}

// Run sends an event on out for every press and release, and Held events
// while a key stays down, until ctx is done; then it returns nil. Failed
// bus reads are counted and retried with backoff. Keys already down when
// Run starts are reported as pressed. Waiting on the interrupt line, Run
// notices cancellation, and a change whose edge was missed, within
// MaxIRQWait. Only one Run at a time.
func (j *Joystick) Run(ctx context.Context, out chan<- sensehat.Event) error {
	if out == nil {
		return errors.New("attiny: joystick Run needs an event channel")
	}
	if !j.running.CompareAndSwap(false, true) {
		return errors.New("attiny: joystick Run is already running")
	}
	defer j.running.Store(false)
	defer j.timer.Stop()

	useIRQ := false
	if j.irq != nil {
		// Set up before the first read: a change between the two then
		// leaves an edge behind instead of being lost.
		if err := j.irq.In(gpio.PullDown, gpio.RisingEdge); err != nil {
			j.recordErr(fmt.Errorf("attiny: interrupt line %s: %w; polling every %v instead", j.irq, err, j.opts.PollInterval))
		} else {
			useIRQ = true
		}
	}
	j.usingIRQ.Store(useIRQ)

	var state byte
	var rep repeat
	quick := 0 // consecutive waits on the line that returned at once
	for {
		cur, ok := j.read(ctx)
		if !ok {
			return nil
		}
		if !j.changed(ctx, out, &rep, state, cur) {
			return nil
		}
		state = cur
		// Wait for the next reason to read, sending Held events meanwhile.
		for {
			if !j.repeatDue(ctx, out, &rep) {
				return nil
			}
			wait := j.opts.PollInterval
			if useIRQ {
				wait = MaxIRQWait
			}
			if rep.key != sensehat.KeyNone {
				wait = min(wait, j.opts.PollInterval, max(rep.next.Sub(j.opts.Now()), time.Millisecond))
			}
			if !useIRQ {
				if !j.sleep(ctx, wait) {
					return nil
				}
				break // poll
			}
			if ctx.Err() != nil {
				return nil
			}
			start := time.Now()
			if j.irq.WaitForEdge(wait) {
				quick = 0
				break
			}
			// No edge, but a line left high means a change was
			// missed: only reading 0xF2 brings the line down again.
			if j.irq.Read() == gpio.High {
				break
			}
			// A line that times out at once every time would spin
			// the CPU: its edge detection does not work, so poll.
			if quick++; time.Since(start) >= wait/2 {
				quick = 0
			} else if quick >= 3 {
				useIRQ = false
				j.usingIRQ.Store(false)
				j.recordErr(fmt.Errorf("attiny: interrupt line %s reports no edges; polling every %v instead", j.irq, j.opts.PollInterval))
			}
		}
	}
}

// changed sends the events for a state change and updates the repeat.
func (j *Joystick) changed(ctx context.Context, out chan<- sensehat.Event, rep *repeat, prev, cur byte) bool {
	if (prev^cur)&keyMask == 0 {
		return true
	}
	now := j.opts.Now()
	for _, ev := range AppendChanges(j.events[:0], prev, cur, now) {
		switch {
		case ev.Action == sensehat.Pressed:
			*rep = repeat{key: ev.Key, next: now.Add(j.opts.RepeatDelay)}
		case ev.Key == rep.key:
			rep.key = sensehat.KeyNone
		}
		if !send(ctx, out, ev) {
			return false
		}
	}
	return true
}

// repeatDue sends a Held event if the repeating key's time has come. A late
// wake-up sends one event, not a burst, and the next follows a full period
// later.
func (j *Joystick) repeatDue(ctx context.Context, out chan<- sensehat.Event, rep *repeat) bool {
	if rep.key == sensehat.KeyNone {
		return true
	}
	now := j.opts.Now()
	if now.Before(rep.next) {
		return true
	}
	rep.next = now.Add(j.opts.RepeatPeriod)
	return send(ctx, out, sensehat.Event{Key: rep.key, Action: sensehat.Held, Time: now})
}

func send(ctx context.Context, out chan<- sensehat.Event, ev sensehat.Event) bool {
	select {
	case out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// read returns register 0xF2, retrying failed reads with backoff until one
// succeeds or ctx is done.
func (j *Joystick) read(ctx context.Context) (byte, bool) {
	backoff := minBackoff
	for {
		if ctx.Err() != nil {
			return 0, false
		}
		err := j.b.Tx(Addr, j.w[:], j.r[:])
		if err == nil {
			return j.r[0] & keyMask, true
		}
		j.errs.Add(1)
		j.recordErr(busErr(j.b, "reading joystick", err))
		if !j.sleep(ctx, backoff) {
			return 0, false
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (j *Joystick) recordErr(err error) {
	j.errMu.Lock()
	j.lastErr = err
	j.errMu.Unlock()
}

// sleep waits d on the reused timer; false if ctx ended first.
func (j *Joystick) sleep(ctx context.Context, d time.Duration) bool {
	j.timer.Reset(d)
	select {
	case <-j.timer.C:
		return true
	case <-ctx.Done():
		j.timer.Stop()
		return false
	}
}
