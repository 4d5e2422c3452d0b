package sensors

import (
	"errors"
	"fmt"
	"time"

	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat/tcs34xx"
)

// ColourChip names the colour sensor in Set.Missing, the status reply's
// sensors and the error counts.
const ColourChip = "tcs34xx"

// PollColour reads the colour sensor and returns the reading, valid until
// the next PollColour, or nil when there is none, it failed, or an
// integration with new settings is still under way. The 0..255 colour is
// python-sense-hat's: raw // ceil(max_raw / 256).
func (p *Poller) PollColour(now time.Time) *wire.Colour {
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
	p.colV = wire.Colour{
		Red: red, Green: green, Blue: blue, Clear: clear,
		RedRaw: int(r.Red), GreenRaw: int(r.Green), BlueRaw: int(r.Blue), ClearRaw: int(r.Clear),
		Gain: r.Gain, IntegrationCycles: r.IntegrationCycles,
		IntegrationTime: time.Duration(r.IntegrationCycles) * p.set.Colour.Variant().CycleTime(),
		MaxRaw:          r.MaxRaw(),
		Time:            now,
	}
	return &p.colV
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
func (c *ColourControl) Settings() wire.ColourSettings {
	s := c.dev.Settings()
	v := c.dev.Variant()
	return wire.ColourSettings{
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
// integration longer than the publish interval, is a *wire.Error with code
// wire.Invalid that wraps tcs34xx.ErrInvalidSetting, and changes nothing;
// a chip that fails to take the settings is wire.Unavailable.
func (c *ColourControl) SetColour(gain, cycles *int) (wire.ColourSettings, error) {
	s := c.dev.Settings()
	if gain != nil {
		s.Gain = *gain
	}
	if cycles != nil {
		s.IntegrationCycles = *cycles
	}
	if err := s.Check(c.dev.Variant()); err != nil {
		var se *tcs34xx.SettingError
		if errors.As(err, &se) {
			return c.Settings(), &wire.Error{Code: wire.Invalid, Message: se.Detail, Err: err}
		}
		return c.Settings(), wire.Errorf(wire.Invalid, "%w", err)
	}
	if t := time.Duration(s.IntegrationCycles) * c.dev.Variant().CycleTime(); t > c.interval {
		maxCycles := int(c.interval / c.dev.Variant().CycleTime())
		return c.Settings(), &wire.Error{Code: wire.Invalid, Err: tcs34xx.ErrInvalidSetting,
			Message: fmt.Sprintf("%d integration cycles take %v, longer than the colour interval %v; use at most %d cycles or a longer --colour-interval",
				s.IntegrationCycles, t, c.interval, maxCycles)}
	}
	if err := c.dev.Configure(s); err != nil {
		// The chip did not answer: the request was fine and may succeed
		// once it does.
		return c.Settings(), wire.Errorf(wire.Unavailable, "sensors: configuring the colour sensor: %w", err)
	}
	return c.Settings(), nil
}
