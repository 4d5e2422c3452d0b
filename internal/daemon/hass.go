package daemon

import (
	"log/slog"
	"sync/atomic"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/backend"
	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/desired"
	"github.com/sensehat/sensehat/internal/hass"
	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/version"
	"github.com/sensehat/sensehat/internal/wire"
)

// startHA starts Home Assistant discovery unless --ha-prefix turned it
// off; a failure is logged and the daemon goes on without it (nil).
func startHA(nc *nats.Conn, cfg config.Config, board func() hass.Board, state func() []byte, errs *health.Registry, log *slog.Logger) *hass.Publisher {
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
		State: state,
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

// haState is told of every new reported state; the state subject itself
// is published by the Agent, and again with each "online" (hass).
func (d *Daemon) haState(wire.State) {}

// stateForHA is the reported state for Home Assistant's publisher, nil
// when the desired state is off (discovery then keeps the entities
// optimistic).
func (d *Daemon) stateForHA() func() []byte {
	if d.desired == nil {
		return nil
	}
	return func() []byte { return d.desired.StateJSON() }
}

// litWatch tells the Agent when the matrix goes from dark to lit and
// back, looking at each frame the player sends: 192 bytes, no allocation.
type litWatch struct {
	agent atomic.Pointer[desired.Agent]
	last  atomic.Int32 // 0 unknown, 1 dark, 2 lit
}

// item tells the Agent the text or the colour the matrix starts to show
// (the text entity's state and the light's colour in Home Assistant).
func (l *litWatch) item(it display.Item) {
	a := l.agent.Load()
	if a == nil {
		return
	}
	if text, ok := display.TextOf(it); ok {
		a.SetText(text)
	} else if c, ok := display.FillOf(it); ok {
		a.SetFill(c.R, c.G, c.B)
	}
}

func (l *litWatch) hook(f *display.Frame) {
	a := l.agent.Load()
	if a == nil {
		return
	}
	var now int32 = 1
	for _, v := range f.Pix {
		if v != 0 {
			now = 2
			break
		}
	}
	if l.last.Swap(now) != now {
		a.SetLit(now == 2)
	}
}
