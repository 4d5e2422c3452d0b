package daemon

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/wire"
)

// stillRunning fails the test if Run has returned: the daemon must ride
// out every fault and only stop when told to.
func (r *running) stillRunning(t testing.TB) {
	t.Helper()
	select {
	case <-r.run.Finished():
		t.Fatalf("Run returned %v during a fault; it must keep running", r.run.Err())
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
