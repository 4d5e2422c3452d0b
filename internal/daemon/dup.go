package daemon

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/sensehat/sensehat/internal/service"
)

// DefaultDuplicateCheck is how often a running daemon looks for another
// instance with its id. The newer of two duplicates finds the older at
// once (it looks at start and after every reconnect); the older one finds
// the newer within this period. Every device answers each look, so it is
// not much shorter.
const DefaultDuplicateCheck = 30 * time.Second

// Duplicate is another running instance of the sensehat service that uses
// this daemon's id: requests to the id are split between the two.
type Duplicate struct {
	// Instance is the micro service's instance id (nats micro info).
	Instance string `json:"instance"`
	// Host is the other daemon's hostname, as its metadata says.
	Host    string    `json:"host,omitempty"`
	Version string    `json:"version,omitempty"`
	Since   time.Time `json:"since"`
}

// dupWatch remembers the duplicates seen by the last look.
type dupWatch struct {
	mu     sync.Mutex
	seen   map[string]Duplicate
	checks uint64
	kick   chan struct{}
}

func newDupWatch() *dupWatch {
	return &dupWatch{seen: map[string]Duplicate{}, kick: make(chan struct{}, 1)}
}

// poke asks for a look soon (after a reconnect); it never blocks.
func (w *dupWatch) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// list returns the duplicates by instance id, never nil, so the status
// reply says "duplicates": [] when there are none.
func (w *dupWatch) list() []Duplicate {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Duplicate, 0, len(w.seen))
	for _, d := range w.seen {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Duplicate) int { return strings.Compare(a.Instance, b.Instance) })
	return out
}

func (w *dupWatch) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

func (w *dupWatch) checksDone() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.checks
}

// run looks for duplicates now, every interval and after each reconnect,
// until ctx ends.
func (w *dupWatch) run(ctx context.Context, d *Daemon, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if d.nc.IsConnected() {
			if found, err := findDuplicates(ctx, d.nc, d.Config.ID, d.svc.Info().ID); err != nil {
				d.Log.Debug("looking for duplicate ids", "err", err)
			} else {
				w.update(d, found)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.kick:
		}
	}
}

// update logs each new duplicate once, at ERROR (requests are going
// astray), and each one that went away at INFO.
func (w *dupWatch) update(d *Daemon, found []micro.Ping) {
	now := time.Now()
	w.mu.Lock()
	w.checks++
	var added []Duplicate
	var gone []Duplicate
	next := make(map[string]Duplicate, len(found))
	for _, p := range found {
		dup, ok := w.seen[p.ID]
		if !ok {
			dup = Duplicate{Instance: p.ID, Host: p.Metadata["host"], Version: p.Version, Since: now}
			added = append(added, dup)
		}
		next[p.ID] = dup
	}
	for id, dup := range w.seen {
		if _, ok := next[id]; !ok {
			gone = append(gone, dup)
		}
	}
	w.seen = next
	w.mu.Unlock()
	for _, dup := range added {
		d.Log.Error("another sensehatd serves this device id: requests to it are split between the two; give each device its own --id",
			"id", d.Config.ID, "other_instance", dup.Instance, "other_host", dup.Host, "other_version", dup.Version)
	}
	for _, dup := range gone {
		d.Log.Info("the other sensehatd with this device id is gone", "id", d.Config.ID, "other_instance", dup.Instance, "other_host", dup.Host)
	}
}

// findDuplicates pings every sensehat service and returns the instances,
// other than self, whose metadata id is id. Replies are collected until
// none has come for a short while: the fleet answers together.
func findDuplicates(ctx context.Context, nc *nats.Conn, id, self string) ([]micro.Ping, error) {
	subj, err := micro.ControlSubject(micro.PingVerb, service.Name, "")
	if err != nil {
		return nil, err
	}
	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := nc.PublishRequest(subj, inbox, nil); err != nil {
		return nil, err
	}
	var out []micro.Ping
	wait := 2 * time.Second // the first reply, most likely our own
	for {
		wctx, cancel := context.WithTimeout(ctx, wait)
		m, err := sub.NextMsgWithContext(wctx)
		cancel()
		if err != nil {
			break
		}
		wait = 300 * time.Millisecond
		var p micro.Ping
		if json.Unmarshal(m.Data, &p) != nil || p.Name != service.Name {
			continue
		}
		if p.Metadata["id"] == id && p.ID != self {
			out = append(out, p)
		}
	}
	return out, nil
}
