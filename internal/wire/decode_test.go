package wire_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)

// Values chosen to be exact at the encoders' precision (2 decimals, 4 for
// accel_g), so a round trip must give them back unchanged.
var (
	fullEnv    = wire.Env{TemperatureC: 21.5, TemperatureRawC: 23.25, HumidityPct: 40.75, HasHumidity: true, PressureHPa: 1013.25, HasPressure: true, Time: t0}
	fullMotion = wire.Motion{AccelG: [3]float64{0.0123, -0.5, 1}, GyroDPS: [3]float64{-1.5, 0, 2.25}, MagUT: [3]float64{12.5, -30, 44.75}, HasMag: true,
		RollDeg: 3.5, PitchDeg: -2.25, HasYaw: true, YawDeg: 181.5, CompassDeg: 90.25, HeadingDeg: 270.75, Time: t0}
	fullColour = wire.Colour{Red: 1, Green: 2, Blue: 3, Clear: 4, RedRaw: 101, GreenRaw: 102, BlueRaw: 103, ClearRaw: 104,
		Gain: 4, IntegrationCycles: 256, IntegrationTime: 704 * time.Millisecond, MaxRaw: 65535, Time: t0}
	fullJoystick = wire.JoystickEvent{Key: "middle", Action: "held", Time: t0}
)

func TestReadingsRoundTrip(t *testing.T) {
	roundTrip(t, "env", fullEnv, wire.AppendEnv, wire.DecodeEnv)
	roundTrip(t, "env without humidity and pressure", wire.Env{TemperatureC: -5.25, TemperatureRawC: -4, Time: t0}, wire.AppendEnv, wire.DecodeEnv)
	roundTrip(t, "motion", fullMotion, wire.AppendMotion, wire.DecodeMotion)
	roundTrip(t, "motion without magnetometer", wire.Motion{AccelG: [3]float64{0, 0, 1}, RollDeg: 1, PitchDeg: 2, Time: t0}, wire.AppendMotion, wire.DecodeMotion)
	roundTrip(t, "colour", fullColour, wire.AppendColour, wire.DecodeColour)
	roundTrip(t, "colour 2.4 ms", wire.Colour{IntegrationCycles: 1, IntegrationTime: 2400 * time.Microsecond, Time: t0}, wire.AppendColour, wire.DecodeColour)
	roundTrip(t, "joystick", fullJoystick, wire.AppendJoystick, wire.DecodeJoystick)
}

func roundTrip[T any](t *testing.T, name string, in T, enc func([]byte, *T) []byte, dec func([]byte, *T) error) {
	t.Run(name, func(t *testing.T) {
		b := enc(nil, &in)
		if !json.Valid(b) {
			t.Fatalf("encoder wrote invalid JSON: %s", b)
		}
		var got T
		if err := dec(b, &got); err != nil {
			t.Fatalf("decoding %s: %v", b, err)
		}
		if !reflect.DeepEqual(got, in) {
			t.Errorf("decoded %s\n got %+v\nwant %+v", b, got, in)
		}
	})
}

// The contract's table of names: every quantity spelled out, so a rename
// shows here as a change to the contract (docs/reference.md, "Subjects", lists the
// payloads' fields; vectors are [x, y, z]).
func TestQuantityNames(t *testing.T) {
	want := map[string][]string{
		"env": {"env.temperature_c", "env.temperature_raw_c", "env.humidity_pct", "env.pressure_hpa"},
		"motion": {"motion.accel_g.x", "motion.accel_g.y", "motion.accel_g.z", "motion.gyro_dps.x", "motion.gyro_dps.y", "motion.gyro_dps.z",
			"motion.mag_ut.x", "motion.mag_ut.y", "motion.mag_ut.z", "motion.roll_deg", "motion.pitch_deg", "motion.yaw_deg", "motion.compass_deg", "motion.heading_deg"},
		"colour": {"colour.red", "colour.green", "colour.blue", "colour.clear", "colour.red_raw", "colour.green_raw", "colour.blue_raw", "colour.clear_raw",
			"colour.gain", "colour.integration_cycles", "colour.integration_time_ms", "colour.max_raw"},
		"joystick": {"joystick.key", "joystick.action"},
	}
	if len(wire.Kinds) != len(want) {
		t.Errorf("kinds %v, want %d", wire.Kinds, len(want))
	}
	for _, k := range wire.Kinds {
		var got []string
		for _, q := range wire.Quantities(k) {
			got = append(got, q.Name)
			if l, ok := wire.LookupQuantity(q.Name); !ok || l != q {
				t.Errorf("LookupQuantity(%q) = %+v, %v", q.Name, l, ok)
			}
		}
		if !reflect.DeepEqual(got, want[k]) {
			t.Errorf("%s quantities\n got %q\nwant %q", k, got, want[k])
		}
	}
	if wire.Quantities("weather") != nil || wire.IsKind("weather") {
		t.Error("an unknown kind has quantities")
	}
}

// What the encoders write is exactly the list: every field of a full
// reading is a quantity of its kind (nothing outside the contract), and
// every quantity of the kind is there, in the list's order. encoding/json
// is the authority for what each value is.
func TestEncodersWriteTheList(t *testing.T) {
	for kind, b := range map[string][]byte{
		"env":      wire.AppendEnv(nil, &fullEnv),
		"motion":   wire.AppendMotion(nil, &fullMotion),
		"colour":   wire.AppendColour(nil, &fullColour),
		"joystick": wire.AppendJoystick(nil, &fullJoystick),
	} {
		r, err := wire.DecodeReading(kind, b, func([]byte) bool { return true })
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if r.Unknown != 0 || len(r.Extra) != 0 {
			t.Errorf("%s: %d fields outside the contract: %+v", kind, r.Unknown, r.Extra)
		}
		if !r.Time.Equal(t0) {
			t.Errorf("%s: time %v, want %v", kind, r.Time, t0)
		}
		qs := wire.Quantities(kind)
		if len(r.Values) != len(qs) {
			t.Fatalf("%s: %d values, %d quantities: %+v", kind, len(r.Values), len(qs), r.Values)
		}
		var ref map[string]any
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		if err := d.Decode(&ref); err != nil {
			t.Fatal(err)
		}
		for i, q := range qs {
			v := r.Values[i]
			if v.Name != q.Name {
				t.Errorf("%s value %d is %s, want %s", kind, i, v.Name, q.Name)
			}
			x := ref[q.Field]
			if q.Axis >= 0 {
				x = x.([]any)[q.Axis]
			}
			if fmt.Sprint(x) != v.Text || v.IsNum == q.Word {
				t.Errorf("%s = %q (number %v), encoding/json reads %v", q.Name, v.Text, v.IsNum, x)
			}
		}
	}
}

func TestDecodeReadingRefuses(t *testing.T) {
	for _, tc := range []struct {
		kind, data, want string
	}{
		{"weather", `{}`, `"weather" is not a kind of reading`},
		{"env", `not json`, "sensors.env reading: not JSON"},
		{"env", `[1,2]`, "not a JSON object"},
		{"env", `{"temperature_c":"21"}`, `temperature_c is "\"21\"", want a number`},
		{"motion", `{"accel_g":[1,2]}`, "accel_g is \"[1,2]\", want [x, y, z] of numbers"},
		{"motion", `{"accel_g":[1,2,3,4]}`, "want [x, y, z]"},
		{"motion", `{"accel_g":[1,"2",3]}`, "want a number"},
		{"joystick", `{"key":1}`, "joystick event: key is \"1\", want a string"},
		{"env", `{"time":5}`, "time is \"5\", want an RFC 3339 time"},
		{"env", `{"time":"yesterday"}`, `time "\"yesterday\"" is not an RFC 3339 time`},
	} {
		_, err := wire.DecodeReading(tc.kind, []byte(tc.data), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeReading(%s, %s) = %v, want an error with %q", tc.kind, tc.data, err, tc.want)
		}
	}
}

func TestTypedDecodersRefuse(t *testing.T) {
	var e wire.Env
	var m wire.Motion
	var c wire.Colour
	var j wire.JoystickEvent
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"env without temperature", wire.DecodeEnv([]byte(`{"temperature_raw_c":1,"time":"2026-05-01T12:00:00Z"}`), &e), "has no temperature_c"},
		{"env without time", wire.DecodeEnv([]byte(`{"temperature_c":1,"temperature_raw_c":1}`), &e), "has no time"},
		{"motion with yaw alone", wire.DecodeMotion([]byte(`{"accel_g":[0,0,1],"gyro_dps":[0,0,0],"roll_deg":0,"pitch_deg":0,"yaw_deg":3,"time":"2026-05-01T12:00:00Z"}`), &m), "only some of yaw_deg"},
		{"colour with a fraction", wire.DecodeColour([]byte(strings.Replace(string(wire.AppendColour(nil, &fullColour)), `"gain":4`, `"gain":4.5`, 1)), &c), "gain is 4.5, want a whole number"},
		{"joystick key outside the five", wire.DecodeJoystick([]byte(`{"key":"\u001b[2J","action":"pressed","time":"2026-05-01T12:00:00Z"}`), &j), "key is"},
		{"joystick action unknown", wire.DecodeJoystick([]byte(`{"key":"up","action":"kicked","time":"2026-05-01T12:00:00Z"}`), &j), `action is "\"kicked\"", want one of`},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, tc.err, tc.want)
		}
	}
	if e != (wire.Env{}) || j != (wire.JoystickEvent{}) {
		t.Errorf("a refused decode changed its target: %+v %+v", e, j)
	}
}

// A device may add any fields: a newer daemon's, or a hostile one's. They
// are no error, keep decides which are returned, and the contract's
// values come through whatever surrounds them. Keys with escapes are
// read as encoding/json reads them.
func TestDecodeReadingFieldsOutsideTheContract(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"temperature_c":21.50,"temperature_raw_c":22`)
	for i := range 1000 {
		fmt.Fprintf(&b, `,"f%03d":%d`, i, i)
	}
	b.WriteString(`,"\u001b]0;title\u0007":"\u202eevil","nested":{"a":[1,{"b":"]}"}]},"time":"2026-05-01T12:00:00Z"}`)
	asked := 0
	r, err := wire.DecodeReading("env", []byte(b.String()), func(field []byte) bool {
		asked++
		return string(field) == "f007" || strings.HasPrefix(string(field), "\x1b") || string(field) == "nested"
	})
	if err != nil {
		t.Fatal(err)
	}
	if asked != 1002 || r.Unknown != 1002 {
		t.Errorf("keep asked %d times, Unknown %d; want 1002", asked, r.Unknown)
	}
	want := []wire.Value{
		{Name: "env.f007", Text: "7", Num: 7, IsNum: true},
		{Name: "env.\x1b]0;title\x07", Text: "\u202eevil"},
		{Name: "env.nested", Text: `{"a":[1,{"b":"]}"}]}`},
	}
	if !reflect.DeepEqual(r.Extra, want) {
		t.Errorf("extra\n got %+v\nwant %+v", r.Extra, want)
	}
	if v, ok := r.Value("env.temperature_c"); !ok || v.Text != "21.50" || v.Num != 21.5 {
		t.Errorf("temperature_c = %+v, %v; want the published text 21.50", v, ok)
	}
	if len(r.Values) != 2 {
		t.Errorf("values %+v, want the two temperatures", r.Values)
	}
}

// The discovery subjects are those nats.go's micro package builds.
func TestServiceSubjects(t *testing.T) {
	for verb, got := range map[micro.Verb]string{
		micro.PingVerb:  wire.ServicePing(),
		micro.InfoVerb:  wire.ServiceInfo(),
		micro.StatsVerb: wire.ServiceStats(),
	} {
		want, err := micro.ControlSubject(verb, wire.ServiceName, "")
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s subject = %q, micro builds %q", verb, got, want)
		}
	}
}

func TestParseReadingSubject(t *testing.T) {
	for _, tc := range []struct{ subject, id, kind string }{
		{"sensehat.pi1.sensors.env", "pi1", "env"},
		{"sensehat.pi1.sensors.motion", "pi1", "motion"},
		{"sensehat.pi1.sensors.colour", "pi1", "colour"},
		{"sensehat.pi1.joystick.up", "pi1", "joystick"},
		{"sensehat.pi1.sensors.joystick", "", ""},
		{"sensehat.pi1.sensors.weather", "", ""},
		{"sensehat.pi1.sensors.env.x", "", ""},
		{"sensehat.pi1.status", "", ""},
		{"sensehat..sensors.env", "", ""},
	} {
		id, kind, ok := wire.ParseReadingSubject(tc.subject)
		if id != tc.id || kind != tc.kind || ok != (tc.kind != "") {
			t.Errorf("ParseReadingSubject(%q) = %q, %q, %v", tc.subject, id, kind, ok)
		}
		if ok {
			s := wire.Subjects{Prefix: "sensehat", ID: id}
			if s.Sensors(kind) != tc.subject && s.Joystick("up") != tc.subject {
				t.Errorf("%q is not what Subjects builds for %s %s", tc.subject, id, kind)
			}
		}
	}
}

// The joystick's keys and actions are the board's own names
// (sensehat.Key and sensehat.Action), in the same order.
func TestJoystickNamesAreTheBoards(t *testing.T) {
	var keys, actions []string
	for k := sensehat.KeyUp; k <= sensehat.KeyMiddle; k++ {
		keys = append(keys, k.String())
	}
	for a := sensehat.Pressed; a <= sensehat.Held; a++ {
		actions = append(actions, a.String())
	}
	if !reflect.DeepEqual(keys, wire.JoystickKeys) || !reflect.DeepEqual(actions, wire.JoystickActions) {
		t.Errorf("wire lists %q and %q, the board names %q and %q", wire.JoystickKeys, wire.JoystickActions, keys, actions)
	}
}

// A reading with 1,000 invented fields costs a scan of its bytes: the
// fields the reader does not keep allocate nothing.
func BenchmarkDecodeReadingInventedFields(b *testing.B) {
	var s strings.Builder
	s.WriteString(`{"temperature_c":21.50,"temperature_raw_c":22.00`)
	for i := range 1000 {
		fmt.Fprintf(&s, `,"invented_%04d":%d`, i, i)
	}
	s.WriteString(`,"time":"2026-05-01T12:00:00Z"}`)
	data := []byte(s.String())
	none := func([]byte) bool { return false }
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.DecodeReading(wire.KindEnv, data, none); err != nil {
			b.Fatal(err)
		}
	}
}

// The typed decoders, for readers that use the values.
func BenchmarkDecodeMotion(b *testing.B) {
	data := wire.AppendMotion(nil, &fullMotion)
	var m wire.Motion
	b.ReportAllocs()
	for b.Loop() {
		if err := wire.DecodeMotion(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}
