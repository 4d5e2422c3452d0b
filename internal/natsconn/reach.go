package natsconn

import (
	"log/slog"
	"sync"
	"time"
)

// UnreachableLogEvery is the least time between two lines saying the
// server still cannot be reached. The first failed attempt of an outage is
// logged at once, whatever the reason; after that one line per period
// carries the count, so a Pi left without its server for a week writes a
// few thousand lines, not one per attempt.
const UnreachableLogEvery = 30 * time.Second

// reachability reports a server that cannot be reached at WARN. nats.go
// tells of a failed attempt in two ways: a ReconnectErrHandler call, with
// the error, for an attempt that could not dial (and for the first attempt
// at start-up, whatever failed); and for every round of attempts over the
// server list, a call of the reconnect delay, even when the attempt failed
// after dialling (the server speaks no TLS to a tls:// URL, or says nothing
// in time), which it reports no other way. Attempts are counted from the
// second, which nats.go numbers; the error comes from the first.
type reachability struct {
	log   *slog.Logger
	url   string
	every time.Duration
	now   func() time.Time

	mu        sync.Mutex
	connected bool      // connected at least once: a delay then precedes its attempt
	since     time.Time // first failure of this outage; zero while connected
	failed    int       // attempts failed in this outage
	logged    int       // failed when the last line was written; -1: none yet
	lastLine  time.Time
	lastErr   error
}

func newReachability(log *slog.Logger, url string) *reachability {
	return &reachability{log: log, url: Redact(url), every: UnreachableLogEvery, now: time.Now, logged: -1}
}

// attemptFailed is nats.go's ReconnectErrHandler: an attempt failed with err.
func (r *reachability) attemptFailed(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.since.IsZero() {
		r.since = now
	}
	if err != nil {
		r.lastErr = err
	}
	r.failed = max(r.failed, 1)
	r.report(now)
}

// round is nats.go's reconnect delay for round n of this outage, called
// before it waits. After a disconnect, round n follows n-1 failed rounds;
// at start-up the first attempt failed before round 1.
func (r *reachability) round(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	failed := n - 1
	if !r.connected {
		failed = n
	}
	if failed <= 0 {
		return
	}
	now := r.now()
	if r.since.IsZero() {
		r.since = now
	}
	r.failed = max(r.failed, failed)
	// The error of a failed start-up attempt reaches attemptFailed from
	// nats.go's callback goroutine, maybe after round 1: let it say the
	// first line, with the reason.
	if r.logged < 0 && !r.connected && n == 1 {
		return
	}
	r.report(now)
}

// report writes a line for the failures not yet reported: at once for the
// first of an outage, then at most once per r.every. r.mu must be held.
func (r *reachability) report(now time.Time) {
	if r.logged >= 0 && (r.failed == r.logged || now.Sub(r.lastLine) < r.every) {
		return
	}
	msg := "cannot reach the NATS server; retrying"
	if r.logged >= 0 {
		msg = "still cannot reach the NATS server; retrying"
	}
	args := []any{"server", r.url, "failed_attempts", r.failed, "down_for", now.Sub(r.since).Round(time.Second)}
	if r.lastErr != nil {
		args = append(args, "err", Explain(r.lastErr))
	}
	r.log.Warn(msg, args...)
	r.logged, r.lastLine = r.failed, now
}

// up is called on every connect and reconnect: it ends the outage, saying
// how long it lasted if it was reported.
func (r *reachability) up() (failed int, down time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.since.IsZero() {
		failed, down = r.failed, r.now().Sub(r.since).Round(time.Second)
	}
	r.connected = true
	r.since, r.failed, r.logged, r.lastErr = time.Time{}, 0, -1, nil
	return failed, down
}
