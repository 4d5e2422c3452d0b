package daemon

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/desired"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// jsServer starts an embedded nats-server with JetStream (in domain, if
// not "") and returns it.
func jsServer(t testing.TB, domain string) *testutil.Server {
	t.Helper()
	o := testutil.DefaultOptions()
	o.JetStream, o.StoreDir, o.JetStreamDomain = true, t.TempDir(), domain
	return testutil.StartServer(t, o)
}

// desiredKV creates the desired-state bucket and the stream that tells
// devices of its changes on the server at url, as `sensehat config set`
// does.
func desiredKV(t testing.TB, nc *nats.Conn, domain string) jetstream.KeyValue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	js, err := desired.JetStream(nc, domain)
	if err != nil {
		t.Fatal(err)
	}
	// without the value limit sensehat config sets: hostile values too
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: wire.DesiredBucket, History: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := desired.EnsureNotify(ctx, nc, domain, "sensehat"); err != nil {
		t.Fatal(err)
	}
	return kv
}

func put(t testing.TB, kv jetstream.KeyValue, key, value string) uint64 {
	t.Helper()
	rev, err := kv.Put(context.Background(), key, []byte(value))
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return rev
}

// reported decodes the status reply's state.
func reported(t testing.TB, st wire.Status) wire.State {
	t.Helper()
	var s wire.State
	if len(st.State) == 0 {
		return s
	}
	if err := json.Unmarshal(st.State, &s); err != nil {
		t.Fatalf("state %s: %v", st.State, err)
	}
	return s
}

// waitState polls the status reply until cond holds for its state.
func waitState(t testing.TB, nc *nats.Conn, id, what string, cond func(wire.State) bool) wire.State {
	t.Helper()
	var last wire.State
	testutil.WaitFor(t, 10*time.Second, what, func() bool {
		last = reported(t, status(t, nc, id))
		return cond(last)
	})
	return last
}

func rotation(s wire.State) int {
	if s.InForce.Rotation == nil {
		return -1
	}
	return *s.InForce.Rotation
}

// The device's key overrides the default key setting by setting; both
// over the flags. What is in force is in the status reply and on the state
// subject; the matrix itself turned.
func TestDesiredStateAppliedAndReported(t *testing.T) {
	srv := jsServer(t, "")
	nc := connect(t, srv.URL())
	kv := desiredKV(t, nc, "")
	put(t, kv, wire.DesiredDefaultKey, `{"rotation":90,"low_light":true}`)
	rev := put(t, kv, "pi1", `{"rotation":180}`)
	states, err := nc.SubscribeSync("sensehat.pi1.state")
	if err != nil {
		t.Fatal(err)
	}
	cfg := simConfig(t, srv.URL(), "pi1")
	r := startWith(t, cfg, startOpts{})
	// each key has a watch of its own: either may come first
	s := waitState(t, nc, "pi1", "desired state applied", func(s wire.State) bool { return s.Revision == rev && s.DefaultRevision == rev-1 })
	if rotation(s) != 180 || s.InForce.LowLight == nil || !*s.InForce.LowLight {
		t.Errorf("in force %v, want rotation 180 (device key) and low light (default key)", s.InForce.Values())
	}
	if s.From["rotation"] != "desired" || s.From["low_light"] != "desired" || s.From["env_interval"] != "flags" || s.From["gamma"] != "default" {
		t.Errorf("from %v", s.From)
	}
	if s.Source != "bucket" || s.Problem != "" {
		t.Errorf("source %q, problem %q", s.Source, s.Problem)
	}
	if ps := r.d.player.Status(); ps.Orientation.Rotation != 180 || !ps.LowLight {
		t.Errorf("the player runs rotation %d, low light %v", ps.Orientation.Rotation, ps.LowLight)
	}
	m, err := states.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("no message on the state subject: %v", err)
	}
	var pub wire.State
	if err := json.Unmarshal(m.Data, &pub); err != nil {
		t.Fatal(err)
	}

	// Unsetting the device's rotation falls back to the default key's.
	put(t, kv, "pi1", `{}`)
	waitState(t, nc, "pi1", "default key's rotation", func(s wire.State) bool { return rotation(s) == 90 })
	// And deleting the default key to the flags' (0).
	if err := kv.Delete(context.Background(), wire.DesiredDefaultKey); err != nil {
		t.Fatal(err)
	}
	s = waitState(t, nc, "pi1", "flags' rotation", func(s wire.State) bool { return rotation(s) == 0 })
	if s.From["rotation"] != "default" {
		t.Errorf("rotation from %q", s.From["rotation"])
	}
	// A start-only setting is reported as waiting for a restart.
	put(t, kv, "pi1", `{"env_interval":"2s"}`)
	s = waitState(t, nc, "pi1", "needs restart", func(s wire.State) bool { return len(s.NeedsRestart) > 0 })
	if strings.Join(s.NeedsRestart, ",") != "env_interval" {
		t.Errorf("needs restart %v", s.NeedsRestart)
	}
}

// A hostile value (wrong type, out of range, 1 MB, deeply nested) is
// refused and reported; the daemon keeps the previous value and runs on.
func TestDesiredStateHostileValuesRefused(t *testing.T) {
	srv := jsServer(t, "")
	nc := connect(t, srv.URL())
	kv := desiredKV(t, nc, "")
	put(t, kv, "pi1", `{"rotation":180,"brightness":0.5}`)
	r := start(t, simConfig(t, srv.URL(), "pi1"))
	waitState(t, nc, "pi1", "first value", func(s wire.State) bool { return rotation(s) == 180 })
	for _, tc := range []struct {
		name, value, setting, reason string
	}{
		{"wrong type", `{"rotation":"upside down","brightness":0.25}`, "rotation", "not accepted"},
		{"out of range", `{"rotation":45,"brightness":0.25}`, "rotation", "give 0, 90, 180 or 270"},
		{"1 MB", `{"ha_prefix":"` + strings.Repeat("x", 1<<20-200) + `"}`, "", "too large"},
		{"deeply nested", `{"rotation":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`, "", "nested too deep"},
		{"not JSON", "\x00\xff{", "", "not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rev := put(t, kv, "pi1", tc.value)
			s := waitState(t, nc, "pi1", "refusal reported", func(s wire.State) bool { return s.Revision == rev })
			if len(s.Refused) != 1 || s.Refused[0].Setting != tc.setting || !strings.Contains(s.Refused[0].Reason, tc.reason) || s.Refused[0].Revision != rev {
				t.Fatalf("refused %+v, want %q for %q", s.Refused, tc.reason, tc.setting)
			}
			if len(s.Refused[0].Reason) > 500 {
				t.Errorf("the refusal echoes %d bytes", len(s.Refused[0].Reason))
			}
			if rotation(s) != 180 || r.d.player.Status().Orientation.Rotation != 180 {
				t.Errorf("rotation %d in force, want the previous 180", rotation(s))
			}
			if tc.setting != "" && *s.InForce.Brightness != 0.25 {
				t.Errorf("brightness %v: the good field of the document was not applied", *s.InForce.Brightness)
			}
		})
	}
	r.stillRunning(t)
}

// A led.config request wins over the desired state and is reported as
// not written: the device's key in the bucket stays as the operator wrote
// it (a device may not write it, docs/desired-state.md). A later desired
// change of another setting leaves the request in force; the next desired
// change of the same setting applies.
func TestRequestWinsAndIsNotWritten(t *testing.T) {
	srv := jsServer(t, "")
	nc := connect(t, srv.URL())
	kv := desiredKV(t, nc, "")
	const doc = `{"rotation":180,"brightness":0.5}`
	rev := put(t, kv, "pi1", doc)
	start(t, simConfig(t, srv.URL(), "pi1"))
	waitState(t, nc, "pi1", "desired", func(s wire.State) bool { return rotation(s) == 180 })
	request(t, nc, "sensehat.pi1.led.config", []byte(`{"rotation":270}`), 2*time.Second)
	s := waitState(t, nc, "pi1", "the request in force", func(s wire.State) bool { return rotation(s) == 270 })
	if !strings.HasPrefix(s.WriteBack, "not written to the desired state") || !strings.Contains(s.WriteBack, "sensehat config set pi1 rotation=270") {
		t.Errorf("write_back %q, want it reported as not written, with the command that makes it last", s.WriteBack)
	}
	if s.From["rotation"] != "request" || s.Desired.Rotation == nil || *s.Desired.Rotation != 180 {
		t.Errorf("rotation from %q, desired %v: want the request in force over a desired 180", s.From["rotation"], s.Desired.Rotation)
	}
	e, err := kv.Get(context.Background(), "pi1")
	if err != nil {
		t.Fatal(err)
	}
	if e.Revision() != rev || string(e.Value()) != doc {
		t.Errorf("the device's key is at revision %d holding %s, want %d holding %s as written", e.Revision(), e.Value(), rev, doc)
	}
	put(t, kv, "pi1", `{"rotation":180,"brightness":0.5,"low_light":true}`)
	s = waitState(t, nc, "pi1", "low light", func(s wire.State) bool { return s.InForce.LowLight != nil && *s.InForce.LowLight })
	if rotation(s) != 270 || s.WriteBack == "" {
		t.Errorf("rotation %d, write_back %q: a change of another setting undid the request", rotation(s), s.WriteBack)
	}
	put(t, kv, "pi1", `{"rotation":90,"brightness":0.5,"low_light":true}`)
	s = waitState(t, nc, "pi1", "the next desired rotation", func(s wire.State) bool { return rotation(s) == 90 })
	if s.From["rotation"] != "desired" || s.WriteBack != "" {
		t.Errorf("rotation from %q, write_back %q: want the desired state in force and no note of the request", s.From["rotation"], s.WriteBack)
	}
}

// A daemon restarted while its server is down comes up with the desired
// state it last read (the state directory's copy).
func TestRestartWithoutServerKeepsDesiredState(t *testing.T) {
	srv := jsServer(t, "")
	nc := connect(t, srv.URL())
	kv := desiredKV(t, nc, "")
	rev := put(t, kv, "pi1", `{"rotation":90,"flip":"h","env_interval":"200ms"}`)
	cfg := simConfig(t, srv.URL(), "pi1")
	r := start(t, cfg)
	waitState(t, nc, "pi1", "applied", func(s wire.State) bool { return s.Revision == rev })
	r.stop(t)
	srv.Shutdown()
	srv.WaitForShutdown()

	r2 := start(t, cfg) // same state dir, no server
	st := r2.d.desired.State()
	if rotation(st) != 90 || *st.InForce.Flip != "h" || st.Source != "local copy" || st.Revision != rev {
		t.Errorf("restarted with %v from %q at revision %d", st.InForce.Values(), st.Source, st.Revision)
	}
	if ps := r2.d.player.Status(); ps.Orientation.Rotation != 90 || !ps.Orientation.FlipH {
		t.Errorf("the player runs %+v", ps.Orientation)
	}
	// The start-only setting took effect at this start.
	if *st.InForce.EnvInterval != "200ms" || len(st.NeedsRestart) != 0 || st.From["env_interval"] != "desired" {
		t.Errorf("env interval %s, needs restart %v", *st.InForce.EnvInterval, st.NeedsRestart)
	}
}
