package wire_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/wire"
)

// The readers of readings (history, watch, the fleet page, Home Assistant)
// decode what any device on the network sends, so the decoders are fuzzed
// with encoding/json as the judge: whatever wire accepts, encoding/json
// must read as a JSON object with the same numbers. Seed corpora live in
// testdata/fuzz/<FuzzName>/.

func seedReadings(f *testing.F) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Add(wire.KindEnv, string(wire.AppendEnv(nil, &wire.Env{TemperatureC: 21.5, TemperatureRawC: 30, HumidityPct: 40, HasHumidity: true, Time: at})))
	f.Add(wire.KindMotion, string(wire.AppendMotion(nil, &wire.Motion{AccelG: [3]float64{0, 0, 1}, HasMag: true, MagUT: [3]float64{1, -2, 3}, HasYaw: true, YawDeg: 10, Time: at})))
	f.Add(wire.KindColour, string(wire.AppendColour(nil, &wire.Colour{Time: at})))
	f.Add(wire.KindJoystick, string(wire.AppendJoystick(nil, &wire.JoystickEvent{Key: "up", Action: "pressed", Time: at})))
	f.Add(wire.KindEnv, `{"temperature_c":1e999,"temperature_raw_c":-0,"time":"2026-05-01T12:00:00Z","x\u001b":[{"a":[]}]}`)
	f.Add(wire.KindMotion, `{"accel_g":[1,2],"gyro_dps":[1,2,3,4],"time":"x"}`)
	f.Add(wire.KindEnv, `{"temperature_c":1,"temperature_c":2,"temperature_raw_c":3,"time":"2026-05-01T12:00:00Z"}`)
	f.Add("nope", `{}`)
}

// FuzzDecodeReading: DecodeReading never panics; what it accepts is a JSON
// object to encoding/json, and every number it reports is finite.
func FuzzDecodeReading(f *testing.F) {
	seedReadings(f)
	f.Fuzz(func(t *testing.T, kind, data string) {
		r, err := wire.DecodeReading(kind, []byte(data), func([]byte) bool { return true })
		if err != nil {
			return
		}
		// RawMessage, not any: JSON allows numbers (1e700) that no
		// float64 holds, and a field outside the contract may carry one.
		var obj map[string]json.RawMessage
		if jerr := json.Unmarshal([]byte(data), &obj); jerr != nil {
			t.Fatalf("DecodeReading(%q) accepted %q, which encoding/json refuses: %v", kind, data, jerr)
		}
		for _, v := range r.Values {
			if v.IsNum && (math.IsNaN(v.Num) || math.IsInf(v.Num, 0)) {
				t.Errorf("%s: %v is no JSON number", v.Name, v.Num)
			}
		}
	})
}

// FuzzDecodeEnv: an env reading DecodeEnv accepts has the values
// encoding/json reads from the same bytes, and survives AppendEnv and
// DecodeEnv again unchanged (the encoder's precision aside).
func FuzzDecodeEnv(f *testing.F) {
	seedReadings(f)
	f.Fuzz(func(t *testing.T, _ string, data string) {
		var e wire.Env
		if err := wire.DecodeEnv([]byte(data), &e); err != nil {
			return
		}
		var std struct {
			TemperatureC    float64  `json:"temperature_c"`
			TemperatureRawC float64  `json:"temperature_raw_c"`
			HumidityPct     *float64 `json:"humidity_pct"`
			PressureHPa     *float64 `json:"pressure_hpa"`
			Time            time.Time
		}
		if err := json.Unmarshal([]byte(data), &std); err != nil {
			t.Fatalf("DecodeEnv accepted %q, which encoding/json refuses: %v", data, err)
		}
		if e.TemperatureC != std.TemperatureC || e.TemperatureRawC != std.TemperatureRawC {
			t.Errorf("temperatures %v, %v; encoding/json reads %v, %v", e.TemperatureC, e.TemperatureRawC, std.TemperatureC, std.TemperatureRawC)
		}
		if e.HasHumidity != (std.HumidityPct != nil) || e.HasHumidity && e.HumidityPct != *std.HumidityPct {
			t.Errorf("humidity %v (%v); encoding/json reads %v", e.HumidityPct, e.HasHumidity, std.HumidityPct)
		}
		if e.HasPressure != (std.PressureHPa != nil) || e.HasPressure && e.PressureHPa != *std.PressureHPa {
			t.Errorf("pressure %v (%v); encoding/json reads %v", e.PressureHPa, e.HasPressure, std.PressureHPa)
		}
		var again wire.Env
		if err := wire.DecodeEnv(wire.AppendEnv(nil, &e), &again); err != nil {
			t.Fatalf("DecodeEnv refuses what AppendEnv wrote of %+v: %v", e, err)
		}
		if again.HasHumidity != e.HasHumidity || again.HasPressure != e.HasPressure || !again.Time.Equal(e.Time) {
			t.Errorf("round trip changed %+v into %+v", e, again)
		}
	})
}
