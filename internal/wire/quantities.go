package wire

import "strings"

// The kinds of reading: the last token of <prefix>.<id>.sensors.<kind>,
// and KindJoystick for the events on <prefix>.<id>.joystick.<key>.
const (
	KindEnv      = "env"
	KindMotion   = "motion"
	KindColour   = "colour"
	KindJoystick = "joystick"
)

// Kinds are the kinds of reading, in the order readers list them.
var Kinds = []string{KindEnv, KindMotion, KindColour, KindJoystick}

// The fields of the payloads, as the encoders write them and the decoders
// read them. A reader names a quantity <kind>.<field>, and an element of a
// vector field (a JSON array [x, y, z]) <kind>.<field>.<axis>: see
// Quantity.
const (
	FieldTime = "time"

	FieldTemperatureC    = "temperature_c"
	FieldTemperatureRawC = "temperature_raw_c"
	FieldHumidityPct     = "humidity_pct"
	FieldPressureHPa     = "pressure_hpa"

	FieldAccelG     = "accel_g"
	FieldGyroDPS    = "gyro_dps"
	FieldMagUT      = "mag_ut"
	FieldRollDeg    = "roll_deg"
	FieldPitchDeg   = "pitch_deg"
	FieldYawDeg     = "yaw_deg"
	FieldCompassDeg = "compass_deg"
	FieldHeadingDeg = "heading_deg"

	FieldRed               = "red"
	FieldGreen             = "green"
	FieldBlue              = "blue"
	FieldClear             = "clear"
	FieldRedRaw            = "red_raw"
	FieldGreenRaw          = "green_raw"
	FieldBlueRaw           = "blue_raw"
	FieldClearRaw          = "clear_raw"
	FieldGain              = "gain"
	FieldIntegrationCycles = "integration_cycles"
	FieldIntegrationTimeMS = "integration_time_ms"
	FieldMaxRaw            = "max_raw"

	FieldKey    = "key"
	FieldAction = "action"
)

// Axes name the elements of a vector field, in the board's frame (see
// design.md, "Motion"): accel_g [x, y, z] is accel_g.x, accel_g.y,
// accel_g.z.
var Axes = [3]string{"x", "y", "z"}

// JoystickKeys are the joystick's keys, the last token of its subjects.
var JoystickKeys = []string{"up", "down", "left", "right", "middle"}

// JoystickActions are the actions of a joystick event.
var JoystickActions = []string{"pressed", "released", "held"}

// Quantity is one value a reading carries, under the one name every
// reader uses for it: the fleet page and its API, `sensehat history` and
// its CSV header, `sensehat watch`, Home Assistant's entities and the
// docs.
type Quantity struct {
	// Name is <kind>.<field>, or <kind>.<field>.<axis> for an element of
	// a vector: env.temperature_c, motion.accel_g.x.
	Name string
	// Kind is the reading's kind (KindEnv...), Field its payload's key.
	Kind, Field string
	// Axis is the element of a vector field (0 for x, 1 y, 2 z), or -1.
	Axis int
	// Unit is the unit's symbol ("" for a count or a word).
	Unit string
	// Word is set for a quantity that is a word, not a number (the
	// joystick's key and action).
	Word bool
	// Optional is set for a quantity a reading may lack: humidity and
	// pressure when that chip did not answer, the magnetometer's values
	// when it is absent, yaw, compass and heading until it is calibrated.
	Optional bool
}

// quantities are every kind's quantities, in the order the encoders write
// them.
var quantities = map[string][]Quantity{
	KindEnv: {
		q(KindEnv, FieldTemperatureC, "°C"),
		q(KindEnv, FieldTemperatureRawC, "°C"),
		opt(q(KindEnv, FieldHumidityPct, "%")),
		opt(q(KindEnv, FieldPressureHPa, "hPa")),
	},
	KindMotion: concat(
		vec(KindMotion, FieldAccelG, "g", false),
		vec(KindMotion, FieldGyroDPS, "°/s", false),
		vec(KindMotion, FieldMagUT, "µT", true),
		[]Quantity{
			q(KindMotion, FieldRollDeg, "°"),
			q(KindMotion, FieldPitchDeg, "°"),
			opt(q(KindMotion, FieldYawDeg, "°")),
			opt(q(KindMotion, FieldCompassDeg, "°")),
			opt(q(KindMotion, FieldHeadingDeg, "°")),
		}),
	KindColour: {
		q(KindColour, FieldRed, ""), q(KindColour, FieldGreen, ""), q(KindColour, FieldBlue, ""), q(KindColour, FieldClear, ""),
		q(KindColour, FieldRedRaw, ""), q(KindColour, FieldGreenRaw, ""), q(KindColour, FieldBlueRaw, ""), q(KindColour, FieldClearRaw, ""),
		q(KindColour, FieldGain, ""), q(KindColour, FieldIntegrationCycles, ""),
		q(KindColour, FieldIntegrationTimeMS, "ms"), q(KindColour, FieldMaxRaw, ""),
	},
	KindJoystick: {
		{Name: KindJoystick + "." + FieldKey, Kind: KindJoystick, Field: FieldKey, Axis: -1, Word: true},
		{Name: KindJoystick + "." + FieldAction, Kind: KindJoystick, Field: FieldAction, Axis: -1, Word: true},
	},
}

func q(kind, field, unit string) Quantity {
	return Quantity{Name: kind + "." + field, Kind: kind, Field: field, Axis: -1, Unit: unit}
}

func opt(q Quantity) Quantity { q.Optional = true; return q }

func vec(kind, field, unit string, optional bool) []Quantity {
	out := make([]Quantity, len(Axes))
	for i, a := range Axes {
		out[i] = Quantity{Name: kind + "." + field + "." + a, Kind: kind, Field: field, Axis: i, Unit: unit, Optional: optional}
	}
	return out
}

func concat(qs ...[]Quantity) []Quantity {
	var out []Quantity
	for _, q := range qs {
		out = append(out, q...)
	}
	return out
}

// byName finds a quantity by its name.
var byName = func() map[string]Quantity {
	m := map[string]Quantity{}
	for _, qs := range quantities {
		for _, q := range qs {
			m[q.Name] = q
		}
	}
	return m
}()

// Quantities returns the quantities of kind, in the order its payload
// has them; nil for a kind that is not one of Kinds. The slice is the
// caller's.
func Quantities(kind string) []Quantity {
	qs := quantities[kind]
	if qs == nil {
		return nil
	}
	return append([]Quantity(nil), qs...)
}

// LookupQuantity returns the quantity named name (motion.accel_g.x).
func LookupQuantity(name string) (Quantity, bool) {
	q, ok := byName[name]
	return q, ok
}

// IsKind reports whether kind is one of Kinds.
func IsKind(kind string) bool { _, ok := quantities[kind]; return ok }

// ParseReadingSubject splits the subject of a reading,
// <prefix>.<id>.sensors.<kind>, or of a joystick event,
// <prefix>.<id>.joystick.<key>, into the device id and the kind. ok is
// false for any other subject, and for a kind that is not one of Kinds.
func ParseReadingSubject(subject string) (id, kind string, ok bool) {
	prefix, rest, _ := strings.Cut(subject, ".")
	id, rest, _ = strings.Cut(rest, ".")
	group, last, _ := strings.Cut(rest, ".")
	if prefix == "" || id == "" || last == "" || strings.Contains(last, ".") {
		return "", "", false
	}
	switch {
	case group == "sensors" && last != KindJoystick && IsKind(last):
		return id, last, true
	case group == KindJoystick:
		return id, KindJoystick, true
	}
	return "", "", false
}
