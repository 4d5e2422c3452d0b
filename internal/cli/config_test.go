package cli

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/desired"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
	"github.com/sensehat/sensehat/internal/wire"
)

func jsServer(t *testing.T) *testutil.Server {
	t.Helper()
	o := testutil.DefaultOptions()
	o.JetStream, o.StoreDir = true, t.TempDir()
	return testutil.StartServer(t, o)
}

// set, get and unset through the tool; the values are JSON where they
// read as JSON and strings otherwise; a bad value is not written.
func TestConfigSetGetUnset(t *testing.T) {
	srv := jsServer(t)
	ctx := context.Background()
	// devices hear of the change on <p>.<id>.desired, republished by the
	// stream config set makes with the bucket
	nc := testutil.Connect(t, srv.URL())
	notice, err := nc.SubscribeSync("sensehat.pi1.desired")
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.Flush()
	code, out, errOut := run(ctx, "config", "set", "pi1", "rotation=180", "flip=h", "env_interval=2s", "--nats", srv.URL())
	if code != 0 || !strings.Contains(out, "pi1: revision 1") || errOut != "" {
		t.Fatalf("set: %d %q %q", code, out, errOut)
	}
	if m, err := notice.NextMsg(5 * time.Second); err != nil || m.Header.Get("Nats-Sequence") != "1" || !strings.Contains(string(m.Data), `"rotation":180`) {
		t.Errorf("no notice of revision 1 (%v)", err)
	}
	if code, out, _ = run(ctx, "config", "set", "--all", "low_light=true", "--nats", srv.URL()); code != 0 {
		t.Fatalf("set --all: %d %q", code, out)
	}
	code, out, _ = run(ctx, "config", "get", "pi1", "--nats", srv.URL())
	if code != 0 || !strings.Contains(out, `{"env_interval":"2s","flip":"h","rotation":180}`) || !strings.Contains(out, `_default  2         {"low_light":true}`) {
		t.Errorf("get:\n%s", out)
	}
	code, _, errOut = run(ctx, "config", "set", "pi1", "rotation=45", "--nats", srv.URL())
	if code != 1 || !strings.Contains(errOut, "is not accepted; give 0, 90, 180 or 270") {
		t.Errorf("a bad value: %d %q", code, errOut)
	}
	code, _, errOut = run(ctx, "config", "set", "pi1", "colour=red", "--nats", srv.URL())
	if code != 1 || !strings.Contains(errOut, "give key=value with a key of rotation") {
		t.Errorf("an unknown key: %d %q", code, errOut)
	}
	if code, out, errOut = run(ctx, "config", "unset", "pi1", "flip", "--nats", srv.URL()); code != 0 || !strings.Contains(out, "revision 3") {
		t.Errorf("unset: %d %q %q", code, out, errOut)
	}
	_, out, _ = run(ctx, "config", "get", "--all", "--nats", srv.URL())
	if !strings.Contains(out, `{"env_interval":"2s","rotation":180}`) {
		t.Errorf("get --all:\n%s", out)
	}
}

// Two writers race on one key, each with the revision it read: one wins,
// the other is told and writes nothing (JetStream's per-subject expected
// last sequence, checked by the server).
func TestConfigRacingWritersOneWins(t *testing.T) {
	srv := jsServer(t)
	ctx := context.Background()
	if code, _, errOut := run(ctx, "config", "set", "pi1", "rotation=0", "--nats", srv.URL()); code != 0 {
		t.Fatal(errOut)
	}
	nc := testutil.Connect(t, srv.URL())
	kv, err := desired.OpenBucket(ctx, nc, "", false)
	if err != nil {
		t.Fatal(err)
	}
	// Both read revision 1, then both write.
	docA, revA, err := desired.ReadKey(ctx, kv, "pi1")
	if err != nil {
		t.Fatal(err)
	}
	docB, revB, _ := desired.ReadKey(ctx, kv, "pi1")
	docA["rotation"], docB["rotation"] = json.RawMessage("90"), json.RawMessage("270")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { _, errs[0] = desired.WriteKey(ctx, kv, "pi1", revA, docA) })
	wg.Go(func() { _, errs[1] = desired.WriteKey(ctx, kv, "pi1", revB, docB) })
	wg.Wait()
	won, lost := 0, 0
	for _, e := range errs {
		switch {
		case e == nil:
			won++
		case errors.Is(e, desired.ErrConflict) && strings.Contains(e.Error(), "someone else changed pi1 after revision 1 was read; it is at revision 2 now"):
			lost++
		default:
			t.Errorf("unexpected: %v", e)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("%d won, %d lost: %v", won, lost, errs)
	}
	// Through the tool, a write on a stale revision is refused and says so.
	code, _, errOut := run(ctx, "config", "set", "pi1", "rotation=180", "--revision", "1", "--nats", srv.URL())
	if code != 1 || !strings.Contains(errOut, "pi1 is at revision 2, not 1: nothing written") {
		t.Errorf("stale --revision: %d %q", code, errOut)
	}
}

// diff lists the settings a device does not run as desired, and why.
func TestConfigDiff(t *testing.T) {
	srv := jsServer(t)
	ctx := context.Background()
	if code, _, errOut := run(ctx, "config", "set", "pi1", "rotation=180", "--nats", srv.URL()); code != 0 {
		t.Fatal(errOut)
	}
	simdaemon.StartOn(t, srv.URL(), "pi1")
	simdaemon.StartOn(t, srv.URL(), "pi2")
	nc := testutil.Connect(t, srv.URL())
	testutil.WaitFor(t, 15*time.Second, "pi1 applies its desired state", func() bool { return appliedRotation(t, nc, "pi1") == 180 })
	code, out, errOut := run(ctx, "config", "diff", "--nats", srv.URL())
	if code != 0 || !strings.Contains(out, "every reported state matches") {
		t.Fatalf("diff in step: %d %q %q", code, out, errOut)
	}
	// A setting that applies only at the next start differs until then.
	if code, _, errOut := run(ctx, "config", "set", "pi2", "env_interval=2s", "--nats", srv.URL()); code != 0 {
		t.Fatal(errOut)
	}
	testutil.WaitFor(t, 15*time.Second, "pi2 differs", func() bool {
		_, out, _ = run(ctx, "config", "diff", "--nats", srv.URL())
		return strings.Contains(out, "pi2")
	})
	if !strings.Contains(out, `env_interval  "2s"`) || !strings.Contains(out, "applies at the next start") || strings.Contains(out, "pi1 ") {
		t.Errorf("diff:\n%s", out)
	}
}

func appliedRotation(t *testing.T, nc *nats.Conn, id string) int {
	m, err := nc.Request("sensehat."+id+".status", nil, 2*time.Second)
	if err != nil {
		return -1
	}
	var st wire.Status
	var s wire.State
	if json.Unmarshal(m.Data, &st) != nil || json.Unmarshal(st.State, &s) != nil || s.InForce.Rotation == nil {
		return -1
	}
	return *s.InForce.Rotation
}
