package desired

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/wire"
)

// The mirror: with store and forward, the Pi's own JetStream keeps a copy
// of the device's key and of the default key, each in a stream of its
// own that mirrors one filter subject of the hub's bucket over the leaf
// link. nats-server (2.9 as much as 2.15) asks for such a mirror's
// consumer on $JS.<hub>.API.CONSUMER.CREATE.<stream>.<name>.<filter>, a
// subject that names the key, so a device's permissions hold it to its
// own two keys; two sources of one stream in one local stream are not an
// option, because nats-server 2.9 keeps only one of them. A mirror keeps
// the hub's sequence numbers, so a message's sequence is the key's
// revision, and it takes no message but the hub's: the daemon's writes
// into the hub's bucket never land in it.

// MirrorConfig is the stream that mirrors key of the bucket in hubDomain
// into device id's own JetStream.
func MirrorConfig(id, key, hubDomain string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        wire.DesiredMirrorStream(key),
		Description: "sensehat: the hub's desired state for " + key + ", mirrored for a start without the hub (docs/desired-state.md)",
		Storage:     jetstream.FileStorage,
		// the last value is all a start needs
		MaxMsgsPerSubject: 1,
		MaxMsgSize:        wire.MaxDesired,
		// a purge of the key on the hub comes as a roll-up marker
		AllowRollup: true,
		Mirror: &jetstream.StreamSource{
			Name:          "KV_" + wire.DesiredBucket,
			FilterSubject: keySubject(key),
			External: &jetstream.ExternalStream{
				APIPrefix:     "$JS." + hubDomain + ".API",
				DeliverPrefix: wire.DesiredMirrorDeliverPrefix(id),
			},
		},
	}
}

func keySubject(key string) string { return "$KV." + wire.DesiredBucket + "." + key }

// EnsureMirror makes device id's two mirrors in js (the Pi's own
// JetStream) if they are not there. A stream of that name made otherwise
// is left as it is.
func EnsureMirror(ctx context.Context, js jetstream.JetStream, id, hubDomain string) error {
	for _, key := range []string{id, wire.DesiredDefaultKey} {
		cfg := MirrorConfig(id, key, hubDomain)
		_, err := js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			continue
		}
		if err != nil {
			return fmt.Errorf("desired: making the mirror %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// ReadMirror returns key's last value in its mirror, with its revision in
// the hub's bucket; a nil value is a deleted key, and ok is false when the
// mirror holds nothing for the key yet.
func ReadMirror(ctx context.Context, js jetstream.JetStream, key string) (rev uint64, value []byte, ok bool, err error) {
	st, err := js.Stream(ctx, wire.DesiredMirrorStream(key))
	if err != nil {
		return 0, nil, false, fmt.Errorf("the mirror %s: %w", wire.DesiredMirrorStream(key), err)
	}
	m, err := st.GetLastMsgForSubject(ctx, keySubject(key))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("the mirror %s: %w", wire.DesiredMirrorStream(key), err)
	}
	switch m.Header.Get("KV-Operation") {
	case "DEL", "PURGE":
		return m.Sequence, nil, true, nil
	}
	return m.Sequence, m.Data, true, nil
}
