// Package health counts errors by subsystem and remembers the last one, so
// the status reply and systemd's STATUS= line can say what is going wrong
// without anyone reading the logs. It also keeps repeated warnings from
// flooding the log: a flood of bad requests must not fill a Pi's SD card.
package health

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/sensehat/sensehat/internal/wire"
)

// Warnings of one kind beyond LogBurst within LogWindow are counted, not
// logged; when the window is over one summary line says how many were
// left out. Five lines show what is wrong; the count shows how often.
const (
	LogBurst  = 5
	LogWindow = 10 * time.Second
)

// Registry is safe for concurrent use. The zero value is ready.
type Registry struct {
	// Clock, if set, replaces time.Now, so tests can end a log window
	// without waiting for it. Set it before first use.
	Clock func() time.Time

	mu         sync.Mutex
	counts     map[string]uint64
	last       string
	lastAt     time.Time
	windows    map[string]*logWindow
	suppressed map[string]uint64
}

// logWindow is one kind's current rate-limit window.
type logWindow struct {
	start      time.Time
	logged     int
	suppressed uint64
}

func (r *Registry) now() time.Time {
	if r.Clock != nil {
		return r.Clock()
	}
	return time.Now()
}

// Record counts err against subsystem ("display", "nats", "hts221", ...).
// A nil err is ignored.
func (r *Registry) Record(subsystem string, err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]uint64{}
	}
	r.counts[subsystem]++
	r.last = subsystem + ": " + msg
	r.lastAt = now
}

// Count returns the errors counted for subsystem.
func (r *Registry) Count(subsystem string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[subsystem]
}

// Warn logs msg at WARN level unless LogBurst warnings of the same kind
// were already logged in the current LogWindow; then it only counts it.
// kind names the warning ("request refused"), not its details, so a flood
// of different bad payloads is still one kind.
func (r *Registry) Warn(log *slog.Logger, kind, msg string, args ...any) {
	now := r.now()
	r.mu.Lock()
	if r.windows == nil {
		r.windows = map[string]*logWindow{}
		r.suppressed = map[string]uint64{}
	}
	w := r.windows[kind]
	var over logWindow
	if w == nil || now.Sub(w.start) >= LogWindow {
		if w != nil {
			over = *w
		}
		w = &logWindow{start: now}
		r.windows[kind] = w
	}
	allow := w.logged < LogBurst
	if allow {
		w.logged++
	} else {
		w.suppressed++
		r.suppressed[kind]++
	}
	r.mu.Unlock()
	if over.suppressed > 0 {
		summarize(log, kind, over, now)
	}
	if allow {
		log.Log(context.Background(), slog.LevelWarn, msg, args...)
	}
}

// FlushWarnings logs the summary line of every window that has ended with
// warnings left out, so a flood that stops is still reported; with all
// set it also ends the windows still open (at shutdown). Call it
// periodically.
func (r *Registry) FlushWarnings(log *slog.Logger, all bool) {
	now := r.now()
	type ended struct {
		kind string
		w    logWindow
	}
	var out []ended
	r.mu.Lock()
	for kind, w := range r.windows {
		if !all && now.Sub(w.start) < LogWindow {
			continue
		}
		delete(r.windows, kind)
		if w.suppressed > 0 {
			out = append(out, ended{kind, *w})
		}
	}
	r.mu.Unlock()
	for _, e := range out {
		summarize(log, e.kind, e.w, now)
	}
}

func summarize(log *slog.Logger, kind string, w logWindow, now time.Time) {
	span := max(now.Sub(w.start), LogWindow).Round(time.Second)
	log.Warn(fmt.Sprintf("suppressed %d similar warnings in the last %s", w.suppressed, span),
		"kind", kind, "suppressed", w.suppressed)
}

// Suppressed returns how many warnings of kind were counted but not
// logged since the start.
func (r *Registry) Suppressed(kind string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.suppressed[kind]
}

// Snapshot copies the registry, as the status reply shows it.
func (r *Registry) Snapshot() wire.ErrorsStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := wire.ErrorsStatus{Counts: maps.Clone(r.counts), Last: r.last, SuppressedLogs: maps.Clone(r.suppressed)}
	if s.Counts == nil {
		s.Counts = map[string]uint64{}
	}
	if s.SuppressedLogs == nil {
		s.SuppressedLogs = map[string]uint64{}
	}
	if !r.lastAt.IsZero() {
		t := r.lastAt
		s.LastAt = &t
	}
	return s
}
