package health

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRecordCountsAndRemembersLast(t *testing.T) {
	var r Registry
	r.Record("hts221", nil)
	if s := r.Snapshot(); len(s.Counts) != 0 || s.LastAt != nil {
		t.Fatalf("nil error recorded: %+v", s)
	}
	r.Record("hts221", errors.New("nack"))
	r.Record("hts221", errors.New("short read"))
	r.Record("nats", errors.New("disconnected"))
	s := r.Snapshot()
	if s.Counts["hts221"] != 2 || s.Counts["nats"] != 1 || r.Count("hts221") != 2 {
		t.Errorf("counts = %v", s.Counts)
	}
	if s.Last != "nats: disconnected" || s.LastAt == nil {
		t.Errorf("last = %q at %v", s.Last, s.LastAt)
	}
	s.Counts["hts221"] = 99
	if r.Count("hts221") != 2 {
		t.Error("snapshot shares the registry's map")
	}
}

// clock is a test clock that moves only when told.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestWarnLimitsEachKindAndSummarizes(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := Registry{Clock: c.now}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	lines := func() []string {
		s := strings.TrimSpace(buf.String())
		buf.Reset()
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}

	for i := range 100 {
		r.Warn(log, "request refused", "request refused", "n", i)
	}
	r.Warn(log, "nats", "NATS error")
	got := lines()
	if len(got) != LogBurst+1 {
		t.Fatalf("%d lines for 100 warnings of one kind and 1 of another, want %d:\n%s", len(got), LogBurst+1, strings.Join(got, "\n"))
	}
	if r.Suppressed("request refused") != 100-LogBurst || r.Suppressed("nats") != 0 {
		t.Errorf("suppressed = %d, %d; want %d, 0", r.Suppressed("request refused"), r.Suppressed("nats"), 100-LogBurst)
	}

	// Before the window ends, flushing says nothing.
	c.t = c.t.Add(LogWindow - time.Second)
	r.FlushWarnings(log, false)
	if got := lines(); len(got) != 0 {
		t.Fatalf("flush inside the window logged %q", got)
	}
	c.t = c.t.Add(time.Second)
	r.FlushWarnings(log, false)
	got = lines()
	want := `level=WARN msg="suppressed 95 similar warnings in the last 10s" kind="request refused" suppressed=95`
	if len(got) != 1 || got[0] != want {
		t.Fatalf("summary lines %q, want [%q]", got, want)
	}

	// A new window logs again; its summary comes with the first warning
	// after it ends, and the total keeps counting.
	for range LogBurst + 3 {
		r.Warn(log, "request refused", "request refused")
	}
	c.t = c.t.Add(LogWindow)
	r.Warn(log, "request refused", "request refused")
	got = lines()
	if len(got) != LogBurst+2 || !strings.Contains(got[LogBurst], `"suppressed 3 similar warnings in the last 10s"`) {
		t.Fatalf("second window logged:\n%s", strings.Join(got, "\n"))
	}
	if s := r.Snapshot().SuppressedLogs; s["request refused"] != 95+3 {
		t.Errorf("snapshot suppressed_logs = %v, want 98 request refused", s)
	}

	// At shutdown the open window is summarized at once: it holds one
	// logged warning already, so LogBurst more leave one out.
	for range LogBurst {
		r.Warn(log, "request refused", "request refused")
	}
	lines()
	r.FlushWarnings(log, true)
	if got := lines(); len(got) != 1 || !strings.Contains(got[0], `"suppressed 1 similar warnings`) {
		t.Fatalf("flush at shutdown logged %q", got)
	}
}
