package service

import (
	"fmt"

	"github.com/nats-io/nats.go/micro"

	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/wire"
)

// ColourSetter changes the colour sensor's settings;
// *sensors.ColourControl implements it. SetColour's errors carry their
// wire.Code (a setting the chip does not take is wire.Invalid).
type ColourSetter interface {
	Settings() wire.ColourSettings
	SetColour(gain, cycles *int) (wire.ColourSettings, error)
}

// colourEndpoint is the colour.config handler, or nil when there is no
// colour sensor to drive. done, if set, is told of every change a request
// made (desired state writes it back).
func colourEndpoint(s *Service, c ColourSetter, done func(gain, cycles *int)) micro.Handler {
	if c == nil {
		return nil
	}
	return parsed(s, "colour.config", payload.ParseColourConfig, (&colourHandler{s: s, c: c, done: done}).configure)
}

type colourHandler struct {
	s    *Service
	c    ColourSetter
	done func(gain, cycles *int) // nil: nobody to tell
}

// configure is colour.config: an empty request asks for the settings,
// a JSON object changes them. The reply, the settings in force, comes once
// an integration with them has completed, so the next sensors.colour
// reading already has them.
func (h *colourHandler) configure(req micro.Request, c wire.ColourConfig) error {
	var set wire.ColourSettings
	if c.Gain == nil && c.IntegrationCycles == nil {
		set = h.c.Settings()
	} else {
		var err error
		if set, err = h.c.SetColour(c.Gain, c.IntegrationCycles); err != nil {
			return fmt.Errorf("colour.config: %w", err)
		}
		if h.done != nil {
			h.done(c.Gain, c.IntegrationCycles)
		}
	}
	h.s.answer(req, "colour.config reply", set)
	return nil
}
