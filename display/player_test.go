package display

import (
	"context"
	"errors"
	"image/color"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a manual clock: time moves only when the test says so.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{clk: c, c: make(chan time.Time, 1)}
	c.mu.Lock()
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	t.Reset(d)
	return t
}

// advanceTo moves the clock to at and fires the timers due.
func (c *fakeClock) advanceTo(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at.After(c.now) {
		c.now = at
	}
	for _, t := range c.timers {
		if t.active && !t.when.After(c.now) {
			t.active = false
			select {
			case t.c <- c.now:
			default:
			}
		}
	}
}

// armed returns the deadline of the armed timer, if any.
func (c *fakeClock) armed() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.timers {
		if t.active {
			return t.when, true
		}
	}
	return time.Time{}, false
}

type fakeTimer struct {
	clk    *fakeClock
	c      chan time.Time
	when   time.Time
	active bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.clk.mu.Lock()
	was := t.active
	select { // like time.Timer since Go 1.23: no stale value after Reset
	case <-t.c:
	default:
	}
	t.when, t.active = t.clk.now.Add(d), true
	t.clk.mu.Unlock()
	if d <= 0 {
		t.clk.advanceTo(t.clk.Now())
	}
	return was
}

func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

// fakeDevice records a copy of every frame shown.
type fakeDevice struct {
	mu     sync.Mutex
	frames []*Frame
	fail   int // fail this many Shows
	halted bool
}

func (d *fakeDevice) Show(f *Frame) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail > 0 {
		d.fail--
		return errors.New("i2c NACK")
	}
	c := NewFrame()
	c.CopyFrom(f)
	d.frames = append(d.frames, c)
	return nil
}

func (d *fakeDevice) Halt() error    { d.halted = true; return nil }
func (d *fakeDevice) String() string { return "fake" }

func (d *fakeDevice) got() []*Frame {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*Frame(nil), d.frames...)
}

func (d *fakeDevice) lastFrame() *Frame {
	fs := d.got()
	if len(fs) == 0 {
		return nil
	}
	return fs[len(fs)-1]
}

// lowDevice can dim itself.
type lowDevice struct {
	fakeDevice
	calls []bool
}

func (d *lowDevice) SetLowLight(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, on)
	return nil
}

// eventually polls cond; the deadline only guards against a hung test.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// fire waits until the loop sleeps on its timer alone (no wake-up pending)
// and moves the clock to the timer's deadline, returning the time it slept
// for. Moving the clock while the loop is awake could lose the deadline.
func (h *harness) fire(t *testing.T) time.Duration {
	t.Helper()
	h.settle(t)
	h.mu.Lock()
	h.fired = h.sleeps
	h.mu.Unlock()
	when, ok := h.clk.armed()
	if !ok {
		t.Fatal("loop asleep without a timer")
	}
	d := when.Sub(h.clk.Now())
	h.clk.advanceTo(when)
	return d
}

// settle waits until the loop has gone to sleep since the last fire with
// nothing left to do but wait for its timer.
func (h *harness) settle(t *testing.T) {
	t.Helper()
	eventually(t, "the loop to sleep", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.sleeps > h.fired && h.wakes == 0 && len(h.p.wake) == 0
	})
}

type harness struct {
	mu     sync.Mutex
	sleeps int // times the loop went to sleep
	fired  int // sleeps when the clock was last moved or a wake-up taken
	wakes  int // wake-ups sent and not yet taken by the loop
	p      *Player
	dev    *fakeDevice
	clk    *fakeClock
	cancel context.CancelFunc
	done   chan error
}

// start runs a player; items submitted before start are queued.
func (h *harness) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	h.p.beforeSleep = func() {
		h.mu.Lock()
		h.sleeps++
		h.mu.Unlock()
	}
	// A wake-up counts from before it is sent until the loop has taken it
	// and gone back to sleep, so settle never mistakes a sleep from before
	// a Submit for one after it.
	h.p.onWakeUp = func() {
		h.mu.Lock()
		h.wakes++
		h.mu.Unlock()
	}
	h.p.afterWake = func() {
		h.mu.Lock()
		h.wakes = 0 // one wake-up covers every one coalesced into it
		h.fired = h.sleeps
		h.mu.Unlock()
	}
	go func() { h.done <- h.p.Run(ctx) }()
	t.Cleanup(func() { h.stop(t) })
}

func (h *harness) stop(t *testing.T) error {
	t.Helper()
	if h.cancel == nil {
		return nil
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	return nil
}

func newHarness(t *testing.T, opts PlayerOpts) *harness {
	t.Helper()
	h := &harness{dev: &fakeDevice{}, clk: newFakeClock()}
	opts.Clock = h.clk
	p, err := NewPlayer(h.dev, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	return h
}

func submit(t *testing.T, p *Player, it Item, mode Mode) *Ticket {
	t.Helper()
	tk, err := p.Submit(it, mode)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func isDone(tk *Ticket) bool {
	select {
	case <-tk.Done():
		return true
	default:
		return false
	}
}

func solid(c color.RGBA) *Frame {
	f := NewFrame()
	f.Fill(c)
	return f
}

// stillText is the frame a one-glyph text shows.
func stillText(text string, fg color.RGBA) *Frame {
	f := NewFrame()
	NewScroll(text, ScrollOpts{Fg: fg}).Render(f, 0)
	return f
}

func TestPlayerQueueFullKeepsQueued(t *testing.T) {
	h := newHarness(t, PlayerOpts{QueueSize: 2})
	a := submit(t, h.p, TextItem("A", ScrollOpts{Fg: red}), Queue)
	b := submit(t, h.p, TextItem("B", ScrollOpts{Fg: blue}), Queue)
	_, err := h.p.Submit(TextItem("C", ScrollOpts{}), Queue)
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third Submit err = %v, want ErrQueueFull", err)
	}
	if got := h.p.Status().QueueLen; got != 2 {
		t.Fatalf("QueueLen = %d, want 2", got)
	}
	t0 := h.clk.Now()
	h.start(t)
	if d := h.fire(t); d != StillHold {
		t.Errorf("A held for %v, want %v", d, StillHold)
	}
	eventually(t, "A done", func() bool { return isDone(a) })
	if d := h.fire(t); d != StillHold {
		t.Errorf("B held for %v, want %v", d, StillHold)
	}
	eventually(t, "B done", func() bool { return isDone(b) })

	ra, rb := a.Result(), b.Result()
	if !ra.Displayed || ra.Duration != StillHold || ra.Reason != "" {
		t.Errorf("A result = %+v", ra)
	}
	if !rb.Displayed || rb.Duration != StillHold || rb.ID != ra.ID+1 {
		t.Errorf("B result = %+v (A %+v)", rb, ra)
	}
	if h.clk.Now().Sub(t0) != 2*StillHold {
		t.Errorf("took %v", h.clk.Now().Sub(t0))
	}
	// A, blank, B, blank: in order, nothing lost.
	want := []*Frame{stillText("A", red), NewFrame(), stillText("B", blue), NewFrame()}
	got := h.dev.got()
	if len(got) != len(want) {
		t.Fatalf("device got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("frame %d:\n%s\nwant\n%s", i, frameString(got[i]), frameString(want[i]))
		}
	}
	// Once the queue has room again, Submit succeeds.
	submit(t, h.p, ClearItem(red), Queue)
}

func TestPlayerReplaceInterrupts(t *testing.T) {
	h := newHarness(t, PlayerOpts{})
	old := submit(t, h.p, TextItem("Hello world", ScrollOpts{}), Queue)
	queued := submit(t, h.p, TextItem("queued", ScrollOpts{}), Queue)
	h.start(t)
	for range 10 {
		h.fire(t)
	}
	eventually(t, "old text showing", func() bool { return h.p.Status().Showing == "Hello world" })
	h.settle(t)
	before := len(h.dev.got())

	// No clock movement from here: the replacement must show at once.
	neu := submit(t, h.p, TextItem("Hi", ScrollOpts{Bg: blue}), Replace)
	if r := queued.Result(); !isDone(queued) || r.Displayed || r.Reason != ReasonReplaced || r.Duration != 0 {
		t.Errorf("queued item: done %v, result %+v; want replaced at once", isDone(queued), r)
	}
	eventually(t, "old ticket done", func() bool { return isDone(old) })
	r := old.Result()
	if r.Displayed || r.Reason != ReasonReplaced || r.Duration != 10*100*time.Millisecond {
		t.Errorf("old result = %+v, want replaced after 1s", r)
	}
	eventually(t, "replacement's first frame", func() bool {
		f := h.dev.lastFrame()
		return f != nil && f.Equal(solid(blue))
	})
	got := h.dev.got()
	if len(got) != before+1 {
		t.Errorf("%d frames sent between replace and the new text's first frame, want 0", len(got)-before-1)
	}
	if s := h.p.Status(); s.Showing != "Hi" || s.QueueLen != 0 {
		t.Errorf("status = %+v", s)
	}
	if isDone(neu) {
		t.Error("new item done before its scroll")
	}
}

func TestPlayerScrollDuration(t *testing.T) {
	h := newHarness(t, PlayerOpts{})
	var sent []*Frame
	var mu sync.Mutex
	h.p.onFrame = func(f *Frame) {
		c := NewFrame()
		c.CopyFrom(f)
		mu.Lock()
		sent = append(sent, c)
		mu.Unlock()
	}
	s := NewScroll("Hi", ScrollOpts{})
	tk := submit(t, h.p, TextItem("Hi", ScrollOpts{}), Queue)
	h.start(t)
	for range s.Steps() - 1 {
		if d := h.fire(t); d != 100*time.Millisecond {
			t.Fatalf("step interval %v", d)
		}
	}
	eventually(t, "scroll done", func() bool { return isDone(tk) })
	r := tk.Result()
	if !r.Displayed || r.Duration != s.Duration() {
		t.Errorf("result %+v, want displayed after %v", r, s.Duration())
	}
	// Every step different from the one before reached the device, in
	// order; the others were skipped.
	var want []*Frame
	var prev *Frame
	for step := range s.Steps() {
		f := NewFrame()
		s.Render(f, step)
		if prev == nil || !f.Equal(prev) {
			want = append(want, f)
		}
		prev = f
	}
	got := h.dev.got()
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Fatalf("frame %d:\n%s\nwant\n%s", i, frameString(got[i]), frameString(want[i]))
		}
	}
	st := h.p.Status()
	if st.FramesSent != uint64(len(want)) || st.FramesSkipped != uint64(s.Steps()-len(want)) {
		t.Errorf("sent %d skipped %d, want %d and %d", st.FramesSent, st.FramesSkipped, len(want), s.Steps()-len(want))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != len(want) {
		t.Errorf("OnFrame called %d times, want %d", len(sent), len(want))
	}
}

func TestPlayerSkipsIdenticalFrames(t *testing.T) {
	h := newHarness(t, PlayerOpts{})
	frames := []*Frame{solid(red), solid(red), solid(red), solid(blue)}
	tk := submit(t, h.p, AnimationItem(frames, []time.Duration{50 * time.Millisecond}, 1), Queue)
	h.start(t)
	for range 4 {
		h.fire(t)
	}
	eventually(t, "animation done", func() bool { return isDone(tk) })
	got := h.dev.got()
	want := []*Frame{solid(red), solid(blue)}
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("frame %d wrong:\n%s", i, frameString(got[i]))
		}
	}
	st := h.p.Status()
	if st.FramesSent != 2 || st.FramesSkipped != 2 {
		t.Errorf("sent %d skipped %d, want 2 and 2", st.FramesSent, st.FramesSkipped)
	}
	// Delays: three frames at 50 ms (the others default to 100 ms).
	if r := tk.Result(); r.Duration != 50*time.Millisecond+3*DefaultFrameDelay {
		t.Errorf("duration %v", r.Duration)
	}
	snap := NewFrame()
	h.p.Snapshot(snap)
	if !snap.Equal(solid(blue)) {
		t.Errorf("snapshot:\n%s", frameString(snap))
	}
}

func TestPlayerCancelClearsAndReturns(t *testing.T) {
	base := runtime.NumGoroutine()
	h := newHarness(t, PlayerOpts{})
	tk := submit(t, h.p, TextItem("a long text", ScrollOpts{Fg: red}), Queue)
	queued := submit(t, h.p, ClearItem(blue), Queue)
	h.start(t)
	for range 12 {
		h.fire(t)
	}
	eventually(t, "text on the matrix", func() bool {
		f := h.dev.lastFrame()
		return f != nil && !f.Equal(NewFrame())
	})
	if err := h.stop(t); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if f := h.dev.lastFrame(); !f.Equal(NewFrame()) {
		t.Errorf("matrix not cleared:\n%s", frameString(f))
	}
	for _, k := range []*Ticket{tk, queued} {
		if r := k.Result(); !isDone(k) || r.Displayed || r.Reason != ReasonStopped {
			t.Errorf("ticket %d: %+v", k.ID(), r)
		}
	}
	if _, err := h.p.Submit(ClearItem(red), Queue); !errors.Is(err, ErrStopped) {
		t.Errorf("Submit after stop = %v, want ErrStopped", err)
	}
	if err := h.p.Run(context.Background()); err == nil {
		t.Error("second Run succeeded")
	}
	eventually(t, "goroutines back to baseline", func() bool { return runtime.NumGoroutine() <= base })
}

func TestPlayerConfig(t *testing.T) {
	h := newHarness(t, PlayerOpts{})
	pic := NewFrame()
	pic.SetRGB(0, 0, 255, 255, 255)
	tk := submit(t, h.p, AnimationItem([]*Frame{pic}, []time.Duration{0}, 1), Queue)
	h.start(t)
	eventually(t, "picture shown", func() bool { return isDone(tk) })
	if r := tk.Result(); !r.Displayed || r.Duration != 0 {
		t.Errorf("still picture result %+v", r)
	}

	rot, half := 90, 0.5
	if err := h.p.SetConfig(Config{Rotation: &rot}); err != nil {
		t.Fatal(err)
	}
	want := NewFrame()
	want.SetRGB(7, 0, 255, 255, 255) // top-left went top-right
	eventually(t, "rotated picture", func() bool { return h.dev.lastFrame().Equal(want) })

	flip := true
	if err := h.p.SetConfig(Config{FlipV: &flip, Brightness: &half}); err != nil {
		t.Fatal(err)
	}
	want = NewFrame()
	want.SetRGB(7, 7, 128, 128, 128)
	eventually(t, "flipped, dimmed picture", func() bool { return h.dev.lastFrame().Equal(want) })

	bad, badB := 45, 1.5
	n := len(h.dev.got())
	for _, c := range []Config{{Rotation: &bad}, {Brightness: &badB}, {Rotation: &rot, Brightness: &badB}} {
		if err := h.p.SetConfig(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("SetConfig(%+v) = %v, want ErrInvalidConfig", c, err)
		}
	}
	st := h.p.Status()
	if st.Orientation != (Orientation{Rotation: 90, FlipV: true}) || st.Brightness != 0.5 {
		t.Errorf("status after bad config %+v", st)
	}
	h.fire(t)
	if len(h.dev.got()) != n {
		t.Error("bad config changed the display")
	}

	// Low light, no device support: dimmed in software through the table.
	low := true
	full := 1.0
	if err := h.p.SetConfig(Config{LowLight: &low, Brightness: &full}); err != nil {
		t.Fatal(err)
	}
	want = NewFrame()
	v := lowLightLUT[255]
	want.SetRGB(7, 7, v, v, v)
	eventually(t, "low-light picture", func() bool { return h.dev.lastFrame().Equal(want) })
	if !h.p.Status().LowLight {
		t.Error("status LowLight false")
	}
}

func TestPlayerLowLightOnDevice(t *testing.T) {
	dev := &lowDevice{}
	clk := newFakeClock()
	p, err := NewPlayer(dev, PlayerOpts{Clock: clk, LowLight: true})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{p: p, dev: &dev.fakeDevice, clk: clk}
	tk := submit(t, p, ClearItem(color.RGBA{255, 255, 255, 255}), Queue)
	h.start(t)
	eventually(t, "clear done", func() bool { return isDone(tk) })
	if f := dev.lastFrame(); !f.Equal(solid(color.RGBA{255, 255, 255, 255})) {
		t.Errorf("device dims itself, but the frame was dimmed too:\n%v", f.Pix[:3])
	}
	off := false
	if err := p.SetConfig(Config{LowLight: &off}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "low light off", func() bool {
		dev.mu.Lock()
		defer dev.mu.Unlock()
		return len(dev.calls) == 2
	})
	dev.mu.Lock()
	defer dev.mu.Unlock()
	if !dev.calls[0] || dev.calls[1] {
		t.Errorf("SetLowLight calls %v, want [true false]", dev.calls)
	}
}

func TestPlayerDeviceErrorsRetried(t *testing.T) {
	h := newHarness(t, PlayerOpts{})
	// The red frame fails when rendered, again as the item ends, and at
	// the first idle tick; the second tick delivers it.
	h.dev.fail = 3
	tk := submit(t, h.p, ClearItem(red), Queue)
	h.start(t)
	eventually(t, "clear done", func() bool { return isDone(tk) })
	for range 2 {
		if d := h.fire(t); d != idleTick {
			t.Errorf("retry after %v, want %v", d, idleTick)
		}
	}
	eventually(t, "red frame delivered", func() bool {
		f := h.dev.lastFrame()
		return f != nil && f.Equal(solid(red))
	})
	st := h.p.Status()
	if st.DeviceErrors != 3 || st.LastError != "display: show on fake: i2c NACK" || st.FramesSent != 1 {
		t.Errorf("status %+v", st)
	}
}

func TestPlayerHeartbeatWhenIdle(t *testing.T) {
	h := newHarness(t, PlayerOpts{})
	h.start(t)
	for range 3 {
		if d := h.fire(t); d != time.Second {
			t.Fatalf("idle sleep %v, want 1s", d)
		}
	}
	eventually(t, "heartbeat", func() bool { return h.p.Heartbeat().Equal(h.clk.Now()) })
}

// TestPlayerLongIdleTick: with a long IdleTick the idle loop sleeps that
// long, yet a frame the device refused is still retried after a second.
func TestPlayerLongIdleTick(t *testing.T) {
	h := newHarness(t, PlayerOpts{IdleTick: time.Hour})
	h.start(t)
	for range 2 {
		if d := h.fire(t); d != time.Hour {
			t.Fatalf("idle sleep %v, want 1h", d)
		}
	}
	h.dev.mu.Lock()
	h.dev.fail = 2 // when rendered and as the item ends
	h.dev.mu.Unlock()
	h.settle(t) // asleep for the hour before the item comes
	h.mu.Lock()
	slept := h.sleeps
	h.mu.Unlock()
	tk := submit(t, h.p, ClearItem(red), Queue)
	eventually(t, "clear done", func() bool { return isDone(tk) })
	eventually(t, "the loop asleep after the clear", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.sleeps > slept
	})
	if d := h.fire(t); d != idleTick {
		t.Errorf("retry after %v, want %v", d, idleTick)
	}
	eventually(t, "red frame delivered", func() bool {
		f := h.dev.lastFrame()
		return f != nil && f.Equal(solid(red))
	})
	if d := h.fire(t); d != time.Hour {
		t.Errorf("idle sleep after the retry %v, want 1h", d)
	}
}

func TestNewPlayerErrors(t *testing.T) {
	if _, err := NewPlayer(nil, PlayerOpts{}); err == nil {
		t.Error("nil device accepted")
	}
	if _, err := NewPlayer(&fakeDevice{}, PlayerOpts{Orientation: Orientation{Rotation: 91}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("rotation 91: %v", err)
	}
	if _, err := NewPlayer(&fakeDevice{}, PlayerOpts{Brightness: -1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("brightness -1: %v", err)
	}
	p, err := NewPlayer(&fakeDevice{}, PlayerOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Status(); s.Brightness != 1 || s.QueueLen != 0 || s.Showing != "" {
		t.Errorf("defaults %+v", s)
	}
	if _, err := p.Submit(nil, Queue); err == nil {
		t.Error("nil item accepted")
	}
	if _, err := p.Submit(ClearItem(red), Mode(7)); err == nil {
		t.Error("mode 7 accepted")
	}
}

// nullDevice accepts frames without recording them.
type nullDevice struct{ n int }

func (d *nullDevice) Show(*Frame) error { d.n++; return nil }
func (d *nullDevice) Halt() error       { return nil }
func (d *nullDevice) String() string    { return "null" }

func TestPlayerFrameAllocs(t *testing.T) {
	clk := newFakeClock()
	dev := &nullDevice{}
	p, err := NewPlayer(dev, PlayerOpts{Clock: clk, Orientation: Orientation{Rotation: 270}, Brightness: 0.7, LowLight: true, QueueSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	submit(t, p, TextItem("Grüße aus München, 21°C, 5 € ", ScrollOpts{Repeat: 20}), Queue)
	now := clk.Now()
	p.iterate(now)
	n := testing.AllocsPerRun(200, func() {
		now = now.Add(100 * time.Millisecond)
		p.iterate(now)
	})
	if n != 0 {
		t.Errorf("allocs per frame = %v, want 0", n)
	}
	if dev.n < 150 {
		t.Errorf("only %d frames sent", dev.n)
	}
}

// TestPlayerForeverGivesWay: an animation that loops forever (a GIF with
// loop count 0) keeps looping while nothing else is queued, and ends, as
// displayed, at the end of the frame showing when another item is
// submitted: it never holds up the queue longer than a frame.
func TestPlayerForeverGivesWay(t *testing.T) {
	h := newHarness(t, PlayerOpts{})
	frames := []*Frame{solid(red), solid(blue)}
	anim := submit(t, h.p, AnimationItem(frames, []time.Duration{50 * time.Millisecond, 50 * time.Millisecond}, Forever), Queue)
	h.start(t)
	// Ten passes, far past what a loop count of one would play.
	for range 20 {
		if d := h.fire(t); d != 50*time.Millisecond {
			t.Fatalf("frame held %v, want 50ms", d)
		}
	}
	h.settle(t)
	if isDone(anim) {
		t.Fatal("endless animation ended with nothing queued")
	}
	if s := h.p.Status(); s.Showing != "(animation, 2 frames)" {
		t.Fatalf("showing %q", s.Showing)
	}
	if n := len(h.dev.got()); n != 21 {
		t.Errorf("%d frames sent, want 21 (every frame differs from the one before)", n)
	}

	text := submit(t, h.p, TextItem("A", ScrollOpts{Fg: red}), Queue)
	// The frame showing (the 21st) keeps its 50 ms, then the text.
	if d := h.fire(t); d != 50*time.Millisecond {
		t.Errorf("last frame held %v, want 50ms", d)
	}
	eventually(t, "animation done", func() bool { return isDone(anim) })
	if r := anim.Result(); !r.Displayed || r.Reason != "" || r.Duration != 21*50*time.Millisecond {
		t.Errorf("animation result %+v, want displayed after 1.05s", r)
	}
	eventually(t, "the text on the matrix", func() bool {
		return h.dev.lastFrame().Equal(stillText("A", red))
	})
	if d := h.fire(t); d != StillHold {
		t.Errorf("text held %v, want %v", d, StillHold)
	}
	eventually(t, "text done", func() bool { return isDone(text) })
	if r := text.Result(); !r.Displayed {
		t.Errorf("text result %+v", r)
	}
}

// TestPlayerForeverPlaysOnePass: an endless animation queued behind other
// items plays one whole pass before it gives way, as a GIF that loops once
// would.
func TestPlayerForeverPlaysOnePass(t *testing.T) {
	h := newHarness(t, PlayerOpts{})
	frames := []*Frame{solid(red), solid(blue), solid(red)}
	// Delays under the loop's idle tick (1 s), so each fire is one frame.
	delays := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 300 * time.Millisecond}
	anim := submit(t, h.p, AnimationItem(frames, delays, Forever), Queue)
	after := submit(t, h.p, ClearItem(blue), Queue)
	h.start(t)
	for _, want := range delays {
		if d := h.fire(t); d != want {
			t.Fatalf("frame held %v, want %v", d, want)
		}
	}
	eventually(t, "animation done", func() bool { return isDone(anim) })
	if r := anim.Result(); !r.Displayed || r.Duration != 900*time.Millisecond {
		t.Errorf("animation result %+v, want displayed after one 900ms pass", r)
	}
	eventually(t, "clear done", func() bool { return isDone(after) })
	want := []*Frame{solid(red), solid(blue), solid(red), solid(blue)}
	got := h.dev.got()
	if len(got) != len(want) {
		t.Fatalf("device got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("frame %d:\n%s", i, frameString(got[i]))
		}
	}
}

func TestPlayerForeverReplaced(t *testing.T) {
	h := newHarness(t, PlayerOpts{})
	anim := submit(t, h.p, AnimationItem([]*Frame{solid(red), solid(blue)}, nil, Forever), Queue)
	h.start(t)
	h.fire(t)
	submit(t, h.p, ClearItem(blue), Replace)
	eventually(t, "animation done", func() bool { return isDone(anim) })
	if r := anim.Result(); r.Displayed || r.Reason != ReasonReplaced {
		t.Errorf("animation result %+v, want replaced", r)
	}
}

func TestPlayerRefusesTooLong(t *testing.T) {
	h := newHarness(t, PlayerOpts{})
	tests := []struct {
		name string
		it   Item
		want string
	}{
		// "W" is 5 columns (font/glyphs.txt), "WW" 11 with the blank
		// between: one pass is 19 columns, 19 s at 1 column a second; 32
		// passes are 608 s.
		{"text", TextItem("WW", ScrollOpts{Speed: 1, Repeat: 32}), `text "WW" would play for 10m8s`},
		{"animation", AnimationItem([]*Frame{solid(red), solid(blue)}, []time.Duration{time.Second, time.Second}, 301),
			"(animation, 2 frames) would play for 10m2s"},
		{"animation, loops that overflow", AnimationItem([]*Frame{solid(red)}, []time.Duration{time.Hour}, math.MaxInt),
			"would play for 2562047h47m16"},
		{"endless animation, pass too long", AnimationItem([]*Frame{solid(red), solid(blue)}, []time.Duration{6 * time.Minute, 6 * time.Minute}, Forever),
			"would play for 12m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.p.Submit(tc.it, Replace)
			if !errors.Is(err, ErrTooLong) {
				t.Fatalf("Submit = %v, want ErrTooLong", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "at most 10m0s") {
				t.Errorf("error %q does not say %q and the limit", err, tc.want)
			}
		})
	}
	// Exactly the limit is accepted: 300 passes of 2 s; and so is an
	// endless animation of 2 s a pass (in its place: together they would
	// hold the matrix past the limit).
	submit(t, h.p, AnimationItem([]*Frame{solid(red), solid(blue)}, []time.Duration{time.Second, time.Second}, 300), Queue)
	submit(t, h.p, AnimationItem([]*Frame{solid(red), solid(blue)}, []time.Duration{time.Second, time.Second}, Forever), Replace)
}

// TestPlayerQueueHoldIsCapped is the case of issue 19: seventeen GIFs of
// 600 s each, queued one after the other, would hold the matrix for 2 h
// 50 min. Only the first is taken; the others are refused as busy, saying
// how long the queue holds the matrix, until what is left plus the newcomer
// fits in MaxItemDuration again.
func TestPlayerQueueHoldIsCapped(t *testing.T) {
	h := newHarness(t, PlayerOpts{QueueSize: 32, IdleTick: time.Hour})
	gif := func() Item { // two frames of 300 s: 600 s, the per-item limit
		return AnimationItem([]*Frame{solid(red), solid(blue)}, []time.Duration{5 * time.Minute, 5 * time.Minute}, 1)
	}
	first := submit(t, h.p, gif(), Queue)
	for i := 2; i <= 17; i++ {
		_, err := h.p.Submit(gif(), Queue)
		if !errors.Is(err, ErrQueueFull) {
			t.Fatalf("GIF %d: Submit = %v, want ErrQueueFull", i, err)
		}
		for _, want := range []string{"already hold the matrix for 10m0s", "plays for 10m0s", "at most 10m0s in all", "try again in 10m0s", "mode replace"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("GIF %d: error %q does not say %q", i, err, want)
			}
		}
	}
	if got := h.p.Status().QueueLen; got != 1 {
		t.Fatalf("QueueLen = %d, want only the first GIF", got)
	}

	// Half-way through the first GIF, 5 min are left: a 5 min item fits
	// exactly, and then nothing more, not even a still picture's worth.
	h.start(t)
	if d := h.fire(t); d != 5*time.Minute {
		t.Fatalf("first frame held %v, want 5m", d)
	}
	h.settle(t)
	half := AnimationItem([]*Frame{solid(blue)}, []time.Duration{5 * time.Minute}, 1)
	second := submit(t, h.p, half, Queue)
	_, err := h.p.Submit(TextItem("A", ScrollOpts{}), Queue)
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Submit after the queue is full of time = %v, want ErrQueueFull", err)
	}
	wait := StillHold.Round(time.Second)
	for _, want := range []string{"the 1 item(s) waiting already hold the matrix for 10m0s", "try again in " + wait.String()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// A clear takes no time and is still welcome; replace always is.
	submit(t, h.p, ClearItem(red), Queue)
	if isDone(first) || isDone(second) {
		t.Fatal("a refused Submit touched what was queued")
	}
	submit(t, h.p, gif(), Replace)
	eventually(t, "the queue replaced", func() bool { return isDone(first) && isDone(second) })
}

// TestAnimationForeverWithoutDelays: frames that take no time cannot loop
// (the player would spin); they play once and the last frame stays.
func TestAnimationForeverWithoutDelays(t *testing.T) {
	it := AnimationItem([]*Frame{solid(red), solid(blue)}, []time.Duration{0, 0}, Forever)
	if it.Steps() != 2 {
		t.Errorf("Steps = %d, want 2", it.Steps())
	}
	if y, ok := it.(yielder); !ok || y.yieldAfter() != 0 {
		t.Error("a zero-delay animation yields like an endless one")
	}
}

// OnItem hears of an item when it starts showing, not when it is asked
// for: an item replaced while it waits never shows and is never told.
func TestPlayerOnItem(t *testing.T) {
	var mu sync.Mutex
	var shown []string
	h := newHarness(t, PlayerOpts{OnItem: func(it Item) {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := TextOf(it); ok {
			shown = append(shown, "text "+s)
		} else if c, ok := FillOf(it); ok {
			shown = append(shown, "fill "+FormatColor(c))
		} else {
			shown = append(shown, it.String())
		}
	}})
	submit(t, h.p, ClearItem(red), Queue)
	submit(t, h.p, TextItem("Hello world", ScrollOpts{}), Queue)
	h.start(t)
	eventually(t, "the text showing", func() bool { return h.p.Status().Showing == "Hello world" })
	submit(t, h.p, TextItem("never", ScrollOpts{}), Queue)
	submit(t, h.p, TextItem("Hi", ScrollOpts{}), Replace)
	eventually(t, "the replacement showing", func() bool { return h.p.Status().Showing == "Hi" })
	mu.Lock()
	got := strings.Join(shown, "; ")
	mu.Unlock()
	if want := "fill " + FormatColor(red) + "; text Hello world; text Hi"; got != want {
		t.Errorf("told of %q, want %q", got, want)
	}
}
