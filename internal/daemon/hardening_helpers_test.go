package daemon

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// logBuffer collects slog output from several goroutines, so a test can
// assert on what a user would read in the journal.
type logBuffer struct{ testutil.LogBuffer }

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
func status(t testing.TB, nc *nats.Conn, id string) wire.Status {
	t.Helper()
	m := request(t, nc, "sensehat."+id+".status", nil, 2*time.Second)
	var st wire.Status
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
	str := func(b json.RawMessage) string { return string(b) }
	return lastPayloads{Env: str(l.Env), Motion: str(l.Motion), Joystick: str(l.Joystick)}
}
