package daemon

import (
	"bytes"

	"github.com/sensehat/sensehat/internal/hass"
	"github.com/sensehat/sensehat/internal/version"
	"github.com/sensehat/sensehat/internal/wire"
)

// startHA starts Home Assistant discovery unless --ha-prefix turned it
// off; a failure is logged and the daemon goes on without it.
func (d *Daemon) startHA() {
	ha, on, err := d.Config.HADiscovery()
	if err != nil || !on {
		return
	}
	subj, err := wire.NewSubjects(d.Config.Prefix, d.Config.ID)
	if err != nil {
		d.Log.Warn("home assistant discovery off", "err", err)
		return
	}
	dev := hass.Device{
		Subjects: subj, HA: ha, Version: version.Version,
		EnvInterval: d.Config.EnvInterval, MotionInterval: d.Config.MotionInterval, ColourInterval: d.Config.ColourInterval,
	}
	p, err := hass.Start(d.nc, dev, d.haBoard, d.Log)
	if err != nil {
		d.Log.Warn("home assistant discovery off", "err", err)
		d.errs.Record("hass", err)
		return
	}
	d.ha.Store(p)
	d.Log.Info("home assistant discovery", "topic", wire.Topic(dev.ConfigSubject()), "birth", wire.Topic(ha.Status()))
}

// stopHA says "offline" before the connection drains.
func (d *Daemon) stopHA() {
	if p := d.ha.Swap(nil); p != nil {
		if err := p.Stop(); err != nil {
			d.Log.Debug("stopping home assistant discovery", "err", err)
		}
	}
}

// haBoard says what the board has now. The heading is there once the last
// motion reading carries it (the magnetometer is calibrated).
func (d *Daemon) haBoard() hass.Board {
	var b hass.Board
	if s := d.hw.Sensors; s != nil {
		b.Temperature = s.HTS221 != nil || s.LPS25H != nil
		b.Humidity = s.HTS221 != nil
		b.Pressure = s.LPS25H != nil
		b.Motion = s.AccelGyro != nil
		b.Colour = s.Colour != nil
	}
	if b.Motion && d.pub != nil {
		b.Heading = bytes.Contains(d.pub.last().Motion, []byte(`"heading_deg"`))
	}
	b.Joystick = d.hw.Joystick != nil
	b.Display = d.hw.Display != nil && d.hw.DisplayName != "none"
	return b
}
