package daemon

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/testutil"
)

// testClock moves only when the test says so; the daemon reads it from
// several goroutines.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *testClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// TestRefusedFloodLogIsBounded sends a flood of bad texts without a reply
// subject: each is refused and, before the rate limit, each wrote a WARN
// line (about 180 bytes; 5 s of a 100k msg/s flood wrote 90 MB). Now the
// log holds the first health.LogBurst lines and, once the window is over,
// one summary; the status reply counts every refusal and every line left
// out. The clock is the test's, so the window cannot end mid-flood.
func TestRefusedFloodLogIsBounded(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	clk := newTestClock()
	var logs testutil.LogBuffer
	r := startWith(t, simConfig(t, srv.URL(), "pi1"), startOpts{log: &logs, clock: clk.now})
	nc := connect(t, srv.URL())

	before := len(logs.String())
	const sent = 5000
	// An unknown colour is refused by the payload parser (400), and with
	// no reply subject the refusal can only be logged.
	bad := []byte(`{"text":"x","color":"notacolour"}`)
	for range sent {
		if err := nc.Publish("sensehat.pi1.led.text", bad); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 30*time.Second, "every bad text counted", func() bool {
		return status(t, nc, "pi1").Errors.Counts["request"] == sent
	})

	st := status(t, nc, "pi1")
	if got := st.Errors.SuppressedLogs["request refused"]; got != sent-health.LogBurst {
		t.Errorf("errors.suppressed_logs[request refused] = %d, want %d (%d refused, %d logged)", got, sent-health.LogBurst, sent, health.LogBurst)
	}
	refusedLines := logs.Lines("request refused")
	if len(refusedLines) != health.LogBurst {
		t.Errorf("%d \"request refused\" lines for %d refusals, want %d", len(refusedLines), sent, health.LogBurst)
	}
	// Bounded: the burst, well under what one line per refusal wrote.
	written := len(logs.String()) - before
	if written > health.LogBurst*400 {
		t.Errorf("the flood wrote %d bytes of log, want at most %d; log:\n%s", written, health.LogBurst*400, logs.String()[before:])
	}
	t.Logf("%d refusals wrote %d bytes of log in %d lines", sent, written, len(refusedLines))

	// The window ends: the supervise loop writes the summary.
	clk.advance(health.LogWindow)
	want := fmt.Sprintf("suppressed %d similar warnings in the last 10s", sent-health.LogBurst)
	line := logs.WaitLog(t, 10*time.Second, want)
	if !strings.Contains(line, `kind="request refused"`) {
		t.Errorf("summary line %q does not name its kind", line)
	}
	if n := len(logs.Lines("suppressed ")); n != 1 {
		t.Errorf("%d summary lines, want 1", n)
	}
	r.stop(t)
}
