package testutil

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Clock is a manual clock, safe for several goroutines: time moves only
// when the test (Add) or the code under test (Sleep, which returns at
// once) moves it, so timing is tested without waiting.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Sleep stands in for time.Sleep: it moves the clock on by d.
func (c *Clock) Sleep(d time.Duration) { c.Add(d) }

// StopTimeout bounds how long a Task may take to return once stopped: it
// bounds a hang, it does not measure speed.
const StopTimeout = 15 * time.Second

// Task is a function the test runs in the background until it stops it
// or the test ends: a server's Serve, a reader's Run, a daemon.
type Task struct {
	t        testing.TB
	what     string
	cancel   context.CancelFunc
	finished chan struct{}
	err      error
	stopped  bool
	// within bounds the wait for Stop (StopTimeout unless GoReadyWithin
	// says otherwise).
	within time.Duration
}

// Go runs run in a goroutine with a context that Stop cancels. When the
// test ends, a task not stopped yet is stopped and must return nil. what
// names it in failures ("the joystick's Run").
func Go(t testing.TB, what string, run func(ctx context.Context) error) *Task {
	ctx, cancel := context.WithCancel(context.Background())
	g := &Task{t: t, what: what, cancel: cancel, finished: make(chan struct{}), within: StopTimeout}
	go func() {
		g.err = run(ctx)
		close(g.finished)
	}()
	t.Cleanup(func() {
		if g.stopped {
			return
		}
		if err := g.Stop(); err != nil {
			g.Fail(err)
		}
	})
	return g
}

// Finished is closed when the task's function has returned, on its own or
// stopped; Err then says what it returned.
func (g *Task) Finished() <-chan struct{} { return g.finished }

// Err is what the task's function returned, once Finished is closed.
func (g *Task) Err() error {
	<-g.finished
	return g.err
}

// Stop cancels the task's context and returns what its function returned,
// failing the test if it has not returned within StopTimeout (or the time
// given to GoReadyWithin). Stopping
// twice returns the same.
func (g *Task) Stop() error {
	g.t.Helper()
	g.stopped = true
	g.cancel()
	select {
	case <-g.finished:
		return g.err
	case <-time.After(g.within):
		g.t.Fatalf("%s did not return %v after its context was cancelled", g.what, g.within)
		return nil
	}
}

// Fail marks the test failed because the task's function returned err
// when it was stopped.
func (g *Task) Fail(err error) {
	g.t.Helper()
	g.t.Errorf("%s returned %v, want nil after a clean stop", g.what, err)
}

// GoReady is Go for a task that says when it is ready by closing ready (a
// daemon, an emulator): it returns once ready is closed, and fails the
// test if the function returns first or ready stays open for StopTimeout.
func GoReady(t testing.TB, what string, ready <-chan struct{}, run func(ctx context.Context) error) *Task {
	t.Helper()
	return GoReadyWithin(t, what, StopTimeout, ready, run)
}

// GoReadyWithin is GoReady for a task that takes longer to be ready and
// to stop (a fleet of simulated devices): within bounds both waits.
func GoReadyWithin(t testing.TB, what string, within time.Duration, ready <-chan struct{}, run func(ctx context.Context) error) *Task {
	t.Helper()
	g := Go(t, what, run)
	g.within = within
	select {
	case <-ready:
	case <-g.Finished():
		t.Fatalf("%s returned before it was ready: %v", what, g.Err())
	case <-time.After(within):
		t.Fatalf("%s not ready in %v", what, within)
	}
	return g
}
