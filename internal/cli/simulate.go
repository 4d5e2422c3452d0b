package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sensehat/sensehat/internal/natsconn"
	"github.com/sensehat/sensehat/internal/simulate"
)

// simulate runs a fleet of simulated boards on the server given with
// --nats, for sizing a hub and for load tests: each is the daemon on a
// simulated HAT, with its own connection and service.
func (a *App) simulate(ctx context.Context, args []string) error {
	fs := newFlagSet("simulate", a.Stderr, "--devices N [--first N] [--env-interval D] [--motion-interval D] [--colour-interval D] [--joystick-every D] [--start-spread D] [--nats URL | --leaf URLS]")
	var c conn
	c.flags(fs, a.Getenv)
	o := simulate.DefaultOpts
	fs.IntVar(&o.Devices, "devices", o.Devices, fmt.Sprintf("how many boards to simulate (1 to %d)", simulate.MaxDevices))
	fs.IntVar(&o.First, "first", o.First, "number of the first device: ids run from sim-<first>, so two processes can share a hub")
	fs.DurationVar(&o.Config.EnvInterval, "env-interval", o.Config.EnvInterval, "interval of every device's sensors.env readings")
	fs.DurationVar(&o.Config.MotionInterval, "motion-interval", o.Config.MotionInterval, "interval of every device's sensors.motion readings")
	fs.DurationVar(&o.Config.ColourInterval, "colour-interval", o.Config.ColourInterval, "interval of every device's sensors.colour readings")
	fs.DurationVar(&o.JoystickEvery, "joystick-every", 0, "press a joystick key on every device this often (0: never)")
	fs.DurationVar(&o.StartSpread, "start-spread", 0, "start the devices over this long instead of all at once")
	fs.StringVar(&o.Config.HAPrefix, "ha-prefix", o.Config.HAPrefix, `Home Assistant MQTT discovery prefix ("none": off, the default, so a real Home Assistant is not flooded with simulated entities)`)
	fs.StringVar(&o.StateDir, "state-dir", "", "where the devices keep their calibration state (default: a temporary directory, removed at the end)")
	leaf := fs.String("leaf", "", "put every device behind a leaf node of its own with its own stream SENSEHAT_<id>, dialling these hub leaf node `URLS` (comma-separated, nats-leaf://user:password@hub:7422), for store-and-forward tests; --nats is then not used")
	verbose := fs.Bool("verbose", false, "log every device's progress (warnings and errors only by default)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	o.Config.NATS, o.Config.Creds, o.Config.NKey = c.URL, c.Creds, c.NKey
	o.Config.User, o.Config.Password = c.User, c.Password
	o.Config.TLSCert, o.Config.TLSKey, o.Config.TLSCA = c.TLSCert, c.TLSKey, c.TLSCA
	o.Config.Prefix = c.Prefix
	if *leaf != "" {
		o.Leaf = &simulate.LeafOpts{}
		for _, u := range strings.Split(*leaf, ",") {
			if u = strings.TrimSpace(u); u != "" {
				o.Leaf.HubURLs = append(o.Leaf.HubURLs, u)
			}
		}
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	o.Log = slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: level}))
	o.Ready = make(chan struct{})
	f, err := simulate.New(&o)
	if err != nil {
		return err
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	select {
	case <-o.Ready:
		fmt.Fprintf(a.Stdout, "simulating %d devices, %s to %s, on %s (started in %v); Ctrl-C stops them\n",
			o.Devices, simulate.ID(o.First), simulate.ID(o.First+o.Devices-1), where(o),
			time.Since(start).Round(time.Millisecond))
	case err := <-done:
		return err
	}
	return <-done
}

// where says what the simulated devices joined, passwords redacted.
func where(o simulate.Opts) string {
	if o.Leaf == nil {
		return natsconn.Redact(o.Config.NATS)
	}
	urls := make([]string, len(o.Leaf.HubURLs))
	for i, u := range o.Leaf.HubURLs {
		urls[i] = natsconn.Redact(u)
	}
	return "leaf nodes of their own, dialling " + strings.Join(urls, ",")
}
