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
// colour sensor to drive.
func colourEndpoint(s *Service, c ColourSetter, done func(gain, cycles *int)) micro.Handler {
	if c == nil {
		return nil
	}
	return &colourHandler{s: s, c: c, done: done}
}

type colourHandler struct {
	s    *Service
	c    ColourSetter
	done func(gain, cycles *int) // nil: nobody to tell
}

// Handle implements micro.Handler: an empty request asks for the settings,
// a JSON object changes them. The reply, the settings in force, comes once
// an integration with them has completed, so the next sensors.colour
// reading already has them.
func (h *colourHandler) Handle(req micro.Request) {
	c, err := payload.ParseColourConfig(req.Data())
	if err != nil {
		h.s.fail(req, "colour.config", err)
		return
	}
	var set wire.ColourSettings
	if c.Gain == nil && c.IntegrationCycles == nil {
		set = h.c.Settings()
	} else if set, err = h.c.SetColour(c.Gain, c.IntegrationCycles); err != nil {
		h.s.fail(req, "colour.config", fmt.Errorf("colour.config: %w", err))
		return
	} else if h.done != nil {
		h.done(c.Gain, c.IntegrationCycles)
	}
	if req.Reply() != "" {
		if err := req.RespondJSON(set); err != nil {
			h.s.log.Debug("colour.config reply", "err", err)
		}
	}
}
