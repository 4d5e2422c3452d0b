package desired

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/wire"
)

// The bucket as people and programs write it: sensehat config and the
// fleet page, each write made with the revision read.

// ErrConflict is returned by a write that lost a race: the key changed
// between the read and the write.
var ErrConflict = errors.New("the key changed since it was read")

// JetStream returns the JetStream context of nc in domain, or of the
// local account when domain is "": a hub reaches a leaf's store only
// through the leaf's domain.
func JetStream(nc *nats.Conn, domain string) (jetstream.JetStream, error) {
	if domain != "" {
		return jetstream.NewWithDomain(nc, domain)
	}
	return jetstream.New(nc)
}

// OpenBucket opens the bucket, making it when create is set.
func OpenBucket(ctx context.Context, nc *nats.Conn, domain string, create bool) (jetstream.KeyValue, error) {
	js, err := JetStream(nc, domain)
	if err != nil {
		return nil, err
	}
	kv, err := js.KeyValue(ctx, wire.DesiredBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) && create {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: wire.DesiredBucket, Description: "sensehat: desired state per device (docs/desired-state.md)",
			History: 10, MaxValueSize: wire.MaxDesired,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, wire.DesiredBucket)
		}
	}
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("desired: no bucket %s yet; `sensehat config set` makes it", wire.DesiredBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("desired: the bucket %s: %w (is JetStream on, and the --domain right?)", wire.DesiredBucket, err)
	}
	return kv, nil
}

// ReadKey returns a key's document as members, and its revision (0 when
// the key has no value).
func ReadKey(ctx context.Context, kv jetstream.KeyValue, key string) (map[string]json.RawMessage, uint64, error) {
	doc := map[string]json.RawMessage{}
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return doc, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if len(e.Value()) > 0 {
		if _, _, perr := payload.ParseDesired(e.Value()); perr != nil {
			return nil, e.Revision(), fmt.Errorf("revision %d holds a document the devices refuse (%w); fix it with `nats kv put`, or delete it", e.Revision(), perr)
		}
		if err := json.Unmarshal(e.Value(), &doc); err != nil {
			return nil, e.Revision(), err
		}
	}
	return doc, e.Revision(), nil
}

// WriteKey writes doc to key if the key is still at rev (0: has no
// value), after checking that the devices accept every setting of it.
func WriteKey(ctx context.Context, kv jetstream.KeyValue, key string, rev uint64, doc map[string]json.RawMessage) (uint64, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return 0, err
	}
	if _, refused, err := payload.ParseDesired(b); err != nil {
		return 0, err
	} else if len(refused) > 0 {
		return 0, errors.New(refused[0].Reason)
	}
	var n uint64
	if rev == 0 {
		n, err = kv.Create(ctx, key, b)
	} else {
		n, err = kv.Update(ctx, key, b, rev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		now := "it has a value now"
		if e, gerr := kv.Get(ctx, key); gerr == nil {
			now = fmt.Sprintf("it is at revision %d now", e.Revision())
		}
		return 0, fmt.Errorf("%w: someone else changed %s after revision %d was read; %s: nothing written, look (config get) and run the command again", ErrConflict, key, rev, now)
	}
	return n, err
}

// readAt reads key's document for a change, which must be made on
// revision want when want is not 0 (a user who read it at want and
// decided on that).
func readAt(ctx context.Context, kv jetstream.KeyValue, key string, want uint64) (map[string]json.RawMessage, uint64, error) {
	doc, rev, err := ReadKey(ctx, kv, key)
	if err != nil {
		return nil, 0, err
	}
	if want != 0 && want != rev {
		return nil, 0, fmt.Errorf("%w: %s is at revision %d, not %d: nothing written, look (config get) and run the command again", ErrConflict, key, rev, want)
	}
	return doc, rev, nil
}

// Set sets key=value pairs in key's document, written with the
// revision read (or want, when not 0: then the key must still be there).
func Set(ctx context.Context, kv jetstream.KeyValue, key string, want uint64, pairs []string) (uint64, error) {
	doc, rev, err := readAt(ctx, kv, key, want)
	if err != nil {
		return 0, err
	}
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if !ok || !slices.Contains(wire.DesiredFields, name) {
			return 0, fmt.Errorf("%q: give key=value with a key of %s", p, strings.Join(wire.DesiredFields, ", "))
		}
		doc[name] = settingValue(value)
	}
	return WriteKey(ctx, kv, key, rev, doc)
}

// settingValue is value as JSON: a number, true, false or a JSON string
// as given, anything else as a string (flip=h, env_interval=2s).
func settingValue(value string) json.RawMessage {
	var v any
	if json.Unmarshal([]byte(value), &v) == nil {
		switch v.(type) {
		case float64, bool, string:
			return json.RawMessage(value)
		}
	}
	b, _ := json.Marshal(value)
	return b
}

// Unset removes settings from key's document.
func Unset(ctx context.Context, kv jetstream.KeyValue, key string, want uint64, names []string) (uint64, error) {
	doc, rev, err := readAt(ctx, kv, key, want)
	if err != nil {
		return 0, err
	}
	for _, n := range names {
		if !slices.Contains(wire.DesiredFields, n) {
			return 0, fmt.Errorf("%q: not a setting; the settings are %s", n, strings.Join(wire.DesiredFields, ", "))
		}
		delete(doc, n)
	}
	if rev == 0 {
		return 0, fmt.Errorf("%s has no desired state: nothing to unset", key)
	}
	return WriteKey(ctx, kv, key, rev, doc)
}

// For is a device's merged desired state: its key over the default
// key.
func For(ctx context.Context, kv jetstream.KeyValue, id string) (wire.Desired, uint64, error) {
	var out wire.Desired
	var rev uint64
	for _, k := range []string{wire.DesiredDefaultKey, id} {
		e, err := kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return out, 0, err
		}
		d, _, perr := payload.ParseDesired(e.Value())
		if perr != nil {
			return out, 0, fmt.Errorf("%s: %w", k, perr)
		}
		out = out.Over(d)
		if k == id {
			rev = e.Revision()
		}
	}
	return out, rev, nil
}

// Difference is one setting of a device whose reported state differs
// from its desired state.
type Difference struct {
	ID, Setting, Desired, InForce, Why string
}

// Diff compares a device's desired state with its reported state.
func Diff(want wire.Desired, st wire.State) []Difference {
	var out []Difference
	in := st.InForce.Values()
	names := make([]string, 0)
	wv := want.Values()
	for n := range wv {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if in[n] == wv[n] {
			continue
		}
		why := ""
		for _, r := range st.Refused {
			if r.Setting == n || r.Setting == "" {
				why = "refused: " + r.Reason
			}
		}
		if why == "" && slices.Contains(st.NeedsRestart, n) {
			why = "applies at the next start"
		}
		if why == "" && st.From[n] == "request" {
			why = "changed by a request since"
		}
		out = append(out, Difference{Setting: n, Desired: wv[n], InForce: in[n], Why: why})
	}
	return out
}

// Edit sets and unsets settings of key's document in one write, only if
// the key is still at revision want (0: the key has no value): the fleet
// page's edit, made against the revision it showed.
func Edit(ctx context.Context, kv jetstream.KeyValue, key string, want uint64, set, unset []string) (uint64, error) {
	doc, rev, err := ReadKey(ctx, kv, key)
	if err != nil {
		return 0, err
	}
	if want != rev {
		return 0, fmt.Errorf("%w: someone else changed %s: it is at revision %d, not %d as shown; nothing written, look again", ErrConflict, key, rev, want)
	}
	for _, p := range set {
		name, value, ok := strings.Cut(p, "=")
		if !ok || !slices.Contains(wire.DesiredFields, name) {
			return 0, fmt.Errorf("%q: give setting=value with a setting of %s", p, strings.Join(wire.DesiredFields, ", "))
		}
		doc[name] = settingValue(value)
	}
	for _, n := range unset {
		if !slices.Contains(wire.DesiredFields, n) {
			return 0, fmt.Errorf("%q: not a setting; the settings are %s", n, strings.Join(wire.DesiredFields, ", "))
		}
		delete(doc, n)
	}
	return WriteKey(ctx, kv, key, rev, doc)
}
