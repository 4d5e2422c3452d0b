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

// Run keeps the device's key and the default key in force on nc until ctx
// ends: it reads both at once, after every reconnect and every Resync,
// and applies each change the hub republishes on their Subjects.Desired
// as it comes. While the bucket cannot be reached (no server, hub cut
// off, no bucket yet) it says why in the reported state, and with a Pi's
// copy (Opts.Mirror) applies what that holds that is newer.
func (a *Agent) Run(ctx context.Context, nc *nats.Conn) {
	a.mu.Lock()
	a.nc = nc
	a.mu.Unlock()
	a.Republish()
	select { // the first read is made below anyway
	case <-a.kick:
	default:
	}
	notes := make(chan notice, 8)
	for _, key := range []string{wire.DesiredDefaultKey, a.key} {
		sub, err := nc.Subscribe(a.o.Subjects.For(key).Desired(), func(m *nats.Msg) {
			if n, ok := parseNotice(key, m.Header, m.Data); ok {
				select {
				case notes <- n:
				default: // the next read of the keys catches up
				}
			}
		})
		if err != nil {
			a.o.Log.Warn("desired state: no notice of changes; reading the keys every resync", "err", err, "every", a.o.Resync)
			continue
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	t := time.NewTicker(a.o.Resync)
	defer t.Stop()
	var b bucket
	copied := false
	for ctx.Err() == nil {
		// The Pi's copy is on the server the daemon talks to: without it
		// there is nothing to make or read.
		if a.o.Mirror != "" && !copied && nc.IsConnected() {
			copied = a.ensureCopy(ctx, nc)
		}
		err := a.resync(ctx, nc, &b)
		a.setProblem(err)
		if err == nil {
			a.reached()
		} else if a.o.Mirror != "" && nc.IsConnected() {
			a.fromCopy(ctx, nc)
		}
		for wait := true; wait; {
			select {
			case <-ctx.Done():
				return
			case n := <-notes:
				a.take(n.key, n.rev, n.value, "bucket", true)
			case <-t.C:
				wait = false
			case <-a.kick:
				wait = false
			}
		}
	}
}

// bucket is the bucket's stream as a Run reaches it, for direct gets
// that show deletes with their revisions. A device only reads it.
type bucket struct {
	st jetstream.Stream
}

// open finds the bucket.
func (b *bucket) open(ctx context.Context, nc *nats.Conn, domain string) error {
	js, err := JetStream(nc, domain)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := js.Stream(cctx, "KV_"+wire.DesiredBucket)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("no bucket %s yet: `sensehat config set` creates it", wire.DesiredBucket)
	}
	if err != nil {
		return fmt.Errorf("bucket %s unreachable: %w", wire.DesiredBucket, err)
	}
	b.st = st
	return nil
}

// resync reads both keys by direct get and applies what differs from
// what is in force; with a Pi's copy, it stores there what is newer than
// the copy holds.
func (a *Agent) resync(ctx context.Context, nc *nats.Conn, b *bucket) error {
	if !nc.IsConnected() {
		return errors.New("not connected to NATS")
	}
	if b.st == nil {
		if err := b.open(ctx, nc, a.o.Domain); err != nil {
			return err
		}
	}
	var read [2]notice
	for i, key := range []string{wire.DesiredDefaultKey, a.key} {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		m, err := b.st.GetLastMsgForSubject(cctx, keySubject(key))
		cancel()
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			read[i] = notice{key: key}
		case err != nil:
			b.st = nil // open it again: the bucket may be gone or made anew
			return fmt.Errorf("reading %s: %w", key, err)
		default:
			read[i] = notice{key: key, rev: m.Sequence, value: m.Data}
			if op := m.Header.Get(kvOperation); op == "DEL" || op == "PURGE" {
				read[i].value = nil
			} else if read[i].value == nil {
				read[i].value = []byte{}
			}
		}
	}
	for _, n := range read {
		a.take(n.key, n.rev, n.value, "bucket", false)
	}
	if a.o.Mirror != "" {
		a.toCopy(ctx, nc, read)
	}
	return nil
}

// take applies a key's value (nil: deleted) at a revision (0: the key has
// never had one) from source, keeps the local copy, and reports. A read of
// the bucket is in force whatever it holds (the bucket may have been made
// anew, its revisions starting over); with newer set, only a revision
// newer than the one in force is taken (a notice that overtook a read, the
// Pi's copy, which may lag the bucket but never leads it).
func (a *Agent) take(key string, rev uint64, value []byte, source string, newer bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := 1
	if key == wire.DesiredDefaultKey {
		i = 0
	}
	k := &a.docs[i]
	if newer && rev <= k.rev {
		return
	}
	if rev == 0 && value == nil {
		if k.raw == nil && len(k.refused) == 0 {
			return // known to have no value
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

// ensureCopy makes the Pi's copy, and says whether it is there.
func (a *Agent) ensureCopy(ctx context.Context, nc *nats.Conn) bool {
	js, err := JetStream(nc, a.o.Mirror)
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = EnsureCopy(cctx, js, a.o.Subjects)
		cancel()
	}
	if err != nil {
		a.o.Log.Warn("desired state: no copy in the Pi's JetStream yet; trying again", "domain", a.o.Mirror, "err", err)
		return false
	}
	return true
}

// fromCopy applies what the Pi's copy holds that is newer than what is in
// force: the bucket cannot be reached, and the copy has what the hub
// republished while the link was last up.
func (a *Agent) fromCopy(ctx context.Context, nc *nats.Conn) {
	js, err := JetStream(nc, a.o.Mirror)
	if err != nil {
		return
	}
	for _, key := range []string{wire.DesiredDefaultKey, a.key} {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		rev, v, ok, err := ReadCopy(cctx, js, a.o.Subjects, key)
		cancel()
		if err != nil {
			a.o.Log.Debug("desired state: reading the Pi's copy", "key", key, "err", err)
			continue
		}
		if ok {
			a.take(key, rev, v, "pi stream", true)
		}
	}
}

// toCopy stores in the Pi's copy what a read of the bucket found that the
// copy does not hold: a change the hub republished while the link was cut.
func (a *Agent) toCopy(ctx context.Context, nc *nats.Conn, read [2]notice) {
	js, err := JetStream(nc, a.o.Mirror)
	if err != nil {
		return
	}
	for _, n := range read {
		if n.rev == 0 {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		rev, _, ok, err := ReadCopy(cctx, js, a.o.Subjects, n.key)
		if err == nil && (!ok || rev != n.rev) {
			err = StoreCopy(cctx, js, a.o.Subjects, n.key, n.rev, n.value)
		}
		cancel()
		if err != nil {
			a.o.Log.Debug("desired state: keeping the Pi's copy", "key", n.key, "err", err)
		}
	}
}
