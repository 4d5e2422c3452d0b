package daemon

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/wire"
)

// DefaultDuplicateCheck is how often a daemon announces itself to other
// daemons with its id. A newcomer is found at once (it announces when it
// connects, and the others answer); the period only bounds how long a
// duplicate that vanished without a word (power cut) stays listed: three
// periods.
const DefaultDuplicateCheck = 30 * time.Second

// minDuplicateSilence is the shortest silence after which a duplicate is
// forgotten, whatever the period: an answer delayed by a busy machine or a
// slow link must not make a duplicate vanish and be reported again.
const minDuplicateSilence = 5 * time.Second

// InstanceSubject is where the daemons of one id announce themselves to
// each other. It lies under <prefix>.<id>.led.> because a device's
// least-privilege permissions (deploy/nats/accounts.conf) let it both
// publish and receive there, and no endpoint listens on it. Only daemons
// of the same id ever see it, so a fleet of any size costs each daemon
// one small message a period.
func InstanceSubject(prefix, id string) string {
	return wire.Subjects{Prefix: prefix, ID: id}.Instance()
}

// announcement is the message on InstanceSubject.
type announcement struct {
	// Instance is the micro service instance id (nats micro info).
	Instance string `json:"instance"`
	Host     string `json:"host,omitempty"`
	Version  string `json:"version,omitempty"`
	// Answer marks a reply to another's announcement: it is not answered,
	// so two daemons do not echo each other forever.
	Answer bool `json:"answer,omitempty"`
	// Leaving is sent on a clean stop, so the others forget at once.
	Leaving bool `json:"leaving,omitempty"`
}

// seenDup is a duplicate and when it was last heard from.
type seenDup struct {
	wire.Duplicate
	heard time.Time
}

// dupWatch remembers the other daemons with our id. Its methods accept a
// nil receiver (a Daemon that never ran), which knows of none.
type dupWatch struct {
	mu        sync.Mutex
	seen      map[string]seenDup
	announced uint64
	kick      chan struct{}
}

func newDupWatch() *dupWatch {
	return &dupWatch{seen: map[string]seenDup{}, kick: make(chan struct{}, 1)}
}

// poke asks for an announcement soon (after a reconnect); it never blocks.
func (w *dupWatch) poke() {
	if w == nil {
		return
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// list returns the duplicates by instance id, never nil, so the status
// reply says "duplicates": [] when there are none.
func (w *dupWatch) list() []wire.Duplicate {
	out := []wire.Duplicate{}
	if w == nil {
		return out
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range w.seen {
		out = append(out, d.Duplicate)
	}
	slices.SortFunc(out, func(a, b wire.Duplicate) int { return strings.Compare(a.Instance, b.Instance) })
	return out
}

func (w *dupWatch) count() int {
	if w == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

func (w *dupWatch) announcements() uint64 {
	if w == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.announced
}

// dupLink is what the watch needs to talk to the other daemons of an id.
type dupLink struct {
	nc      *nats.Conn
	subject string       // InstanceSubject
	self    announcement // what we announce
	id      string       // the device id, for the log
	log     *slog.Logger
}

// run listens for the other daemons of our id and announces us now, every
// interval and after each reconnect, until ctx ends; then it says we
// leave.
func (w *dupWatch) run(ctx context.Context, l dupLink, interval time.Duration) {
	// The subscription goes to the server before any announcement on the
	// same connection, so every answer finds it.
	sub, err := l.nc.Subscribe(l.subject, func(m *nats.Msg) { w.heard(l, m.Data) })
	if err != nil {
		l.log.Warn("cannot watch for other daemons with this id", "subject", l.subject, "err", err)
		return
	}
	defer func() { _ = sub.Unsubscribe() }()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if l.nc.IsConnected() {
			w.announce(l, l.self)
		}
		w.expire(l, time.Now().Add(-max(3*interval, minDuplicateSilence)))
		select {
		case <-ctx.Done():
			bye := l.self
			bye.Leaving = true
			w.announce(l, bye)
			return
		case <-t.C:
		case <-w.kick:
		}
	}
}

func (w *dupWatch) announce(l dupLink, a announcement) {
	b, err := json.Marshal(a)
	if err == nil {
		err = l.nc.Publish(l.subject, b)
	}
	if err != nil {
		l.log.Debug("announcing this instance", "err", err)
		return
	}
	w.mu.Lock()
	w.announced++
	w.mu.Unlock()
}

// heard handles another daemon's announcement: a new duplicate is logged
// once, at ERROR (requests are going astray), and answered so it learns
// of us at once too.
func (w *dupWatch) heard(l dupLink, data []byte) {
	var a announcement
	if json.Unmarshal(data, &a) != nil || a.Instance == "" || a.Instance == l.self.Instance {
		return
	}
	now := time.Now()
	w.mu.Lock()
	dup, known := w.seen[a.Instance]
	if a.Leaving {
		delete(w.seen, a.Instance)
	} else {
		if !known {
			dup = seenDup{Duplicate: wire.Duplicate{Instance: a.Instance, Host: a.Host, Version: a.Version, Since: now}}
		}
		dup.heard = now
		w.seen[a.Instance] = dup
	}
	w.mu.Unlock()
	switch {
	case a.Leaving && known:
		l.log.Info("the other sensehatd with this device id stopped", "id", l.id, "other_instance", a.Instance, "other_host", a.Host)
	case !a.Leaving && !known:
		l.log.Error("another sensehatd serves this device id: requests to it are split between the two; give each device its own --id",
			"id", l.id, "other_instance", a.Instance, "other_host", a.Host, "other_version", a.Version)
	}
	if !a.Leaving && !a.Answer {
		reply := l.self
		reply.Answer = true
		w.announce(l, reply)
	}
}

// expire forgets duplicates not heard from since before: they stopped
// without saying so, or the link to them is gone.
func (w *dupWatch) expire(l dupLink, before time.Time) {
	var gone []seenDup
	w.mu.Lock()
	for id, dup := range w.seen {
		if dup.heard.Before(before) {
			gone = append(gone, dup)
			delete(w.seen, id)
		}
	}
	w.mu.Unlock()
	for _, dup := range gone {
		l.log.Info("the other sensehatd with this device id is silent; forgetting it", "id", l.id, "other_instance", dup.Instance, "other_host", dup.Host)
	}
}
