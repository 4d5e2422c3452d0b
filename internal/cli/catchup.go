package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/catchup"
	"github.com/sensehat/sensehat/internal/fleetid"
	"github.com/sensehat/sensehat/internal/natsconn"
)

// catchupReconnect is how soon the service dials the hub again: it runs
// beside the hub, and the seconds after the hub is back are the ones that
// matter.
const catchupReconnect = 250 * time.Millisecond

// catchup runs until stopped, beside the hub: it restarts the hub
// stream's sources of a Pi that is reachable but not being sourced, so a
// backlog arrives seconds after a hub restart (RELIABILITY.md, "Catching
// up after a hub restart"). Deployed as deploy/sensehat-catchup.service.
func (a *App) catchup(ctx context.Context, args []string) error {
	fs, c := a.flagSet("catchup", "[--fleet DIR | --nats URL --creds FILE] [--stream NAME] [--domain D]")
	o := catchup.DefaultOpts
	fleetDir := fs.String("fleet", a.Getenv("SENSEHAT_FLEET_DIR"), "a fleet made by sensehat fleet init: the hub's URL, the fleet tool's admin credentials, the stream and domain come from it (env SENSEHAT_FLEET_DIR)")
	fs.StringVar(&o.Stream, "stream", o.Stream, "the hub stream that sources the Pis")
	fs.StringVar(&o.Domain, "domain", o.Domain, `the hub's JetStream domain ("" for none)`)
	fs.DurationVar(&o.Interval, "every", o.Interval, "how often the stream's sources are looked at")
	fs.DurationVar(&o.Idle, "idle", o.Idle, "how long a source may be silent before it counts as stalled (its heartbeat is 1s)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *fleetDir != "" {
		f, err := fleetid.Open(*fleetDir)
		if err != nil {
			return err
		}
		given := map[string]bool{}
		fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
		if !given["nats"] && a.Getenv("NATS_URL") == "" {
			c.URL = f.Settings.HubURL
		}
		if c.Creds == "" {
			c.Creds = f.CredsPath(fleetid.ToolName)
		}
		if !given["stream"] {
			o.Stream = f.Settings.Stream
		}
		if !given["domain"] {
			o.Domain = f.Settings.HubDomain
		}
	}
	log := slog.New(slog.NewTextHandler(a.Stderr, nil))
	o.Logger = log
	c.Name = "sensehat catchup"
	opts, err := natsconn.Options(c.Settings, log)
	if err != nil {
		return err
	}
	// The service starts with the hub (or before it) and waits for it.
	opts = append(opts, nats.CustomReconnectDelay(func(int) time.Duration { return catchupReconnect }))
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return fmt.Errorf("catchup: connecting to %s: %w", natsconn.Redact(c.URL), natsconn.Explain(err))
	}
	defer nc.Close()
	w, err := catchup.New(nc, &o)
	if err != nil {
		return err
	}
	log.Info("catchup: watching the hub stream's sources", "stream", o.Stream, "domain", o.Domain, "nats", natsconn.Redact(c.URL))
	return w.Run(ctx)
}
