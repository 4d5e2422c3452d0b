package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// logBuffer collects slog output from several goroutines, so a test can
// assert on what a user would read in the journal.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// lines returns the log lines containing every one of words.
func (l *logBuffer) lines(words ...string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		all := line != ""
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}

// waitLog waits until a log line holds every one of words.
func (l *logBuffer) waitLog(t testing.TB, within time.Duration, words ...string) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if ls := l.lines(words...); len(ls) > 0 {
			return ls[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q within %v; log:\n%s", words, within, l.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startOpts is what start fixes and the hardening tests need to vary: a
// watchdog interval and a log to read back.
type startOpts struct {
	watchdog time.Duration
	log      *logBuffer
	level    slog.Level
}

// startWith is start with a visible log and a watchdog. Unlike start it does
// not wait for Ready when the daemon is expected to keep retrying, which
// Ready does not depend on anyway: it is closed once the service is
// registered, connected or not.
func startWith(t testing.TB, cfg config.Config, o startOpts) *running {
	t.Helper()
	r := &running{hat: sim.NewHAT(), notify: &fakeNotifier{wd: o.watchdog}, done: make(chan error, 1)}
	if o.log == nil {
		o.log = &logBuffer{}
	}
	r.d = &Daemon{
		Config:   cfg,
		Log:      slog.New(slog.NewTextHandler(o.log, &slog.HandlerOptions{Level: o.level})),
		HAT:      r.hat,
		Notifier: r.notify,
		Ready:    make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.d.Run(ctx) }()
	select {
	case <-r.d.Ready:
	case err := <-r.done:
		t.Fatalf("daemon exited before ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("daemon not ready in 10s")
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stillRunning fails the test if Run has returned: the daemon must ride
// out every fault and only stop when told to.
func (r *running) stillRunning(t testing.TB) {
	t.Helper()
	select {
	case err := <-r.done:
		r.stopped = true
		t.Fatalf("Run returned %v during a fault; it must keep running", err)
	default:
	}
}

// status asks the device for its status over NATS.
func status(t testing.TB, nc *nats.Conn, id string) Status {
	t.Helper()
	m := request(t, nc, "sensehat."+id+".status", nil, 2*time.Second)
	var st Status
	if err := json.Unmarshal(m.Data, &st); err != nil {
		t.Fatalf("status %s: %v", m.Data, err)
	}
	return st
}

// waitFor polls cond until it holds.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// notifyCount counts the states sent that are exactly s.
func (f *fakeNotifier) count(s string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, x := range f.states {
		if x == s {
			n++
		}
	}
	return n
}

// lastPayloads are the last published payloads as text, "" for none yet.
type lastPayloads struct{ Env, Motion, Joystick string }

func lastOf(r *running) lastPayloads {
	l := r.d.pub.last()
	str := func(v any) string {
		if b, ok := v.(json.RawMessage); ok {
			return string(b)
		}
		return ""
	}
	return lastPayloads{Env: str(l.Env), Motion: str(l.Motion), Joystick: str(l.Joystick)}
}
