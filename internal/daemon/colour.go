package daemon

import (
	"github.com/sensehat/sensehat/internal/backend"
	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/sensors"
	"github.com/sensehat/sensehat/internal/service"
)

// colourSetter is the colour.config endpoint's control, or a nil interface
// (no endpoint) when the board has no colour sensor.
func colourSetter(hw *backend.Hardware, cfg config.Config) service.ColourSetter {
	if c := sensors.NewColourControl(hw.Sensors, cfg.ColourInterval); c != nil {
		return c
	}
	return nil
}
