package desired

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/wire"
)

// How a device learns of a change without a consumer of its own: a
// consumer's deliver subject is in its request's body, which permissions
// cannot hold, so a device that may make one can have the hub's JetStream
// publish what it wrote into its own key on any subject. Instead the hub
// keeps a mirror of the bucket's stream, wire.DesiredNotifyStream, that
// republishes each change on <p>.<key>.desired (NotifyConfig); the daemon
// subscribes to its own key's and the default key's, and reads both keys
// by direct get (a request whose subject names the key) at the start,
// after a reconnect and every Resync. With store and forward the Pi's own
// JetStream keeps the last republished message of each of the two
// subjects (CopyConfig): they cross the leaf link into it whether or not
// the daemon runs.

// NotifyConfig is the hub's stream that republishes each change of a key
// of the bucket on Subjects.Desired of that key, with prefix the fleet's
// subject prefix. It is a mirror of the bucket's stream: a mirror keeps
// the bucket's sequence numbers, so a republished message's Nats-Sequence
// is the key's revision, and it drops the writer's Nats-Expected-*
// headers, which the bucket's own republish would pass on (a
// revision-checked write carries Nats-Expected-Last-Subject-Sequence, and
// the Pi's CopyConfig stream would refuse it against its own sequences).
func NotifyConfig(prefix string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        wire.DesiredNotifyStream,
		Description: "sensehat: republishes each change of the desired state on <p>.<key>.desired (docs/desired-state.md)",
		Storage:     jetstream.FileStorage,
		Mirror:      &jetstream.StreamSource{Name: "KV_" + wire.DesiredBucket},
		// the last value of each key is all a notice needs
		MaxMsgsPerSubject: 1,
		// a purge of a key comes as a roll-up
		AllowRollup: true,
		RePublish: &jetstream.RePublish{
			Source:      keySubject("*"),
			Destination: prefix + ".{{wildcard(1)}}.desired",
		},
	}
}

func keySubject(key string) string { return "$KV." + wire.DesiredBucket + "." + key }

// EnsureNotify makes the hub's NotifyConfig stream in domain ("": the
// server nc is connected to) unless it is there: whoever makes or writes
// the bucket calls it, so that a bucket made before devices learnt of
// changes this way gets it too. A daemon without it still reads its keys
// every Resync.
func EnsureNotify(ctx context.Context, nc *nats.Conn, domain, prefix string) error {
	js, err := JetStream(nc, domain)
	if err != nil {
		return err
	}
	_, err = js.CreateStream(ctx, NotifyConfig(prefix))
	if err == nil || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil
	}
	return fmt.Errorf("desired: making the stream %s that tells devices of changes: %w (an operator's or admin's `sensehat config set` makes it; until then devices notice a change within %s)", wire.DesiredNotifyStream, err, DefaultResync)
}

// CopyConfig is the stream in the Pi's own JetStream that keeps the last
// message republished on the device's and the default key's subjects, and
// the last the daemon stored itself on Subjects.DesiredKept of each.
func CopyConfig(s wire.Subjects) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        wire.DesiredCopyStream,
		Description: "sensehat: the hub's desired state for this device, kept for a start without the hub (docs/desired-state.md)",
		Subjects: []string{s.Desired(), s.DefaultDesired(),
			s.DesiredKept(s.ID), s.DesiredKept(wire.DesiredDefaultKey)},
		Storage: jetstream.FileStorage,
		// the last value is all a start needs
		MaxMsgsPerSubject: 1,
		// a document and the headers the hub adds
		MaxMsgSize: wire.MaxDesired + 1024,
		// a purge of the key on the hub comes as a roll-up
		AllowRollup: true,
	}
}

// EnsureCopy makes the Pi's CopyConfig stream in js if it is not there. A
// stream of that name made otherwise is left as it is. The mirrors an
// earlier sensehatd made instead (SENSEHAT-DESIRED-<key>, which ask the
// hub for consumers a device may no longer make) are deleted.
func EnsureCopy(ctx context.Context, js jetstream.JetStream, s wire.Subjects) error {
	cfg := CopyConfig(s)
	_, err := js.CreateStream(ctx, cfg)
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("desired: making the stream %s: %w", cfg.Name, err)
	}
	for _, key := range []string{s.ID, wire.DesiredDefaultKey} {
		name := "SENSEHAT-DESIRED-" + key
		st, err := js.Stream(ctx, name)
		if err != nil || st.CachedInfo().Config.Mirror == nil {
			continue
		}
		_ = js.DeleteStream(ctx, name)
	}
	return nil
}

// notice is one republished change of a key (or the Pi's copy of one).
type notice struct {
	key   string
	rev   uint64
	value []byte // nil: deleted or purged
}

// parseNotice reads a message of Subjects.Desired for key: the revision
// from its header, nil for a deleted key. ok is false for a message
// without a revision.
func parseNotice(key string, h nats.Header, data []byte) (notice, bool) {
	rev, err := strconv.ParseUint(h.Get(wire.DesiredRevisionHeader), 10, 64)
	if err != nil || rev == 0 {
		return notice{}, false
	}
	n := notice{key: key, rev: rev, value: data}
	switch h.Get(kvOperation) {
	case "DEL", "PURGE":
		n.value = nil
	default:
		if n.value == nil {
			n.value = []byte{}
		}
	}
	return n, true
}

// ReadCopy returns key's newest message in the Pi's copy (js is the Pi's
// JetStream), whether the hub republished it or the daemon stored it: the
// revision, the value (nil: deleted), and ok false when the copy holds
// nothing for the key.
func ReadCopy(ctx context.Context, js jetstream.JetStream, s wire.Subjects, key string) (rev uint64, value []byte, ok bool, err error) {
	st, err := js.Stream(ctx, wire.DesiredCopyStream)
	if err != nil {
		return 0, nil, false, fmt.Errorf("the stream %s: %w", wire.DesiredCopyStream, err)
	}
	var best notice
	for _, subj := range []string{s.For(key).Desired(), s.DesiredKept(key)} {
		m, err := st.GetLastMsgForSubject(ctx, subj)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return 0, nil, false, fmt.Errorf("the stream %s: %w", wire.DesiredCopyStream, err)
		}
		if n, ok := parseNotice(key, m.Header, m.Data); ok && n.rev > best.rev {
			best = n
		}
	}
	return best.rev, best.value, best.rev > 0, nil
}

// StoreCopy keeps in the Pi's copy (js is the Pi's JetStream) revision rev
// of key, read from the bucket (value nil: deleted), on
// Subjects.DesiredKept: the daemon read it after a link cut that the
// hub's republish could not cross. The message goes to the Pi's server,
// and beyond it only in the device's own namespace.
func StoreCopy(ctx context.Context, js jetstream.JetStream, s wire.Subjects, key string, rev uint64, value []byte) error {
	m := nats.NewMsg(s.DesiredKept(key))
	m.Header.Set(wire.DesiredRevisionHeader, strconv.FormatUint(rev, 10))
	if value == nil {
		m.Header.Set(kvOperation, "DEL")
	} else {
		m.Data = value
	}
	_, err := js.PublishMsg(ctx, m, jetstream.WithExpectStream(wire.DesiredCopyStream))
	return err
}

// kvOperation is the header that marks a key-value delete or purge.
const kvOperation = "KV-Operation"
