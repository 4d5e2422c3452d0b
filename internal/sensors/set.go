// Package sensors polls the Sense HAT's sensor chips, each on its own
// schedule, and derives what users want from their raw readings: the
// CPU-heat-compensated temperature, roll, pitch, yaw and heading (with the
// magnetometer's hard-iron calibration, kept in the state directory), and
// python-sense-hat's colour scaling. It hands typed readings to a Sink and
// does not encode or publish them itself. A missing chip is reported
// (States) and its quantities are left out of the readings; a failing chip
// is retried with growing backoff without holding up the others.
package sensors

import (
	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/lps25h"
	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
	"github.com/sensehat/sensehat/sensehat/tcs34xx"
)

// HumidityTemp is the HTS221 (over I2C or IIO).
type HumidityTemp interface {
	Sense(*hts221.Reading) error
}

// PressureTemp is the LPS25H (over I2C or IIO).
type PressureTemp interface {
	Sense(*lps25h.Reading) error
}

// AccelGyro is the LSM9DS1's accelerometer and gyroscope.
type AccelGyro interface {
	Sense(*lsm9ds1.Motion) error
}

// Magnetometer is the LSM9DS1's magnetometer, in µT, in python-sense-hat's
// axes (package lsm9ds1).
type Magnetometer interface {
	Sense(*[3]float64) error
}

// ColourSensor is the TCS3400 or TCS34725 (*tcs34xx.Dev).
type ColourSensor interface {
	Sense(*tcs34xx.Reading) error
	Settings() tcs34xx.Settings
	Configure(tcs34xx.Settings) error
	Variant() tcs34xx.Variant
}

// Set is the chips found on the board. A nil field is a chip that is not
// there; Missing says why, for the status reply.
type Set struct {
	HTS221    HumidityTemp
	LPS25H    PressureTemp
	AccelGyro AccelGyro
	Mag       Magnetometer
	Colour    ColourSensor
	// Missing maps a chip name ("hts221", "lps25h", "lsm9ds1", "lsm9ds1_mag",
	// "tcs34xx")
	// to why it is absent.
	Missing map[string]string
	// CPUTempPath is the thermal zone used for compensation; "" turns
	// compensation off (the simulated HAT has no CPU next to it).
	CPUTempPath string
}
