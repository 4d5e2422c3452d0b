// Package health counts errors by subsystem and remembers the last one, so
// the status reply and systemd's STATUS= line can say what is going wrong
// without anyone reading the logs.
package health

import (
	"maps"
	"sync"
	"time"
)

// Registry is safe for concurrent use. The zero value is ready.
type Registry struct {
	mu     sync.Mutex
	counts map[string]uint64
	last   string
	lastAt time.Time
}

// Record counts err against subsystem ("display", "nats", "hts221", ...).
// A nil err is ignored.
func (r *Registry) Record(subsystem string, err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]uint64{}
	}
	r.counts[subsystem]++
	r.last = subsystem + ": " + msg
	r.lastAt = time.Now()
}

// Count returns the errors counted for subsystem.
func (r *Registry) Count(subsystem string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[subsystem]
}

// Snapshot is the registry's content at one moment.
type Snapshot struct {
	Counts map[string]uint64 `json:"counts"`
	Last   string            `json:"last,omitempty"`
	LastAt *time.Time        `json:"last_at,omitempty"`
}

// Snapshot copies the registry.
func (r *Registry) Snapshot() Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Snapshot{Counts: maps.Clone(r.counts), Last: r.last}
	if s.Counts == nil {
		s.Counts = map[string]uint64{}
	}
	if !r.lastAt.IsZero() {
		t := r.lastAt
		s.LastAt = &t
	}
	return s
}
