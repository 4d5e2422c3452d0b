package desired

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/wire"
)

// Run watches the device's key and the default key on nc until ctx ends,
// applying each change as it comes. While the bucket cannot be reached
// (no server, hub cut off, no bucket yet) it says why in the reported
// state and tries again every Resync.
func (a *Agent) Run(ctx context.Context, nc *nats.Conn) {
	a.mu.Lock()
	a.nc = nc
	a.mu.Unlock()
	a.Republish()
	mirrored := false
	for ctx.Err() == nil {
		// The mirror is on the server the daemon talks to: without it
		// there is nothing to make or read.
		if a.o.Mirror != "" && !mirrored && nc.IsConnected() {
			mirrored = a.ensureMirror(ctx, nc)
		}
		err := a.session(ctx, nc)
		if ctx.Err() != nil {
			return
		}
		a.setProblem(err)
		if a.o.Mirror != "" && nc.IsConnected() {
			a.fromMirror(ctx, nc)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(a.o.Resync):
		}
	}
}

// openKV finds the bucket.
func openKV(ctx context.Context, nc *nats.Conn, domain string) (jetstream.KeyValue, error) {
	js, err := JetStream(nc, domain)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	kv, err := js.KeyValue(cctx, wire.DesiredBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("no bucket %s yet: `sensehat config set` creates it", wire.DesiredBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s unreachable: %w", wire.DesiredBucket, err)
	}
	return kv, nil
}

// session watches until the watch ends or ctx does.
func (a *Agent) session(ctx context.Context, nc *nats.Conn) error {
	if !nc.IsConnected() {
		return errors.New("not connected to NATS")
	}
	kv, err := openKV(ctx, nc, a.o.Domain)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.kv = kv
	a.mu.Unlock()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// One watch per key: a consumer of one filter subject is created on
	// CONSUMER.CREATE.<stream>.<name>.<subject>, which a device's
	// permissions can hold to its own keys; one of several filters is not.
	var updates [2]<-chan jetstream.KeyValueEntry
	for i, key := range []string{wire.DesiredDefaultKey, a.key} {
		w, err := kv.Watch(wctx, key)
		if err != nil {
			return fmt.Errorf("watching %s in %s: %w", key, wire.DesiredBucket, err)
		}
		defer func() { _ = w.Stop() }()
		updates[i] = w.Updates()
	}
	t := time.NewTicker(a.o.Resync)
	defer t.Stop()
	for {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case e, ok = <-updates[0]:
		case e, ok = <-updates[1]:
		case <-t.C:
			// The watch's consumer can lose messages while a leaf's
			// link is down; reading the keys again catches up.
			if err := a.resync(ctx, kv); err != nil {
				a.setProblem(err)
			} else {
				a.reached()
			}
			continue
		}
		if !ok {
			return errors.New("the watch of the bucket ended")
		}
		if e == nil { // the values there were have all come
			a.reached()
			continue
		}
		var v []byte
		if e.Operation() == jetstream.KeyValuePut {
			v = e.Value()
		}
		a.entry(e.Key(), e.Revision(), v)
		a.setProblem(nil)
	}
}

// resync reads both keys and applies what the watch has not.
func (a *Agent) resync(ctx context.Context, kv jetstream.KeyValue) error {
	for _, key := range []string{wire.DesiredDefaultKey, a.key} {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		e, err := kv.Get(cctx, key)
		cancel()
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			a.entry(key, 0, nil)
		case err != nil:
			return fmt.Errorf("reading %s: %w", key, err)
		default:
			a.entry(key, e.Revision(), e.Value())
		}
	}
	return nil
}

// entry takes a key's value from the bucket (nil: deleted) at a revision
// (0: unknown, from a read of a deleted key), applies it and keeps the
// local copy.
func (a *Agent) entry(key string, rev uint64, value []byte) { a.take(key, rev, value, "bucket") }

// take is entry from source: "bucket", or "mirror", whose revision must
// be newer than the one in force (a mirror may lag the bucket; it never
// leads it).
func (a *Agent) take(key string, rev uint64, value []byte, source string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := 1
	if key == wire.DesiredDefaultKey {
		i = 0
	}
	k := &a.docs[i]
	if source != "bucket" && rev <= k.rev {
		return
	}
	if rev == 0 && value == nil {
		if k.raw == nil && len(k.refused) == 0 {
			return // known to be deleted
		}
		rev = k.rev
	} else if rev == k.rev {
		return
	}
	a.acceptLocked(i, rev, value)
	if value == nil {
		k.raw = nil
	}
	a.st.Source = source
	a.applyLocked()
	c := Copy{
		Default: Entry{Revision: a.docs[0].rev, Value: string(a.docs[0].raw)},
		Device:  Entry{Revision: a.docs[1].rev, Value: string(a.docs[1].raw)},
	}
	if err := saveCopy(a.o.StateDir, c); err != nil {
		a.o.Log.Warn("desired state not kept locally", "err", err)
	}
}

func (a *Agent) setProblem(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := ""
	if err != nil {
		p = err.Error()
	}
	if p == a.st.Problem {
		return
	}
	if p != "" {
		a.o.Log.Info("desired state: bucket not reachable; keeping what is in force", "err", p)
	}
	a.st.Problem = p
	a.publishLocked()
}

// reached records that the bucket answered: what is in force is what it
// holds, whatever was read before.
func (a *Agent) reached() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.st.Problem == "" && a.st.Source == "bucket" {
		return
	}
	a.st.Problem, a.st.Source = "", "bucket"
	a.publishLocked()
}

// ensureMirror makes the Pi's mirrors of the two keys, and says whether
// they are there.
func (a *Agent) ensureMirror(ctx context.Context, nc *nats.Conn) bool {
	js, err := JetStream(nc, a.o.Mirror)
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = EnsureMirror(cctx, js, a.key, a.o.Domain)
		cancel()
	}
	if err != nil {
		a.o.Log.Warn("desired state: no mirror in the Pi's JetStream yet; trying again", "domain", a.o.Mirror, "err", err)
		return false
	}
	return true
}

// fromMirror applies what the Pi's mirrors hold that is newer than what
// is in force: the bucket cannot be reached, and the mirror has what the
// hub held when the link was last up.
func (a *Agent) fromMirror(ctx context.Context, nc *nats.Conn) {
	js, err := JetStream(nc, a.o.Mirror)
	if err != nil {
		return
	}
	for _, key := range []string{wire.DesiredDefaultKey, a.key} {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		rev, v, ok, err := ReadMirror(cctx, js, key)
		cancel()
		if err != nil {
			a.o.Log.Debug("desired state: reading the mirror", "key", key, "err", err)
			continue
		}
		if ok {
			a.take(key, rev, v, "mirror")
		}
	}
}
