package wire

import (
	"strconv"
	"time"
)

// Env is one sensors.env reading. The poller fills one value in place and
// hands out a pointer valid until its next poll, so readings cost no
// allocation.
type Env struct {
	// TemperatureC is the board temperature corrected for the CPU's
	// heat; TemperatureRawC is the mean of the chips' own temperatures.
	TemperatureC, TemperatureRawC float64
	// HumidityPct is set when HasHumidity: the humidity chip answered.
	HumidityPct float64
	HasHumidity bool
	// PressureHPa is set when HasPressure: the pressure chip answered.
	PressureHPa float64
	HasPressure bool
	Time        time.Time
}

// Motion is one sensors.motion reading, in python-sense-hat's quantities
// (docs/porting.md says what each means).
type Motion struct {
	AccelG, GyroDPS [3]float64
	// MagUT is set when HasMag: the magnetometer is present and answers.
	MagUT  [3]float64
	HasMag bool
	// RollDeg and PitchDeg are always set; YawDeg, CompassDeg and
	// HeadingDeg only when HasYaw (a calibrated magnetometer).
	RollDeg, PitchDeg              float64
	HasYaw                         bool
	YawDeg, CompassDeg, HeadingDeg float64
	Time                           time.Time
}

// Colour is one sensors.colour reading, in python-sense-hat's
// ColourSensor terms: Red..Clear its 0..255 colour, RedRaw..ClearRaw its
// colour_raw.
type Colour struct {
	Red, Green, Blue, Clear             int
	RedRaw, GreenRaw, BlueRaw, ClearRaw int
	Gain, IntegrationCycles             int
	IntegrationTime                     time.Duration
	MaxRaw                              int
	Time                                time.Time
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

// AppendEnv appends r's sensors.env payload to b:
// {"temperature_c","temperature_raw_c","humidity_pct","pressure_hpa","time"},
// the optional fields only when measured.
func AppendEnv(b []byte, r *Env) []byte {
	b = append(b, '{')
	b = appendField(b, FieldTemperatureC, r.TemperatureC, 2)
	b = appendField(b, FieldTemperatureRawC, r.TemperatureRawC, 2)
	if r.HasHumidity {
		b = appendField(b, FieldHumidityPct, r.HumidityPct, 2)
	}
	if r.HasPressure {
		b = appendField(b, FieldPressureHPa, r.PressureHPa, 2)
	}
	return appendTime(b, r.Time)
}

// AppendMotion appends r's sensors.motion payload to b. The names are
// python-sense-hat's (see package orientation): accel_g is
// accelerometer_raw, gyro_dps gyroscope_raw in deg/s instead of rad/s,
// mag_ut compass_raw, roll/pitch/yaw_deg get_orientation_degrees,
// compass_deg get_compass; heading_deg is the top edge's bearing.
func AppendMotion(b []byte, r *Motion) []byte {
	b = append(b, '{')
	b = appendVec(b, FieldAccelG, r.AccelG, 4)
	b = appendVec(b, FieldGyroDPS, r.GyroDPS, 2)
	if r.HasMag {
		b = appendVec(b, FieldMagUT, r.MagUT, 2)
	}
	b = appendField(b, FieldRollDeg, r.RollDeg, 2)
	b = appendField(b, FieldPitchDeg, r.PitchDeg, 2)
	if r.HasYaw {
		b = appendField(b, FieldYawDeg, r.YawDeg, 2)
		b = appendField(b, FieldCompassDeg, r.CompassDeg, 2)
		b = appendField(b, FieldHeadingDeg, r.HeadingDeg, 2)
	}
	return appendTime(b, r.Time)
}

// AppendColour appends r's sensors.colour payload to b. The names are
// python-sense-hat's ColourSensor properties: red, green, blue and clear
// are its 0..255 colour, red_raw.. clear_raw its colour_raw, then gain,
// integration_cycles, max_raw, and integration_time_ms (python-sense-hat's
// integration_time is in seconds).
func AppendColour(b []byte, r *Colour) []byte {
	b = append(b, '{')
	b = appendInt(b, FieldRed, r.Red)
	b = appendInt(b, FieldGreen, r.Green)
	b = appendInt(b, FieldBlue, r.Blue)
	b = appendInt(b, FieldClear, r.Clear)
	b = appendInt(b, FieldRedRaw, r.RedRaw)
	b = appendInt(b, FieldGreenRaw, r.GreenRaw)
	b = appendInt(b, FieldBlueRaw, r.BlueRaw)
	b = appendInt(b, FieldClearRaw, r.ClearRaw)
	b = appendInt(b, FieldGain, r.Gain)
	b = appendInt(b, FieldIntegrationCycles, r.IntegrationCycles)
	b = appendMS(b, FieldIntegrationTimeMS, r.IntegrationTime)
	b = appendInt(b, FieldMaxRaw, r.MaxRaw)
	return appendTime(b, r.Time)
}

// JoystickEvent is one joystick event, published on
// <prefix>.<id>.joystick.<key>: Key is one of JoystickKeys, Action one of
// JoystickActions.
type JoystickEvent struct {
	Key, Action string
	Time        time.Time
}

// AppendJoystick appends e's payload to b:
// {"key":"up","action":"pressed","time":"..."}. Key and Action are written
// as they are: they come from the board's own names, never from input.
func AppendJoystick(b []byte, e *JoystickEvent) []byte {
	b = append(b, '{')
	b = appendWord(b, FieldKey, e.Key)
	b = appendWord(b, FieldAction, e.Action)
	return appendTime(b, e.Time)
}

func appendWord(b []byte, name, v string) []byte {
	b = append(appendKey(b, name), '"')
	b = append(b, v...)
	return append(b, `",`...)
}

func appendField(b []byte, name string, v float64, prec int) []byte {
	b = appendKey(b, name)
	b = strconv.AppendFloat(b, v, 'f', prec, 64)
	return append(b, ',')
}

func appendVec(b []byte, name string, v [3]float64, prec int) []byte {
	b = append(appendKey(b, name), '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, x, 'f', prec, 64)
	}
	return append(b, "],"...)
}

func appendInt(b []byte, name string, v int) []byte {
	b = appendKey(b, name)
	b = strconv.AppendInt(b, int64(v), 10)
	return append(b, ',')
}

// appendMS writes d in milliseconds, as short as it is exact (2.75, 704).
func appendMS(b []byte, name string, d time.Duration) []byte {
	b = appendKey(b, name)
	b = strconv.AppendFloat(b, float64(d.Microseconds())/1000, 'f', -1, 64)
	return append(b, ',')
}

// appendKey writes `"name":`.
func appendKey(b []byte, name string) []byte {
	b = append(b, '"')
	b = append(b, name...)
	return append(b, `":`...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = appendKey(b, FieldTime)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}
