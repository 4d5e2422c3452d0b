package config

import (
	"fmt"
	"time"
)

// colourCycleMax is the longer of the two chips' integration cycles (the
// TCS3400's 2.75 ms; the TCS34725's is 2.4 ms): the flags are checked
// before the chip is known, so an integration must fit the interval on
// either.
const colourCycleMax = 2750 * time.Microsecond

// validateColour checks the colour sensor's flags. The gain is checked
// against both chips' tables here and against the one found when it is
// opened (60 is the TCS34725's highest gain, 64 the TCS3400's).
func (c *Config) validateColour() []error {
	var errs []error
	switch c.ColourGain {
	case 1, 4, 16, 60, 64:
	default:
		errs = append(errs, fmt.Errorf("config: --colour-gain %d; use 1, 4, 16, and 64 (TCS3400) or 60 (TCS34725)", c.ColourGain))
	}
	if c.ColourCycles < 1 || c.ColourCycles > 256 {
		errs = append(errs, fmt.Errorf("config: --colour-cycles %d; use 1 to 256", c.ColourCycles))
	}
	if c.ColourInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("config: --colour-interval %v is too short; use 10ms or more", c.ColourInterval))
	} else if t := time.Duration(c.ColourCycles) * colourCycleMax; c.ColourCycles <= 256 && t > c.ColourInterval {
		errs = append(errs, fmt.Errorf("config: --colour-cycles %d integrate for up to %v, longer than --colour-interval %v; use fewer cycles or a longer interval", c.ColourCycles, t, c.ColourInterval))
	}
	return errs
}
