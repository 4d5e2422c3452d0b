package cli

import (
	"context"
	"encoding/json"
	"errors"

	"fmt"
	"slices"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/desired"
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
	case "get", "diff":
		if len(rest) > 0 {
			fs.Usage()
			return errUsage
		}
	case "set", "unset":
		if len(rest) == 0 {
			fs.Usage()
			return errUsage
		}
	default:
		fmt.Fprintf(a.Stderr, "sensehat config: unknown verb %q\n", verb)
		fs.Usage()
		return errUsage
	}
	kv, err := desired.OpenBucket(ctx, nc, *domain, verb == "set")
	if err != nil {
		return err
	}
	if verb == "set" || verb == "unset" {
		// devices hear of a change from the stream that republishes it;
		// a bucket made before it existed gets it now
		if err := desired.EnsureNotify(ctx, nc, *domain, c.Prefix); err != nil {
			fmt.Fprintf(a.Stderr, "sensehat: config %s: %v\n", verb, err)
		}
	}
	switch verb {
	case "get":
		return a.configGet(ctx, kv, key, *all)
	case "diff":
		if *all {
			key = ""
		}
		return a.configDiff(ctx, nc, kv, c.Prefix, key)
	}
	var newRev uint64
	if verb == "set" {
		newRev, err = desired.Set(ctx, kv, key, *rev, rest)
	} else {
		newRev, err = desired.Unset(ctx, kv, key, *rev, rest)
	}
	if err != nil {
		return fmt.Errorf("config %s %s: %w", verb, key, err)
	}
	fmt.Fprintf(a.Stdout, "%s: revision %d\n", key, newRev)
	return nil
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
		doc, rev, err := desired.ReadKey(ctx, kv, k)
		if err != nil {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", k, rev, err)
			continue
		}
		b, _ := json.Marshal(doc)
		fmt.Fprintf(tw, "%s\t%d\t%s\n", k, rev, b)
	}
	return tw.Flush()
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
		want, _, err := desired.For(ctx, kv, id)
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
		ds := desired.Diff(want, rs)
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
