package natsconn

import (
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
)

// warnLines returns the lines of buf that say the server cannot be reached.
func warnLines(buf *testutil.LogBuffer) []string {
	var out []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "cannot reach the NATS server") {
			out = append(out, l)
		}
	}
	return out
}

// TestUnreachableWarnsFromFirstAttempt: whatever keeps the server out of
// reach, the first failed attempt is a WARN line saying why, and the
// attempts that follow within UnreachableLogEvery add no line.
func TestUnreachableWarnsFromFirstAttempt(t *testing.T) {
	refused := func(t *testing.T) string {
		// A port just freed: the kernel answers a connect with RST.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "nats://" + addr
	}
	plain := func(t *testing.T) string {
		// A real nats-server without TLS, asked for TLS by the URL.
		srv := testutil.StartServer(t, nil)
		return strings.Replace(srv.URL(), "nats://", "tls://", 1)
	}
	silent := func(t *testing.T) string {
		// Takes the connection and never sends INFO, as a stuck server or
		// a proxy with nothing behind would.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			var held []net.Conn
			defer func() {
				for _, c := range held {
					c.Close()
				}
			}()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				held = append(held, c)
			}
		}()
		return "nats://" + l.Addr().String()
	}
	for _, tc := range []struct {
		name   string
		url    func(*testing.T) string
		reason string
	}{
		// nats.go reports a refused first attempt as "no servers available".
		{"refused", refused, "is nats-server running"},
		{"tls to a plain server", plain, "secure connection not available"},
		{"no answer in time", silent, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf testutil.LogBuffer
			nc, err := Connect(Settings{URL: tc.url(t), Timeout: 300 * time.Millisecond}, slog.New(slog.NewTextHandler(&buf, nil)))
			if err != nil {
				t.Fatalf("Connect = %v; a server out of reach is not an error at start-up", err)
			}
			defer nc.Close()
			deadline := time.Now().Add(5 * time.Second)
			for len(warnLines(&buf)) == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("no WARN within 5s; log:\n%s", buf.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			first := warnLines(&buf)[0]
			if !strings.Contains(first, "failed_attempts=1 ") || !strings.Contains(first, tc.reason) {
				t.Errorf("first line %q: want failed_attempts=1 and %q", first, tc.reason)
			}
			// The retries at 0.5, 1 and 2 s (backoff) fall within the
			// rate limit's window.
			time.Sleep(3500 * time.Millisecond)
			if got := warnLines(&buf); len(got) != 1 {
				t.Errorf("%d lines in 3.5s, want 1:\n%s", len(got), strings.Join(got, "\n"))
			}
		})
	}
}

// TestReachabilityCountsAndLimits drives the reporter as nats.go does,
// with a clock that moves only when told.
func TestReachabilityCountsAndLimits(t *testing.T) {
	var buf testutil.LogBuffer
	r := newReachability(slog.New(slog.NewTextHandler(&buf, nil)), "nats://u:secret@hub:4222")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	refused := errors.New("dial tcp 10.0.0.1:4222: connect: connection refused")

	// Start-up: round 1 comes before the first attempt's error; the error
	// says the first line.
	r.round(1)
	if n := len(warnLines(&buf)); n != 0 {
		t.Fatalf("%d lines before the error arrived", n)
	}
	r.attemptFailed(refused)
	// Then a silent failure every 10 s (a tls:// URL to a plain server):
	// one line per UnreachableLogEvery, with the count.
	for n := 2; n <= 10; n++ {
		now = now.Add(10 * time.Second)
		r.round(n)
	}
	got := warnLines(&buf)
	if len(got) != 4 { // at 0, 30, 60 and 90 s
		t.Fatalf("%d lines over 90s, want 4:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i, want := range []string{"failed_attempts=1 down_for=0s", "failed_attempts=4 down_for=30s", "failed_attempts=7 down_for=1m0s", "failed_attempts=10 down_for=1m30s"} {
		if !strings.Contains(got[i], want) || !strings.Contains(got[i], "connection refused") {
			t.Errorf("line %d %q: want %q and the last error", i, got[i], want)
		}
	}
	if strings.Contains(buf.String(), "secret") {
		t.Error("the password in the URL was logged")
	}
	if failed, down := r.up(); failed != 10 || down != 90*time.Second {
		t.Errorf("up() = %d, %v; want 10, 1m30s", failed, down)
	}

	// After a disconnect round 1 precedes the first attempt: nothing has
	// failed yet. The next outage is reported at once again.
	buf = testutil.LogBuffer{}
	r.round(1)
	if n := len(warnLines(&buf)); n != 0 {
		t.Fatalf("%d lines before any attempt failed", n)
	}
	now = now.Add(time.Second)
	r.round(2)
	if got := warnLines(&buf); len(got) != 1 || !strings.Contains(got[0], "failed_attempts=1 ") {
		t.Errorf("after a disconnect: %q, want one line at the first failure", got)
	}
}
