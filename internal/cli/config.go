package cli

import (
	"context"
	"encoding/json"
	"errors"

	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/wire"
)

const configSynopsis = `get|set|unset|diff ID|--all [--revision N] [--domain D] [key=value ...|key ...]

  get ID       the device's desired state, its key's revision, and the
               fleet's default under it; --all: every key of the bucket
  set ID k=v   set settings in the device's key (--all: the fleet's default
               key), written with the revision read: if someone else
               changed the key in between, nothing is written and you are
               told; --revision N writes only if the key is still at N
  unset ID k   remove settings from the key: the default key's or the
               flags' apply again
  diff [ID]    the devices whose reported state differs from their desired
               state (every device without ID, or with --all)

Keys: ` + "rotation, flip, low_light, brightness, gamma, env_interval, motion_interval,\n  colour_interval, colour_gain, colour_cycles, temp_factor, ha_prefix (docs/desired-state.md)"

// ErrConflict is returned by a write that lost a race: the key changed
// between the read and the write.
var ErrConflict = errors.New("the key changed since it was read")

func (a *App) config(ctx context.Context, args []string) error {
	fs := newFlagSet("config", a.Stderr, configSynopsis)
	var c conn
	c.flags(fs, a.Getenv)
	all := fs.Bool("all", false, "the fleet's default key (get, set, unset), or every device (diff)")
	rev := fs.Uint64("revision", 0, "set, unset: write only if the key is still at this revision (from config get)")
	domain := fs.String("domain", "", `JetStream domain of the bucket ("hub" when connected to a Pi's leaf node)`)
	if len(args) == 0 {
		fs.Usage()
		return errUsage
	}
	verb := args[0]
	// Flags may come before or after the id and the settings.
	var rest []string
	toParse := args[1:]
	for {
		if err := fs.Parse(toParse); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		toParse = fs.Args()[1:]
	}
	key := ""
	switch {
	case *all:
	case len(rest) > 0:
		key, rest = rest[0], rest[1:]
		if err := wire.CheckToken("id", key); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	case verb != "diff":
		fs.Usage()
		return errUsage
	}
	if *all {
		key = wire.DesiredDefaultKey
	}
	nc, err := c.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch verb {
	case "get":
		if len(rest) > 0 {
			fs.Usage()
			return errUsage
		}
		kv, err := desiredBucket(ctx, nc, *domain, false)
		if err != nil {
			return err
		}
		return a.configGet(ctx, kv, key, *all)
	case "set", "unset":
		if len(rest) == 0 {
			fs.Usage()
			return errUsage
		}
		kv, err := desiredBucket(ctx, nc, *domain, verb == "set")
		if err != nil {
			return err
		}
		var newRev uint64
		if verb == "set" {
			newRev, err = setDesired(ctx, kv, key, *rev, rest)
		} else {
			newRev, err = unsetDesired(ctx, kv, key, *rev, rest)
		}
		if err != nil {
			return fmt.Errorf("config %s %s: %w", verb, key, err)
		}
		fmt.Fprintf(a.Stdout, "%s: revision %d\n", key, newRev)
		return nil
	case "diff":
		if len(rest) > 0 {
			fs.Usage()
			return errUsage
		}
		kv, err := desiredBucket(ctx, nc, *domain, false)
		if err != nil {
			return err
		}
		if *all {
			key = ""
		}
		return a.configDiff(ctx, nc, kv, c.Prefix, key)
	}
	fmt.Fprintf(a.Stderr, "sensehat config: unknown verb %q\n", verb)
	fs.Usage()
	return errUsage
}

// desiredBucket opens the bucket, making it when create is set.
func desiredBucket(ctx context.Context, nc *nats.Conn, domain string, create bool) (jetstream.KeyValue, error) {
	var js jetstream.JetStream
	var err error
	if domain != "" {
		js, err = jetstream.NewWithDomain(nc, domain)
	} else {
		js, err = jetstream.New(nc)
	}
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
		return nil, fmt.Errorf("config: no bucket %s yet; `sensehat config set` makes it", wire.DesiredBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("config: the bucket %s: %w (is JetStream on, and the --domain right?)", wire.DesiredBucket, err)
	}
	return kv, nil
}

// readKey returns a key's document as members, and its revision (0 when
// the key has no value).
func readKey(ctx context.Context, kv jetstream.KeyValue, key string) (map[string]json.RawMessage, uint64, error) {
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

// writeKey writes doc to key if the key is still at rev (0: has no
// value), after checking that the devices accept every setting of it.
func writeKey(ctx context.Context, kv jetstream.KeyValue, key string, rev uint64, doc map[string]json.RawMessage) (uint64, error) {
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

// setDesired sets key=value pairs in key's document, written with the
// revision read (or want, when not 0: then the key must still be there).
func setDesired(ctx context.Context, kv jetstream.KeyValue, key string, want uint64, pairs []string) (uint64, error) {
	doc, rev, err := readKey(ctx, kv, key)
	if err != nil {
		return 0, err
	}
	if want != 0 && want != rev {
		return 0, fmt.Errorf("%w: %s is at revision %d, not %d: nothing written, look (config get) and run the command again", ErrConflict, key, rev, want)
	}
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if !ok || !slices.Contains(wire.DesiredFields, name) {
			return 0, fmt.Errorf("%q: give key=value with a key of %s", p, strings.Join(wire.DesiredFields, ", "))
		}
		doc[name] = settingValue(value)
	}
	return writeKey(ctx, kv, key, rev, doc)
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

// unsetDesired removes settings from key's document.
func unsetDesired(ctx context.Context, kv jetstream.KeyValue, key string, want uint64, names []string) (uint64, error) {
	doc, rev, err := readKey(ctx, kv, key)
	if err != nil {
		return 0, err
	}
	if want != 0 && want != rev {
		return 0, fmt.Errorf("%w: %s is at revision %d, not %d: nothing written", ErrConflict, key, rev, want)
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
	return writeKey(ctx, kv, key, rev, doc)
}

func (a *App) configGet(ctx context.Context, kv jetstream.KeyValue, key string, all bool) error {
	keys := []string{key}
	if key != wire.DesiredDefaultKey {
		keys = append(keys, wire.DesiredDefaultKey)
	}
	if all {
		ks, err := kv.Keys(ctx)
		if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
			return err
		}
		sort.Strings(ks)
		keys = ks
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tREVISION\tDESIRED")
	for _, k := range keys {
		doc, rev, err := readKey(ctx, kv, k)
		if err != nil {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", k, rev, err)
			continue
		}
		b, _ := json.Marshal(doc)
		fmt.Fprintf(tw, "%s\t%d\t%s\n", k, rev, b)
	}
	return tw.Flush()
}

// desiredFor is a device's merged desired state: its key over the default
// key.
func desiredFor(ctx context.Context, kv jetstream.KeyValue, id string) (wire.Desired, uint64, error) {
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

// diffDevice compares a device's desired state with its reported state.
func diffDevice(want wire.Desired, st wire.State) []Difference {
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

func (a *App) configDiff(ctx context.Context, nc *nats.Conn, kv jetstream.KeyValue, prefix, only string) error {
	ids := []string{only}
	if only == "" {
		found, err := pingDevices(ctx, nc)
		if err != nil {
			return err
		}
		keys, err := kv.Keys(ctx)
		if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
			return err
		}
		for _, k := range keys {
			if k != wire.DesiredDefaultKey && !slices.Contains(found, k) {
				found = append(found, k)
			}
		}
		sort.Strings(found)
		ids = found
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tSETTING\tDESIRED\tIN FORCE\tWHY")
	differ := 0
	for _, id := range ids {
		want, _, err := desiredFor(ctx, kv, id)
		if err != nil {
			fmt.Fprintf(tw, "%s\t\t\t\t%s\n", id, err)
			differ++
			continue
		}
		m, err := nc.RequestWithContext(ctx, wire.Subjects{Prefix: prefix, ID: id}.Status(), nil)
		if err == nil {
			err = serviceError(m)
		}
		var st wire.Status
		var rs wire.State
		if err == nil {
			if err = json.Unmarshal(m.Data, &st); err == nil && len(st.State) > 0 {
				err = json.Unmarshal(st.State, &rs)
			} else if err == nil {
				err = errors.New("reports no state (desired state off, or an older daemon)")
			}
		}
		if err != nil {
			if len(want.Values()) > 0 {
				fmt.Fprintf(tw, "%s\t\t\t\tno answer: %s\n", id, termSafe(err.Error()))
				differ++
			}
			continue
		}
		ds := diffDevice(want, rs)
		if len(ds) > 0 {
			differ++
		}
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", id, d.Setting, termSafe(d.Desired), termSafe(d.InForce), termSafe(d.Why))
		}
	}
	if differ == 0 {
		fmt.Fprintf(a.Stdout, "%d device(s): every reported state matches its desired state\n", len(ids))
		return nil
	}
	return tw.Flush()
}
