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
	for ctx.Err() == nil {
		err := a.session(ctx, nc)
		if ctx.Err() != nil {
			return
		}
		a.setProblem(err)
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
			a.setProblem(a.resync(ctx, kv))
			continue
		}
		if !ok {
			return errors.New("the watch of the bucket ended")
		}
		if e == nil { // the values there were have all come
			a.setProblem(nil)
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

// entry takes a key's value (nil: deleted) at a revision (0: unknown,
// from a read of a deleted key), applies it and keeps the local copy.
func (a *Agent) entry(key string, rev uint64, value []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := 1
	if key == wire.DesiredDefaultKey {
		i = 0
	}
	k := &a.docs[i]
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
	a.st.Source = "bucket"
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
