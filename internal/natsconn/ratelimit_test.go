package natsconn

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/testutil"
)

// TestPermissionViolationsAreRateLimited publishes where the server
// refuses it, many times: the server answers each publish with its own
// -ERR (nats-server's permissions check runs per message), so the client
// sees one async error per publish. Each is counted; only the first
// health.LogBurst are logged within a window.
func TestPermissionViolationsAreRateLimited(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, &server.Options{Users: []*server.User{{
		Username: "dev", Password: "pw",
		Permissions: &server.Permissions{Publish: &server.SubjectPermission{Allow: []string{"allowed"}}},
	}}})
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	errs := &health.Registry{Clock: func() time.Time { return clock }}
	var logs testutil.LogBuffer
	nc, err := Connect(Settings{URL: srv.URL(), User: "dev", Password: "pw", Errors: errs}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	const sent = 100
	for range sent {
		if err := nc.Publish("denied", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for errs.Count("nats") < sent {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d permission violations counted within 10s", errs.Count("nats"), sent)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := strings.Count(logs.String(), "level=WARN msg=\"NATS error\""); got != health.LogBurst {
		t.Errorf("%d \"NATS error\" lines for %d violations, want %d", got, sent, health.LogBurst)
	}
	if got := errs.Suppressed("NATS error"); got != sent-health.LogBurst {
		t.Errorf("suppressed %d, want %d", got, sent-health.LogBurst)
	}
	if !strings.Contains(errs.Snapshot().Last, nats.ErrPermissionViolation.Error()) {
		t.Errorf("last error %q is not the permission violation", errs.Snapshot().Last)
	}
}
