package daemon

import (
	"log/slog"
	"time"

	"github.com/sensehat/sensehat/internal/backend"
	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/desired"
	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/service"
	"github.com/sensehat/sensehat/internal/wire"
)

// desiredStart is the desired-state phase before the hardware: the local
// copy read, and the settings that only apply at a start (sensor
// intervals, temperature compensation, Home Assistant's prefix) taken from
// it into the configuration the daemon starts with.
type desiredStart struct {
	copy      desired.Copy
	base      wire.Desired // defaults and flags
	fromFlags []string
	started   wire.Desired // what the daemon starts with
}

// startDesired reads the local copy and returns cfg with its start-only
// settings over the flags'. A damaged copy, or settings that together do
// not validate, are logged and left out: the daemon starts with its
// flags.
func startDesired(cfg config.Config, errs *health.Registry, log *slog.Logger) (config.Config, desiredStart) {
	ds := desiredStart{base: desiredOf(cfg)}
	def := desiredOf(config.DefaultConfig())
	bv, dv := ds.base.Values(), def.Values()
	for _, f := range wire.DesiredFields {
		if bv[f] != dv[f] {
			ds.fromFlags = append(ds.fromFlags, f)
		}
	}
	ds.started = ds.base
	if !cfg.Desired {
		return cfg, ds
	}
	c, err := desired.LoadCopy(cfg.StateDir)
	if err != nil {
		log.Warn("desired state: local copy ignored", "err", err)
		errs.Record("desired", err)
		return cfg, ds
	}
	ds.copy = c
	merged := parsedOrEmpty(c.Default.Value).Over(parsedOrEmpty(c.Device.Value))
	var restart wire.Desired
	restart.EnvInterval, restart.MotionInterval, restart.ColourInterval = merged.EnvInterval, merged.MotionInterval, merged.ColourInterval
	restart.TempFactor, restart.HAPrefix = merged.TempFactor, merged.HAPrefix
	next := withRestartSettings(cfg, restart)
	if err := next.Validate(); err != nil {
		log.Warn("desired state: start-only settings of the local copy left out", "err", err)
		errs.Record("desired", err)
		return cfg, ds
	}
	ds.started = ds.base.Over(restart)
	return next, ds
}

// parsedOrEmpty is a stored document, or nothing when it is refused (the
// Agent reports why once it loads the copy).
func parsedOrEmpty(v string) wire.Desired {
	d, _, err := payload.ParseDesired([]byte(v))
	if err != nil {
		return wire.Desired{}
	}
	return d
}

// desiredOf is every run-time setting of cfg as a desired document.
func desiredOf(cfg config.Config) wire.Desired {
	rot, ll, br, flip, gamma := cfg.Rotation, cfg.LowLight, 1.0, "none", "default"
	env, mot, col := cfg.EnvInterval.String(), cfg.MotionInterval.String(), cfg.ColourInterval.String()
	gain, cycles, tf := cfg.ColourGain, cfg.ColourCycles, cfg.TempFactor
	ha := cfg.HAPrefix
	if ha == "" {
		ha = "none"
	}
	return wire.Desired{
		Rotation: &rot, LowLight: &ll, Brightness: &br, Flip: &flip, Gamma: &gamma,
		EnvInterval: &env, MotionInterval: &mot, ColourInterval: &col,
		ColourGain: &gain, ColourCycles: &cycles, TempFactor: &tf, HAPrefix: &ha,
	}
}

// withRestartSettings sets cfg's start-only settings that d gives.
func withRestartSettings(cfg config.Config, d wire.Desired) config.Config {
	dur := func(dst *time.Duration, s *string) {
		if s != nil {
			if v, err := time.ParseDuration(*s); err == nil {
				*dst = v
			}
		}
	}
	dur(&cfg.EnvInterval, d.EnvInterval)
	dur(&cfg.MotionInterval, d.MotionInterval)
	dur(&cfg.ColourInterval, d.ColourInterval)
	if d.TempFactor != nil {
		cfg.TempFactor = *d.TempFactor
	}
	if d.HAPrefix != nil {
		cfg.HAPrefix = *d.HAPrefix
	}
	return cfg
}

// newDesired makes the Agent and applies the local copy to the running
// display and colour sensor: a daemon started without its hub comes up
// with the desired state it last read. nil when --desired is off.
func newDesired(cfg config.Config, ds desiredStart, disp displayRun, hw *backend.Hardware, colour service.ColourSetter, onState func(wire.State), resync time.Duration, log *slog.Logger) *desired.Agent {
	if !cfg.Desired {
		return nil
	}
	o := desired.Opts{
		Subjects: wire.Subjects{Prefix: cfg.Prefix, ID: cfg.ID},
		Base:     ds.base, FromFlags: ds.fromFlags, Started: ds.started,
		Display:  disp.player,
		StateDir: cfg.StateDir, Domain: cfg.DesiredDomain, Mirror: cfg.DesiredMirror,
		OnState: onState, Resync: resync,
		Log: log,
	}
	if g, ok := hw.Display.(desired.GammaSetter); ok {
		o.Gamma = g
	}
	if colour != nil {
		o.Colour = colour
	}
	a, err := desired.New(o)
	if err != nil {
		log.Warn("desired state off", "err", err)
		return nil
	}
	a.Load(ds.copy)
	return a
}
