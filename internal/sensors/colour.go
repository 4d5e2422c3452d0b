package sensors

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sensehat/sensehat/sensehat/tcs34xx"
)

// ColourChip names the colour sensor in Set.Missing, the status reply's
// sensors and the error counts.
const ColourChip = "tcs34xx"

// PollColour reads the colour sensor and returns the sensors.colour
// payload, or nil when there is none, it failed, or an integration with
// new settings is still under way.
//
// The names are python-sense-hat's ColourSensor properties: red, green,
// blue and clear are its 0..255 colour (raw // ceil(max_raw / 256)),
// red_raw.. clear_raw its colour_raw, then gain, integration_cycles,
// max_raw, and integration_time_ms (python-sense-hat's integration_time is
// in seconds).
func (p *Poller) PollColour(now time.Time) []byte {
	if p.set.Colour == nil || !p.col.due(now) {
		return nil
	}
	err := p.set.Colour.Sense(&p.colR)
	if errors.Is(err, tcs34xx.ErrNotReady) {
		return nil // just reconfigured: the next tick has the new settings
	}
	ok := p.col.result(err, now, p.opts.ColourInterval, p.opts.MaxBackoff, p.opts.Errors)
	p.updateStates()
	if !ok {
		return nil
	}
	r := &p.colR
	red, green, blue, clear := r.Colour()
	b := append(p.buf[:0], '{')
	b = appendInt(b, "red", red)
	b = appendInt(b, "green", green)
	b = appendInt(b, "blue", blue)
	b = appendInt(b, "clear", clear)
	b = appendInt(b, "red_raw", int(r.Red))
	b = appendInt(b, "green_raw", int(r.Green))
	b = appendInt(b, "blue_raw", int(r.Blue))
	b = appendInt(b, "clear_raw", int(r.Clear))
	b = appendInt(b, "gain", r.Gain)
	b = appendInt(b, "integration_cycles", r.IntegrationCycles)
	b = appendMS(b, "integration_time_ms", time.Duration(r.IntegrationCycles)*p.set.Colour.Variant().CycleTime())
	b = appendInt(b, "max_raw", r.MaxRaw())
	b = appendTime(b, now)
	p.buf = b
	return b
}

func appendInt(b []byte, name string, v int) []byte {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	b = strconv.AppendInt(b, int64(v), 10)
	return append(b, ',')
}

// appendMS writes d in milliseconds, as short as it is exact (2.75, 704).
func appendMS(b []byte, name string, d time.Duration) []byte {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	b = strconv.AppendFloat(b, float64(d.Microseconds())/1000, 'f', -1, 64)
	return append(b, ',')
}

// ColourSettings describe the colour sensor's configuration, as the
// colour.config endpoint answers.
type ColourSettings struct {
	Chip              string  `json:"chip"`
	Gain              int     `json:"gain"`
	IntegrationCycles int     `json:"integration_cycles"`
	IntegrationTimeMS float64 `json:"integration_time_ms"`
	MaxRaw            int     `json:"max_raw"`
}

// ColourControl changes the colour sensor's gain and integration cycles
// while the daemon runs, keeping an integration within the publish
// interval, so every reading published is a new one.
type ColourControl struct {
	dev      ColourSensor
	interval time.Duration
}

// NewColourControl returns the control of s's colour sensor, or nil when
// s has none.
func NewColourControl(s *Set, interval time.Duration) *ColourControl {
	if s == nil || s.Colour == nil {
		return nil
	}
	return &ColourControl{dev: s.Colour, interval: interval}
}

// Settings returns the settings in force.
func (c *ColourControl) Settings() ColourSettings {
	s := c.dev.Settings()
	v := c.dev.Variant()
	return ColourSettings{
		Chip:              v.String(),
		Gain:              s.Gain,
		IntegrationCycles: s.IntegrationCycles,
		IntegrationTimeMS: float64((time.Duration(s.IntegrationCycles) * v.CycleTime()).Microseconds()) / 1000,
		MaxRaw:            tcs34xx.MaxRaw(s.IntegrationCycles),
	}
}

// SetColour changes what is given (nil keeps the current value) and
// returns the settings in force. It returns once an integration with the
// new settings has completed. A value the chip does not take, or an
// integration longer than the publish interval, wraps
// tcs34xx.ErrInvalidSetting and changes nothing.
func (c *ColourControl) SetColour(gain, cycles *int) (ColourSettings, error) {
	s := c.dev.Settings()
	if gain != nil {
		s.Gain = *gain
	}
	if cycles != nil {
		s.IntegrationCycles = *cycles
	}
	if err := s.Check(c.dev.Variant()); err != nil {
		return c.Settings(), err
	}
	if t := time.Duration(s.IntegrationCycles) * c.dev.Variant().CycleTime(); t > c.interval {
		maxCycles := int(c.interval / c.dev.Variant().CycleTime())
		return c.Settings(), fmt.Errorf("%w: %d integration cycles take %v, longer than the colour interval %v; use at most %d cycles or a longer --colour-interval",
			tcs34xx.ErrInvalidSetting, s.IntegrationCycles, t, c.interval, maxCycles)
	}
	if err := c.dev.Configure(s); err != nil {
		return c.Settings(), fmt.Errorf("sensors: configuring the colour sensor: %w", err)
	}
	return c.Settings(), nil
}
