package daemon

import (
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/backend"
	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/hass"
	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/version"
	"github.com/sensehat/sensehat/internal/wire"
)

// startHA starts Home Assistant discovery unless --ha-prefix turned it
// off; a failure is logged and the daemon goes on without it (nil).
func startHA(nc *nats.Conn, cfg config.Config, board func() hass.Board, errs *health.Registry, log *slog.Logger) *hass.Publisher {
	ha, on, err := cfg.HADiscovery()
	if err != nil || !on {
		return nil
	}
	subj, err := wire.NewSubjects(cfg.Prefix, cfg.ID)
	if err != nil {
		log.Warn("home assistant discovery off", "err", err)
		return nil
	}
	dev := hass.Device{
		Subjects: subj, HA: ha, Version: version.Version,
		EnvInterval: cfg.EnvInterval, MotionInterval: cfg.MotionInterval, ColourInterval: cfg.ColourInterval,
	}
	p, err := hass.Start(nc, dev, board, log)
	if err != nil {
		log.Warn("home assistant discovery off", "err", err)
		errs.Record("hass", err)
		return nil
	}
	log.Info("home assistant discovery", "topic", wire.Topic(dev.ConfigSubject()), "birth", wire.Topic(ha.Status()))
	return p
}

// stopHA says "offline" before the connection drains; p may be nil.
func stopHA(p *hass.Publisher, log *slog.Logger) {
	if p == nil {
		return
	}
	if err := p.Stop(); err != nil {
		log.Debug("stopping home assistant discovery", "err", err)
	}
}

// boardOf says what the board has: the chips and devices hw opened, and
// the heading once headingKnown says the motion readings carry one (the
// magnetometer is calibrated), which can change while the daemon runs.
func boardOf(hw *backend.Hardware, headingKnown func() bool) func() hass.Board {
	var b hass.Board
	if s := hw.Sensors; s != nil {
		b.Temperature = s.HTS221 != nil || s.LPS25H != nil
		b.Humidity = s.HTS221 != nil
		b.Pressure = s.LPS25H != nil
		b.Motion = s.AccelGyro != nil
		b.Colour = s.Colour != nil
	}
	b.Joystick = hw.Joystick != nil
	b.Display = hw.Display != nil && hw.DisplayName != "none"
	return func() hass.Board {
		now := b
		now.Heading = b.Motion && headingKnown()
		return now
	}
}

// haState hands the reported state to Home Assistant's publisher, which
// publishes the entities' state topics from it.
func (d *Daemon) haState(st wire.State) {}
