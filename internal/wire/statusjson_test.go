package wire

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// fullStatusSample is a status like a running device's, with every part
// filled.
func fullStatusSample() Status {
	at := time.Date(2026, 12, 7, 4, 5, 6, 789_000_000, time.UTC)
	return Status{
		ID: "pi1", Version: "0.9.0", Commit: "cff1b75", UptimeS: 1234.567,
		Backends: BackendsStatus{Display: "sim", Joystick: "sim", Sensors: "sim"},
		Display:  DisplayStatus{Rotation: 90, Flip: "h", Brightness: 0.5, QueueLength: 2, Showing: "hello", FramesSent: 12345, FramesSkipped: 67},
		NATS:     NATSStatus{Connected: true, Server: "nats://127.0.0.1:4222", Reconnects: 1},
		Sensors:  map[string]string{"hts221": "ok", "lps25h": "ok", "lsm9ds1": "ok", "tcs34xx": "missing"},
		Last: LastReadings{
			Env:      json.RawMessage(`{"temperature_c":21.50,"temperature_raw_c":30.25,"humidity_pct":40.00,"pressure_hpa":1013.25,"time":"2026-12-07T04:05:06.789Z"}`),
			Motion:   json.RawMessage(`{"accel_g":[0.0000,0.0000,1.0000],"gyro_dps":[0.00,0.00,0.00],"roll_deg":1.00,"pitch_deg":359.50,"time":"2026-12-07T04:05:06.789Z"}`),
			Joystick: json.RawMessage(`{"key":"left","action":"held","time":"2026-12-07T04:05:06.6Z"}`),
		},
		Published: PublishedStatus{Boot: "0123456789ab", Env: 1234, Motion: 12340, Joystick: 5},
		Errors: ErrorsStatus{
			Counts: map[string]uint64{"request": 3, "nats": 1}, Last: "request: led.text: no text to show", LastAt: &at,
			SuppressedLogs: map[string]uint64{},
		},
		Duplicates: []Duplicate{},
		State:      json.RawMessage(`{"in_force":{"rotation":180},"from":{"rotation":"desired"},"revision":3,"default_revision":0,"desired":{"rotation":180},"source":"bucket","time":"2026-12-07T04:05:06Z"}`),
	}
}

// TestAppendStatusIsMarshal: the hand-written encoder writes exactly what
// encoding/json writes for the same value (encoding/json is the authority
// the readers decode with).
func TestAppendStatusIsMarshal(t *testing.T) {
	full := fullStatusSample()
	odd := fullStatusSample()
	odd.ID = `pi<1>&"\` + "\x01\u2028é\xff"
	odd.UptimeS = 1e-7
	odd.Display.Brightness = 1e21
	odd.Display.Showing = "(animation, 3 frames)"
	odd.NATS.Server = ""
	odd.Sensors = map[string]string{}
	odd.Last = LastReadings{Colour: json.RawMessage(`{"red":3}`)}
	odd.Errors = ErrorsStatus{}
	odd.Duplicates = []Duplicate{
		{Instance: "abc", Host: "pi-b", Version: "0.8", Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))},
		{Instance: "def", Since: time.Date(2026, 1, 2, 3, 4, 5, 1, time.UTC)},
	}
	many := fullStatusSample()
	many.Errors.Counts = map[string]uint64{}
	for i := range 40 { // more keys than the stack array holds
		many.Errors.Counts[string(rune('a'+i%26))+string(rune('A'+i/26))] = uint64(i)
	}
	for name, s := range map[string]Status{"zero": {}, "full": full, "odd": odd, "many error kinds": many} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendStatus(nil, &s); string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// TestAppendJSONFloat against encoding/json over random and edge values.
func TestAppendJSONFloat(t *testing.T) {
	vals := []float64{0, 1, -1, 0.1, 1e-6, 9.99e-7, 1e20, 1e21, 123456789.125, -3.5e-9, 5e-324, 1.7976931348623157e308}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		vals = append(vals, (r.Float64()-0.5)*float64(uint64(1)<<r.IntN(64))*pow10(r.IntN(60)-30))
	}
	for _, v := range vals {
		want, _ := json.Marshal(v)
		if got := appendJSONFloat(nil, v); string(got) != string(want) {
			t.Errorf("%v: got %s, want %s", v, got, want)
		}
	}
}

func pow10(n int) float64 {
	f := 1.0
	for ; n > 0; n-- {
		f *= 10
	}
	for ; n < 0; n++ {
		f /= 10
	}
	return f
}

// TestAppendStatusAllocs: into a buffer with room, encoding a status
// allocates nothing.
func TestAppendStatusAllocs(t *testing.T) {
	s := fullStatusSample()
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { buf = AppendStatus(buf[:0], &s) }); n != 0 {
		t.Errorf("%v allocs, want 0", n)
	}
}
