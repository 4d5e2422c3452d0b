package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
)

// sensehat catchup runs until stopped, waiting for a hub that is not up
// yet (a service starts with the hub, or before it), and says what it
// watches; settings that cannot work are refused at once.
func TestCatchupCommand(t *testing.T) {
	code, _, stderr := run(context.Background(), "catchup", "--every", "0s")
	if code != 1 || !strings.Contains(stderr, "must be positive") {
		t.Errorf("catchup --every 0s: exit %d, %q; want 1 and why", code, stderr)
	}
	port := testutil.FreePort(t)
	b := runBackground(t, "catchup", "--nats", fmt.Sprintf("nats://127.0.0.1:%d", port), "--stream", "S", "--domain", "")
	testutil.WaitFor(t, 10*time.Second, "catchup saying what it watches", func() bool {
		return strings.Contains(b.errOut.String(), "watching the hub stream's sources") && strings.Contains(b.errOut.String(), "stream=S")
	})
	if code := b.stop(t); code != 0 {
		t.Errorf("catchup stopped: exit %d, want 0\n%s", code, b.errOut.String())
	}

	// With --fleet, the hub's URL, stream and domain are the fleet's.
	dir := filepath.Join(t.TempDir(), "fleet")
	hub := fmt.Sprintf("nats://127.0.0.1:%d", port)
	if code, out, errOut := run(context.Background(), "fleet", "init", dir, "--store", t.TempDir(), "--hub-url", hub,
		"--stream", "HISTORY", "--domain", "hq", "--leaf-host", "127.0.0.1", "--nats-server", ""); code != 0 {
		t.Fatalf("fleet init: exit %d\n%s%s", code, out, errOut)
	}
	b = runBackground(t, "catchup", "--fleet", dir)
	testutil.WaitFor(t, 10*time.Second, "catchup watching the fleet's stream", func() bool {
		s := b.errOut.String()
		return strings.Contains(s, "stream=HISTORY") && strings.Contains(s, "domain=hq") && strings.Contains(s, hub)
	}, func() string { return b.errOut.String() })
	if code := b.stop(t); code != 0 {
		t.Errorf("catchup --fleet stopped: exit %d, want 0\n%s", code, b.errOut.String())
	}
}
