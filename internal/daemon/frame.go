package daemon

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
)

// FrameRate is the most live frames a second the daemon publishes on
// <prefix>.<id>.led.frame.live while watched: a scroll changes the matrix
// about 10 times a second, and a mirror in a browser needs no more.
const FrameRate = 10

// frameWatch publishes changed frames while a lease taken on
// led.frame.watch lasts, and costs one atomic load per frame otherwise.
// hook runs on the display player's loop; run publishes from its own
// goroutine so a slow connection never holds up the matrix.
type frameWatch struct {
	player  *display.Player
	subject string
	every   time.Duration
	now     func() time.Time

	until atomic.Int64 // lease end, UnixNano; 0 or past: nobody watches
	wake  chan struct{}

	mu    sync.Mutex
	frame [display.FrameBytes]byte
	dirty bool

	copied    atomic.Uint64 // frames the hook kept: work done for watchers
	published atomic.Uint64 // frames sent
}

func newFrameWatch(subject string, every time.Duration) *frameWatch {
	return &frameWatch{subject: subject, every: every, now: time.Now, wake: make(chan struct{}, 1)}
}

// watched reports whether a lease is running at t.
func (w *frameWatch) watched(t time.Time) bool { return t.UnixNano() < w.until.Load() }

// hook is the player's OnFrame: it keeps the newest frame for run when a
// lease runs, and does nothing else. It must not allocate.
func (w *frameWatch) hook(f *display.Frame) {
	if w.until.Load() == 0 || !w.watched(w.now()) {
		return
	}
	w.mu.Lock()
	copy(w.frame[:], f.Pix)
	w.dirty = true
	w.mu.Unlock()
	w.copied.Add(1)
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Snapshot implements service.FrameSource.
func (w *frameWatch) Snapshot(dst *display.Frame) { w.player.Snapshot(dst) }

// Watch implements service.FrameSource: it extends the lease and has the
// current frame published at once, so a new watcher need not wait for the
// matrix to change.
func (w *frameWatch) Watch(d time.Duration) (time.Duration, int) {
	end := w.now().Add(d).UnixNano()
	for {
		cur := w.until.Load()
		if cur >= end || w.until.CompareAndSwap(cur, end) {
			break
		}
	}
	f := display.NewFrame()
	w.player.Snapshot(f)
	w.mu.Lock()
	copy(w.frame[:], f.Pix)
	w.dirty = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return d, FrameRate
}

// run publishes the newest frame each time one is waiting, at most one per
// w.every, until ctx ends.
func (w *frameWatch) run(ctx context.Context, nc *nats.Conn, log *slog.Logger) {
	var buf [display.FrameBytes]byte
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		if wait := w.every - time.Since(last); !last.IsZero() && wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		w.mu.Lock()
		send := w.dirty && w.watched(w.now())
		w.dirty = false
		buf = w.frame
		w.mu.Unlock()
		if !send {
			continue
		}
		if err := nc.Publish(w.subject, buf[:]); err != nil {
			log.Debug("publishing live frame", "err", err)
			continue
		}
		w.published.Add(1)
		last = time.Now()
	}
}
