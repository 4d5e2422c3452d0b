package attiny_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat"
	"github.com/sensehat/sensehat/sensehat/attiny"
	"github.com/sensehat/sensehat/sensehat/sim"
)

func TestKeyBit(t *testing.T) {
	tests := []struct {
		key  sensehat.Key
		want byte
	}{
		{sensehat.KeyDown, 1 << 0},
		{sensehat.KeyRight, 1 << 1},
		{sensehat.KeyUp, 1 << 2},
		{sensehat.KeyMiddle, 1 << 3},
		{sensehat.KeyLeft, 1 << 4},
		{sensehat.KeyNone, 0},
		{sensehat.Key(99), 0},
	}
	for _, tc := range tests {
		t.Run(tc.key.String(), func(t *testing.T) {
			if got := attiny.KeyBit(tc.key); got != tc.want {
				t.Fatalf("KeyBit = %#02x, want %#02x", got, tc.want)
			}
			// The simulated chip agrees on the wiring.
			a := sim.NewATtiny()
			a.Press(tc.key)
			if got := a.Keys(); got != tc.want {
				t.Fatalf("sim register after Press = %#02x, want %#02x", got, tc.want)
			}
		})
	}
}

func TestAppendChanges(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	ev := func(k sensehat.Key, a sensehat.Action) sensehat.Event {
		return sensehat.Event{Key: k, Action: a, Time: t0}
	}
	tests := []struct {
		name      string
		prev, cur byte
		want      []sensehat.Event
	}{
		{"bit 0 down", 0, 0x01, []sensehat.Event{ev(sensehat.KeyDown, sensehat.Pressed)}},
		{"bit 1 right", 0, 0x02, []sensehat.Event{ev(sensehat.KeyRight, sensehat.Pressed)}},
		{"bit 2 up", 0, 0x04, []sensehat.Event{ev(sensehat.KeyUp, sensehat.Pressed)}},
		{"bit 3 middle", 0, 0x08, []sensehat.Event{ev(sensehat.KeyMiddle, sensehat.Pressed)}},
		{"bit 4 left", 0, 0x10, []sensehat.Event{ev(sensehat.KeyLeft, sensehat.Pressed)}},
		{"bit 5 ignored", 0, 0x20, nil},
		{"bit 6 ignored", 0, 0x40, nil},
		{"bit 7 ignored", 0, 0x80, nil},
		{"no change", 0x0C, 0x0C, nil},
		{"release up", 0x04, 0, []sensehat.Event{ev(sensehat.KeyUp, sensehat.Released)}},
		{"release left keeps middle", 0x18, 0x08, []sensehat.Event{ev(sensehat.KeyLeft, sensehat.Released)}},
		{"up to down in one read", 0x04, 0x01, []sensehat.Event{
			ev(sensehat.KeyDown, sensehat.Pressed), ev(sensehat.KeyUp, sensehat.Released),
		}},
		{"all five", 0, 0xFF, []sensehat.Event{
			ev(sensehat.KeyDown, sensehat.Pressed), ev(sensehat.KeyRight, sensehat.Pressed),
			ev(sensehat.KeyUp, sensehat.Pressed), ev(sensehat.KeyMiddle, sensehat.Pressed),
			ev(sensehat.KeyLeft, sensehat.Pressed),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := attiny.AppendChanges(nil, tc.prev, tc.cur, t0)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("event %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
	buf := make([]sensehat.Event, 0, 5)
	if n := testing.AllocsPerRun(100, func() { buf = attiny.AppendChanges(buf[:0], 0, 0x1F, t0) }); n != 0 {
		t.Fatalf("AppendChanges allocates %v times", n)
	}
}

// newClock is a manual clock for the repeat timing.
func newClock() *testutil.Clock {
	return testutil.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
}

// run starts j.Run and stops it at the end of the test, failing if it
// does not return nil.
func run(t *testing.T, j *attiny.Joystick) <-chan sensehat.Event {
	t.Helper()
	out := make(chan sensehat.Event, 16)
	testutil.Go(t, "the joystick's Run", func(ctx context.Context) error { return j.Run(ctx, out) })
	return out
}

func next(t *testing.T, out <-chan sensehat.Event) sensehat.Event {
	t.Helper()
	select {
	case ev := <-out:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no joystick event")
		return sensehat.Event{}
	}
}

func expect(t *testing.T, out <-chan sensehat.Event, k sensehat.Key, a sensehat.Action) sensehat.Event {
	t.Helper()
	ev := next(t, out)
	if ev.Key != k || ev.Action != a {
		t.Fatalf("event %s %s, want %s %s", ev.Key, ev.Action, k, a)
	}
	return ev
}

// quiet checks that nothing arrives for a while: the loop runs many times
// in 50 ms with the short intervals the tests use.
func quiet(t *testing.T, out <-chan sensehat.Event) {
	t.Helper()
	select {
	case ev := <-out:
		t.Fatalf("unexpected event %s %s", ev.Key, ev.Action)
	case <-time.After(50 * time.Millisecond):
	}
}

func newJoystickSim(t *testing.T, irq func(*sim.ATtiny) gpio.PinIn, o *attiny.JoystickOpts) (*sim.Bus, *sim.ATtiny, *attiny.Joystick) {
	t.Helper()
	b := sim.NewBus("sim")
	a := sim.NewATtiny()
	b.Attach(attiny.Addr, a)
	var pin gpio.PinIn
	if irq != nil {
		pin = irq(a)
	}
	j, err := attiny.NewJoystick(b, pin, o)
	if err != nil {
		t.Fatal(err)
	}
	return b, a, j
}

func simIRQ(a *sim.ATtiny) gpio.PinIn { return a.Interrupt() }

// inBothModes runs test as a subtest with the joystick waiting on the
// interrupt line, then polling (irq nil), since both must behave alike.
func inBothModes(t *testing.T, test func(t *testing.T, irq func(*sim.ATtiny) gpio.PinIn)) {
	t.Helper()
	t.Run("interrupt", func(t *testing.T) { test(t, simIRQ) })
	t.Run("polling", func(t *testing.T) { test(t, nil) })
}

// noRepeat keeps Held events out of tests about presses.
var noRepeat = attiny.JoystickOpts{PollInterval: 2 * time.Millisecond, RepeatDelay: time.Hour, RepeatPeriod: time.Hour}

func pressRelease(t *testing.T, a *sim.ATtiny, out <-chan sensehat.Event) {
	t.Helper()
	for _, k := range []sensehat.Key{sensehat.KeyUp, sensehat.KeyDown, sensehat.KeyLeft, sensehat.KeyRight, sensehat.KeyMiddle} {
		a.Press(k)
		expect(t, out, k, sensehat.Pressed)
		a.Release(k)
		expect(t, out, k, sensehat.Released)
	}
}

func TestJoystickInterrupt(t *testing.T) {
	o := noRepeat
	o.PollInterval = time.Hour // only the line can wake the reader
	b, a, j := newJoystickSim(t, simIRQ, &o)
	out := run(t, j)
	pressRelease(t, a, out)
	if !j.UsingInterrupt() {
		t.Fatal("UsingInterrupt() = false with a working line")
	}
	if a.Interrupt().Read() != gpio.Low {
		t.Fatal("interrupt line left high: 0xF2 not read after the last change")
	}
	// Idle: no polling on top of the line.
	n := b.Transactions(attiny.Addr)
	quiet(t, out)
	if m := b.Transactions(attiny.Addr); m != n {
		t.Fatalf("%d reads while idle with an interrupt line", m-n)
	}
	if j.Errors() != 0 {
		t.Fatalf("Errors() = %d", j.Errors())
	}
}

func TestJoystickPolling(t *testing.T) {
	_, a, j := newJoystickSim(t, nil, &noRepeat)
	out := run(t, j)
	pressRelease(t, a, out)
	if j.UsingInterrupt() {
		t.Fatal("UsingInterrupt() = true without a line")
	}
}

func TestJoystickKeyDownAtStart(t *testing.T) {
	b := sim.NewBus("sim")
	a := sim.NewATtiny()
	b.Attach(attiny.Addr, a)
	a.Press(sensehat.KeyLeft)
	j, err := attiny.NewJoystick(b, a.Interrupt(), &noRepeat)
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, j)
	expect(t, out, sensehat.KeyLeft, sensehat.Pressed)
	a.Release(sensehat.KeyLeft)
	expect(t, out, sensehat.KeyLeft, sensehat.Released)
}

func TestJoystickEdgeSetupFails(t *testing.T) {
	_, a, j := newJoystickSim(t, func(a *sim.ATtiny) gpio.PinIn { return noEdgePin{a.Interrupt()} }, &noRepeat)
	out := run(t, j)
	pressRelease(t, a, out)
	if j.UsingInterrupt() {
		t.Fatal("UsingInterrupt() = true after In failed")
	}
	if err := j.LastError(); err == nil || !strings.Contains(err.Error(), "polling") {
		t.Fatalf("LastError() = %v, want one saying it polls", err)
	}
}

// noEdgePin refuses edge detection, as a GPIO without interrupt support
// or one another process holds does.
type noEdgePin struct{ gpio.PinIn }

func (noEdgePin) In(gpio.Pull, gpio.Edge) error {
	return errors.New("gpio23: edge detection unavailable")
}

// deafPin is a line whose edges never arrive: WaitForEdge always times out
// (immediately if fast, else after the timeout), but Read shows the level.
type deafPin struct {
	gpio.PinIn
	fast bool
}

func (p deafPin) WaitForEdge(timeout time.Duration) bool {
	if !p.fast {
		time.Sleep(timeout)
	}
	return false
}

// waitsPin records the timeouts Run waits on the line with.
type waitsPin struct {
	gpio.PinIn
	waits chan time.Duration
}

func (p waitsPin) WaitForEdge(timeout time.Duration) bool {
	select {
	case p.waits <- timeout:
	default:
	}
	return p.PinIn.WaitForEdge(timeout)
}

// TestJoystickIdleWaitIsLong: an idle joystick on the interrupt line waits
// MaxIRQWait per wake-up, not the 100 ms that used to wake an idle daemon
// ten times a second; a press still ends the wait at once.
func TestJoystickIdleWaitIsLong(t *testing.T) {
	waits := make(chan time.Duration, 1)
	_, a, j := newJoystickSim(t, func(a *sim.ATtiny) gpio.PinIn { return waitsPin{PinIn: a.Interrupt(), waits: waits} }, &noRepeat)
	out := run(t, j)
	select {
	case d := <-waits:
		if d != attiny.MaxIRQWait || d < time.Second {
			t.Errorf("idle wait %v, want MaxIRQWait (%v), at least a second", d, attiny.MaxIRQWait)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run never waited on the line")
	}
	pressRelease(t, a, out)
}

func TestJoystickMissedEdge(t *testing.T) {
	// The line stays high after a change the reader did not see as an
	// edge; seeing it high must be enough to read 0xF2.
	o := noRepeat
	o.PollInterval = time.Hour
	_, a, j := newJoystickSim(t, func(a *sim.ATtiny) gpio.PinIn { return deafPin{PinIn: a.Interrupt()} }, &o)
	out := run(t, j)
	a.Press(sensehat.KeyRight)
	expect(t, out, sensehat.KeyRight, sensehat.Pressed)
	a.Release(sensehat.KeyRight)
	expect(t, out, sensehat.KeyRight, sensehat.Released)
	if !j.UsingInterrupt() {
		t.Fatal("fell back to polling although the line works")
	}
}

func TestJoystickBrokenEdgesFallBack(t *testing.T) {
	// WaitForEdge returning at once every time would spin: poll instead.
	_, a, j := newJoystickSim(t, func(a *sim.ATtiny) gpio.PinIn { return deafPin{PinIn: a.Interrupt(), fast: true} }, &noRepeat)
	out := run(t, j)
	pressRelease(t, a, out)
	deadline := time.Now().Add(10 * time.Second)
	for j.UsingInterrupt() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if j.UsingInterrupt() {
		t.Fatal("still waiting on a line that never blocks")
	}
}

func TestJoystickHeld(t *testing.T) {
	inBothModes(t, func(t *testing.T, irq func(*sim.ATtiny) gpio.PinIn) {
		clk := newClock()
		t0 := clk.Now()
		o := &attiny.JoystickOpts{
			PollInterval: time.Millisecond,
			RepeatDelay:  250 * time.Millisecond,
			RepeatPeriod: 33 * time.Millisecond,
			Now:          clk.Now,
		}
		_, a, j := newJoystickSim(t, irq, o)
		out := run(t, j)

		a.Press(sensehat.KeyMiddle)
		if ev := expect(t, out, sensehat.KeyMiddle, sensehat.Pressed); !ev.Time.Equal(t0) {
			t.Fatalf("pressed at %v, want %v", ev.Time, t0)
		}
		held := func(k sensehat.Key, at time.Duration) {
			t.Helper()
			if ev := expect(t, out, k, sensehat.Held); !ev.Time.Equal(t0.Add(at)) {
				t.Fatalf("held at +%v, want +%v", ev.Time.Sub(t0), at)
			}
		}
		clk.Add(249 * time.Millisecond)
		quiet(t, out)
		clk.Add(time.Millisecond)
		held(sensehat.KeyMiddle, 250*time.Millisecond)
		clk.Add(32 * time.Millisecond)
		quiet(t, out)
		clk.Add(time.Millisecond)
		held(sensehat.KeyMiddle, 283*time.Millisecond)
		// A late wake-up sends one Held, not a burst.
		clk.Add(time.Second)
		held(sensehat.KeyMiddle, 1283*time.Millisecond)
		quiet(t, out)
		clk.Add(33 * time.Millisecond)
		held(sensehat.KeyMiddle, 1316*time.Millisecond)

		// Pressing another key moves the repeat to it.
		a.Press(sensehat.KeyUp)
		expect(t, out, sensehat.KeyUp, sensehat.Pressed)
		clk.Add(250 * time.Millisecond)
		held(sensehat.KeyUp, 1566*time.Millisecond)
		// Releasing the key that no longer repeats leaves it alone.
		a.Release(sensehat.KeyMiddle)
		expect(t, out, sensehat.KeyMiddle, sensehat.Released)
		clk.Add(33 * time.Millisecond)
		held(sensehat.KeyUp, 1599*time.Millisecond)
		// Releasing the repeating key stops the repeat.
		a.Release(sensehat.KeyUp)
		expect(t, out, sensehat.KeyUp, sensehat.Released)
		clk.Add(time.Hour)
		quiet(t, out)
	})
}

func TestJoystickBusErrors(t *testing.T) {
	b, a, j := newJoystickSim(t, nil, &noRepeat)
	a.Press(sensehat.KeyLeft)
	b.InjectNACK(attiny.Addr, 3)
	out := run(t, j)
	expect(t, out, sensehat.KeyLeft, sensehat.Pressed)
	if n := j.Errors(); n != 3 {
		t.Fatalf("Errors() = %d, want 3", n)
	}
	if err := j.LastError(); !errors.Is(err, sim.ErrNACK) {
		t.Fatalf("LastError() = %v, want a wrapped NACK", err)
	}
	// A stuck bus is retried until it recovers; no change is lost. (Faults
	// are injected before Run above because sim.Bus's Inject* setters do
	// not hold the bus lock; SetStuck does.)
	b.SetStuck(true)
	a.Release(sensehat.KeyLeft)
	deadline := time.Now().Add(10 * time.Second)
	for j.Errors() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	b.SetStuck(false)
	expect(t, out, sensehat.KeyLeft, sensehat.Released)
	if n := j.Errors(); n < 5 {
		t.Fatalf("Errors() = %d with a stuck bus, want at least 5", n)
	}
}

func TestJoystickCancel(t *testing.T) {
	inBothModes(t, func(t *testing.T, irq func(*sim.ATtiny) gpio.PinIn) {
		_, a, j := newJoystickSim(t, irq, &noRepeat)
		out := make(chan sensehat.Event) // never read: Run blocks sending
		running := testutil.Go(t, "the joystick's Run", func(ctx context.Context) error { return j.Run(ctx, out) })
		a.Press(sensehat.KeyUp)
		// Run is blocked sending or waiting; it must still return.
		time.Sleep(10 * time.Millisecond)
		if err := j.Run(context.Background(), make(chan sensehat.Event)); err == nil {
			t.Fatal("second concurrent Run succeeded")
		}
		if err := running.Stop(); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	})
}

func TestJoystickStuckBusCancel(t *testing.T) {
	b, _, j := newJoystickSim(t, nil, &noRepeat)
	b.SetStuck(true)
	running := testutil.Go(t, "the joystick's Run", func(ctx context.Context) error { return j.Run(ctx, make(chan sensehat.Event, 1)) })
	deadline := time.Now().Add(10 * time.Second)
	for j.Errors() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := running.Stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if err := j.LastError(); !errors.Is(err, sim.ErrStuck) {
		t.Fatalf("LastError() = %v, want a wrapped ErrStuck", err)
	}
}

func TestNewJoystick(t *testing.T) {
	if _, err := attiny.NewJoystick(nil, nil, nil); err == nil {
		t.Fatal("nil bus accepted")
	}
	b := sim.NewBus("sim")
	b.Attach(attiny.Addr, fixedChip(0x00))
	if _, err := attiny.NewJoystick(b, nil, nil); !errors.Is(err, attiny.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	b.Attach(attiny.Addr, sim.NewATtiny())
	if _, err := attiny.NewJoystick(b, nil, &attiny.JoystickOpts{PollInterval: -1}); err == nil {
		t.Fatal("negative interval accepted")
	}
	j, err := attiny.NewJoystick(b, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := j.String(); got != "attiny88 joystick(sim 0x46, polling)" {
		t.Fatalf("String() = %q", got)
	}
	if err := j.Run(context.Background(), nil); err == nil {
		t.Fatal("Run with a nil channel succeeded")
	}
	if err := j.Halt(); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkJoystickEvent(b *testing.B) {
	benchJoystick(b, func(*sim.ATtiny) gpio.PinIn { return nil }, &attiny.JoystickOpts{PollInterval: time.Microsecond, RepeatDelay: time.Hour})
}

// benchJoystick times press or release to event on the simulated ATtiny,
// with the interrupt line pin gives (nil: the polling reader).
func benchJoystick(b *testing.B, pin func(*sim.ATtiny) gpio.PinIn, opts *attiny.JoystickOpts) *attiny.Joystick {
	bus := sim.NewBus("sim")
	a := sim.NewATtiny()
	bus.Attach(attiny.Addr, a)
	j, err := attiny.NewJoystick(bus, pin(a), opts)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan sensehat.Event)
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx, out) }()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i&1 == 0 {
			a.Press(sensehat.KeyUp)
		} else {
			a.Release(sensehat.KeyUp)
		}
		<-out
	}
	cancel()
	<-done
	return j
}

// BenchmarkJoystickEventIRQ: a key change on the simulated ATtiny until
// the reader waiting on the interrupt line emits the event. The reader
// waits up to MaxIRQWait (1 s) for an edge; a press must end that wait at
// once, so this is microseconds, not the second an idle wait may last.
func BenchmarkJoystickEventIRQ(b *testing.B) {
	j := benchJoystick(b, func(a *sim.ATtiny) gpio.PinIn { return a.Interrupt() }, &attiny.JoystickOpts{RepeatDelay: time.Hour})
	if !j.UsingInterrupt() {
		b.Fatal("the reader polled instead of waiting on the interrupt line")
	}
}
