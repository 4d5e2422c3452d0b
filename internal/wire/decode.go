package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The decoders read what the encoders of readings.go write, by the same
// field names (quantities.go). A field the contract does not know is no
// error, so a reader keeps working with a newer daemon that added one.
// The typed decoders (DecodeEnv...) are for readers that use the values;
// DecodeReading is for readers that show whatever a reading holds.

// Value is one value of a decoded reading.
type Value struct {
	// Name is the quantity's name (motion.accel_g.x); for a field outside
	// the contract, <kind>.<field> as the device spelled it.
	Name string
	// Text is the value as published: a number's JSON text ("21.50"), a
	// word unquoted, and for a field outside the contract that holds an
	// object or an array, its JSON text.
	Text string
	// Num is the number when IsNum.
	Num   float64
	IsNum bool
}

// Reading is one reading or joystick event of any kind, decoded for a
// reader that shows what it holds: `sensehat history`, `sensehat watch`,
// the fleet page.
type Reading struct {
	Kind string
	// Time is the reading's own time; zero when it has none.
	Time time.Time
	// Values are the contract's quantities the reading has, in the order
	// of Quantities(Kind).
	Values []Value
	// Extra are the fields outside the contract that DecodeReading's keep
	// accepted, in the payload's order; Unknown counts all of them, kept
	// or not.
	Extra   []Value
	Unknown int
}

// Value returns the value of the quantity named name.
func (r *Reading) Value(name string) (Value, bool) {
	for _, v := range r.Values {
		if v.Name == name {
			return v, true
		}
	}
	return Value{}, false
}

// DecodeReading decodes a payload of kind: a JSON object whose fields of
// the contract have their contract's type (a number, a word, a vector of
// three numbers, an RFC 3339 time), else an error. keep is asked about
// each field outside the contract, by its key, whether to put it in Extra
// (nil keeps none): a reader that shows them must bound them, since a
// device may send any number of fields of any name. keep must not retain
// field, which is only valid during the call.
func DecodeReading(kind string, data []byte, keep func(field []byte) bool) (Reading, error) {
	var kept []member
	unknown := 0
	f, err := scanFields(kind, data, func(key, raw []byte) {
		unknown++
		if keep != nil && keep(key) {
			kept = append(kept, member{key, raw})
		}
	})
	if err != nil {
		return Reading{}, err
	}
	r := Reading{Kind: kind, Time: f.time, Unknown: unknown}
	for _, q := range quantities[kind] {
		raw := f.get(q.Field)
		if raw == nil {
			continue
		}
		v := Value{Name: q.Name}
		switch {
		case q.Axis >= 0:
			var xs [3][]byte
			if !vector(raw, &xs) {
				return Reading{}, f.errf("%s is %s, want [x, y, z] of numbers", q.Field, clip(raw))
			}
			raw = xs[q.Axis]
			fallthrough
		case !q.Word:
			n, ok := number(raw)
			if !ok {
				return Reading{}, f.errf("%s is %s, want a number", q.Field, clip(raw))
			}
			v.Text, v.Num, v.IsNum = string(raw), n, true
		default:
			s, ok := word(raw)
			if !ok {
				return Reading{}, f.errf("%s is %s, want a string", q.Field, clip(raw))
			}
			v.Text = s
		}
		r.Values = append(r.Values, v)
	}
	for _, e := range kept {
		v := Value{Name: kind + "." + string(e.key)}
		if n, ok := number(e.raw); ok {
			v.Text, v.Num, v.IsNum = string(e.raw), n, true
		} else if s, ok := word(e.raw); ok {
			v.Text = s
		} else {
			v.Text = string(e.raw)
		}
		r.Extra = append(r.Extra, v)
	}
	return r, nil
}

// DecodeEnv reads a sensors.env payload into r.
func DecodeEnv(data []byte, r *Env) error {
	f, err := scanFields(KindEnv, data, nil)
	if err != nil {
		return err
	}
	var e Env
	f.needTime(&e.Time)
	f.num(FieldTemperatureC, &e.TemperatureC, nil)
	f.num(FieldTemperatureRawC, &e.TemperatureRawC, nil)
	f.num(FieldHumidityPct, &e.HumidityPct, &e.HasHumidity)
	f.num(FieldPressureHPa, &e.PressureHPa, &e.HasPressure)
	if f.err != nil {
		return f.err
	}
	*r = e
	return nil
}

// DecodeMotion reads a sensors.motion payload into r.
func DecodeMotion(data []byte, r *Motion) error {
	f, err := scanFields(KindMotion, data, nil)
	if err != nil {
		return err
	}
	var m Motion
	f.needTime(&m.Time)
	f.vec(FieldAccelG, &m.AccelG, nil)
	f.vec(FieldGyroDPS, &m.GyroDPS, nil)
	f.vec(FieldMagUT, &m.MagUT, &m.HasMag)
	f.num(FieldRollDeg, &m.RollDeg, nil)
	f.num(FieldPitchDeg, &m.PitchDeg, nil)
	var yaw, compass, heading bool
	f.num(FieldYawDeg, &m.YawDeg, &yaw)
	f.num(FieldCompassDeg, &m.CompassDeg, &compass)
	f.num(FieldHeadingDeg, &m.HeadingDeg, &heading)
	if f.err != nil {
		return f.err
	}
	if yaw != compass || yaw != heading {
		return f.errf("has only some of %s, %s and %s: a calibrated magnetometer gives all three", FieldYawDeg, FieldCompassDeg, FieldHeadingDeg)
	}
	m.HasYaw = yaw
	*r = m
	return nil
}

// DecodeColour reads a sensors.colour payload into r.
func DecodeColour(data []byte, r *Colour) error {
	f, err := scanFields(KindColour, data, nil)
	if err != nil {
		return err
	}
	var c Colour
	f.needTime(&c.Time)
	for _, x := range []struct {
		field string
		v     *int
	}{
		{FieldRed, &c.Red}, {FieldGreen, &c.Green}, {FieldBlue, &c.Blue}, {FieldClear, &c.Clear},
		{FieldRedRaw, &c.RedRaw}, {FieldGreenRaw, &c.GreenRaw}, {FieldBlueRaw, &c.BlueRaw}, {FieldClearRaw, &c.ClearRaw},
		{FieldGain, &c.Gain}, {FieldIntegrationCycles, &c.IntegrationCycles}, {FieldMaxRaw, &c.MaxRaw},
	} {
		var n float64
		if f.num(x.field, &n, nil); f.err != nil {
			return f.err
		}
		if n != float64(int(n)) {
			return f.errf("%s is %v, want a whole number", x.field, n)
		}
		*x.v = int(n)
	}
	var ms float64
	if f.num(FieldIntegrationTimeMS, &ms, nil); f.err != nil {
		return f.err
	}
	c.IntegrationTime = time.Duration(ms * float64(time.Millisecond)).Round(time.Microsecond)
	*r = c
	return nil
}

// DecodeJoystick reads a joystick event's payload into e. Key and Action
// must be among JoystickKeys and JoystickActions.
func DecodeJoystick(data []byte, e *JoystickEvent) error {
	f, err := scanFields(KindJoystick, data, nil)
	if err != nil {
		return err
	}
	var ev JoystickEvent
	if f.needTime(&ev.Time); f.err != nil {
		return f.err
	}
	for _, x := range []struct {
		field string
		v     *string
		among []string
	}{{FieldKey, &ev.Key, JoystickKeys}, {FieldAction, &ev.Action, JoystickActions}} {
		raw := f.get(x.field)
		if raw == nil {
			return f.errf("has no %s", x.field)
		}
		for _, w := range x.among {
			if len(raw) == len(w)+2 && string(raw[1:len(raw)-1]) == w {
				*x.v = w // the list's string: no copy of the payload kept
			}
		}
		if *x.v == "" {
			return f.errf("%s is %s, want one of %q", x.field, clip(raw), x.among)
		}
	}
	*e = ev
	return nil
}

// maxFields bounds the distinct fields of one kind (motion has 10).
const maxFields = 16

// fields are the distinct fields of each kind, in the payload's order.
var fields = func() map[string][]string {
	m := map[string][]string{}
	for kind, qs := range quantities {
		for _, q := range qs {
			if n := len(m[kind]); n == 0 || m[kind][n-1] != q.Field {
				m[kind] = append(m[kind], q.Field)
			}
		}
	}
	return m
}()

// scanned is a payload split into its fields: the raw JSON of each field
// of the contract, its time, and the fields outside the contract.
type scanned struct {
	kind    string
	names   []string
	raw     [maxFields][]byte
	time    time.Time
	hasTime bool
	// err is the first error of needTime, num and vec; after it they do
	// nothing, so a decoder reads every field and checks once.
	err error
}

type member struct{ key, raw []byte }

// get returns the raw JSON of field, nil when the payload lacks it.
func (f *scanned) get(field string) []byte {
	for i, n := range f.names {
		if n == field {
			return f.raw[i]
		}
	}
	return nil
}

func (f *scanned) errf(format string, args ...any) error {
	return fmt.Errorf("wire: %s: %s", what(f.kind), fmt.Sprintf(format, args...))
}

func what(kind string) string {
	if kind == KindJoystick {
		return "joystick event"
	}
	return "sensors." + kind + " reading"
}

// scanFields checks that data is a JSON object and sorts its members by
// field; each field outside the contract goes to extra (when not nil).
func scanFields(kind string, data []byte, extra func(key, raw []byte)) (*scanned, error) {
	names := fields[kind]
	if names == nil {
		return nil, fmt.Errorf("wire: %q is not a kind of reading; the kinds are %q", kind, Kinds)
	}
	f := &scanned{kind: kind, names: names}
	if !json.Valid(data) {
		return nil, f.errf("not JSON")
	}
	if len(names) > maxFields {
		return nil, fmt.Errorf("wire: kind %s has %d fields, more than maxFields (%d): raise it", kind, len(names), maxFields)
	}
	err := members(data, func(key, raw []byte) error {
		if string(key) == FieldTime {
			s, ok := word(raw)
			if !ok {
				return f.errf("time is %s, want an RFC 3339 time", clip(raw))
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return f.errf("time %q is not an RFC 3339 time", clip([]byte(s)))
			}
			f.time, f.hasTime = t, true
			return nil
		}
		for i, n := range names {
			if string(key) == n {
				f.raw[i] = raw
				return nil
			}
		}
		if extra != nil {
			extra(key, raw)
		}
		return nil
	})
	if errors.Is(err, errNotObject) {
		return nil, f.errf("%v", err)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (f *scanned) needTime(t *time.Time) {
	if f.err != nil {
		return
	}
	if !f.hasTime {
		f.err = f.errf("has no time")
		return
	}
	*t = f.time
}

// num reads a number field; has, when not nil, says whether it is there,
// and a nil has makes the field required.
func (f *scanned) num(field string, v *float64, has *bool) {
	raw := f.present(field, has)
	if raw == nil {
		return
	}
	n, ok := number(raw)
	if !ok {
		f.err = f.errf("%s is %s, want a number", field, clip(raw))
		return
	}
	*v = n
}

// present returns the raw JSON of field, or nil when there is nothing to
// read: an earlier error, or the field absent (an error when has is nil,
// *has false otherwise). With the field there, *has is set.
func (f *scanned) present(field string, has *bool) []byte {
	if f.err != nil {
		return nil
	}
	raw := f.get(field)
	if raw == nil && has == nil {
		f.err = f.errf("has no %s", field)
	}
	if has != nil {
		*has = raw != nil
	}
	return raw
}

// vec reads a vector field, like num.
func (f *scanned) vec(field string, v *[3]float64, has *bool) {
	raw := f.present(field, has)
	if raw == nil {
		return
	}
	var xs [3][]byte
	if !vector(raw, &xs) {
		f.err = f.errf("%s is %s, want [x, y, z] of numbers", field, clip(raw))
		return
	}
	for i, x := range xs {
		n, ok := number(x)
		if !ok {
			f.err = f.errf("%s is %s, want [x, y, z] of numbers", field, clip(raw))
			return
		}
		v[i] = n
	}
}

// clip quotes at most 40 bytes of a value for an error: what a device
// sent is shown, not copied whole.
func clip(raw []byte) string {
	const max = 40
	if len(raw) > max {
		return strconv.Quote(string(raw[:max])) + "..."
	}
	return strconv.Quote(string(raw))
}

// errNotObject: valid JSON that is not an object.
var errNotObject = errors.New("not a JSON object")

// members calls fn with each member of the JSON object data, in order:
// its key, unescaped, and its value's JSON text. data must be valid JSON
// (json.Valid), so the scan only has to find where each part ends.
func members(data []byte, fn func(key, raw []byte) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errNotObject
	}
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return nil
	}
	for {
		end := skipString(data, i)
		key := data[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			if err := json.Unmarshal(data[i:end], &s); err != nil {
				return err
			}
			key = []byte(s)
		}
		i = skipSpace(data, skipSpace(data, end)+1) // past the ':'
		vend := skipValue(data, i)
		if err := fn(key, data[i:vend]); err != nil {
			return err
		}
		i = skipSpace(data, vend)
		if data[i] == '}' {
			return nil
		}
		i = skipSpace(data, i+1) // past the ','
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index past the string that starts at b[i].
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue returns the index past the value that starts at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); {
			switch b[j] {
			case '"':
				j = skipString(b, j)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return len(b)
	}
	j := i
	for ; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j
		}
	}
	return j
}

// number reads a JSON number; anything else (a string of digits
// included) is not one.
func number(raw []byte) (float64, bool) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	n, err := strconv.ParseFloat(string(raw), 64)
	return n, err == nil
}

// word reads a JSON string.
func word(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	plain := true
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// vector splits a JSON array of exactly three values.
func vector(raw []byte, xs *[3][]byte) bool {
	if len(raw) < 2 || raw[0] != '[' {
		return false
	}
	i, n := skipSpace(raw, 1), 0
	if raw[i] == ']' {
		return false
	}
	for {
		end := skipValue(raw, i)
		if n == len(xs) {
			return false
		}
		xs[n] = raw[i:end]
		n++
		i = skipSpace(raw, end)
		if raw[i] == ']' {
			return n == len(xs)
		}
		i = skipSpace(raw, i+1)
	}
}
