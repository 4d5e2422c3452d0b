package publish

import (
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat"
)

// TestPublisherSubjectsAndPayloads checks each message lands on its
// subject of the contract (design.md) with the documented payload, and
// that the status reply's last readings are those bytes.
func TestPublisherSubjectsAndPayloads(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	nc := testutil.Connect(t, srv.URL())
	sub := testutil.SubscribeSync(t, nc, "sensehat.pi1.>")
	var errs health.Registry
	p := New(nc, wire.Subjects{Prefix: "sensehat", ID: "pi1"}, &errs)
	at := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	p.Joystick(sensehat.Event{Key: sensehat.KeyLeft, Action: sensehat.Held, Time: at})
	p.Joystick(sensehat.Event{Key: sensehat.KeyMiddle + 1, Action: sensehat.Pressed, Time: at}) // not a key: dropped
	p.Env(&wire.Env{TemperatureC: 21.5, TemperatureRawC: 30.25, HumidityPct: 40, HasHumidity: true, Time: at})
	p.Motion(&wire.Motion{AccelG: [3]float64{0, 0, 1}, RollDeg: 1, PitchDeg: 359.5, Time: at})
	p.Colour(&wire.Colour{Red: 3, RedRaw: 12, Gain: 4, IntegrationCycles: 1, IntegrationTime: 2400 * time.Microsecond, MaxRaw: 1024, Time: at})
	want := []struct{ subj, data string }{
		{"sensehat.pi1.joystick.left", `{"key":"left","action":"held","time":"2026-01-02T03:04:05.6Z"}`},
		// The field names and precisions are the wire reference's (docs/reference.md).
		{"sensehat.pi1.sensors.env", `{"temperature_c":21.50,"temperature_raw_c":30.25,"humidity_pct":40.00,"time":"2026-01-02T03:04:05.6Z"}`},
		{"sensehat.pi1.sensors.motion", `{"accel_g":[0.0000,0.0000,1.0000],"gyro_dps":[0.00,0.00,0.00],"roll_deg":1.00,"pitch_deg":359.50,"time":"2026-01-02T03:04:05.6Z"}`},
		{"sensehat.pi1.sensors.colour", `{"red":3,"green":0,"blue":0,"clear":0,"red_raw":12,"green_raw":0,"blue_raw":0,"clear_raw":0,"gain":4,"integration_cycles":1,"integration_time_ms":2.4,"max_raw":1024,"time":"2026-01-02T03:04:05.6Z"}`},
	}
	for _, w := range want {
		m, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("waiting for %s: %v", w.subj, err)
		}
		if m.Subject != w.subj || string(m.Data) != w.data {
			t.Errorf("got %s %s, want %s %s", m.Subject, m.Data, w.subj, w.data)
		}
	}
	l := p.Last()
	if string(l.Joystick) != want[0].data || string(l.Env) != want[1].data || string(l.Motion) != want[2].data || string(l.Colour) != want[3].data {
		t.Errorf("last readings %+v differ from what was published", l)
	}
	var v wire.Env
	if err := wire.DecodeEnv(l.Env, &v); err != nil || v.TemperatureC != 21.5 || !v.HasHumidity || v.HasPressure {
		t.Errorf("DecodeEnv = %+v, %v; want temperature 21.5, a humidity, no pressure", v, err)
	}
}

// BenchmarkJoystickEvent is one joystick event encoded and published.
// With the Nats-Msg-Id header it reports 2 allocs/op (0 without): both are
// the header block nats.go's Msg.headerBytes builds on every PublishMsg;
// the id itself is written in place (msgid.go).
func BenchmarkJoystickEvent(b *testing.B) {
	srv := testutil.StartServer(b, nil)
	nc := testutil.Connect(b, srv.URL())
	p := New(nc, wire.Subjects{Prefix: "sensehat", ID: "pi1"}, nil)
	ev := sensehat.Event{Key: sensehat.KeyUp, Action: sensehat.Pressed, Time: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		p.Joystick(ev)
	}
}

// BenchmarkMotionReading is one motion reading encoded and published, ten
// times a second in the daemon: encoding allocates nothing; the 2
// allocs/op are nats.go's header block for the Nats-Msg-Id (see
// BenchmarkJoystickEvent).
func BenchmarkMotionReading(b *testing.B) {
	srv := testutil.StartServer(b, nil)
	nc := testutil.Connect(b, srv.URL())
	p := New(nc, wire.Subjects{Prefix: "sensehat", ID: "pi1"}, nil)
	r := &wire.Motion{AccelG: [3]float64{0.01, -0.02, 0.99}, GyroDPS: [3]float64{0.1, 0.2, 0.3}, HasMag: true, RollDeg: 1, PitchDeg: 2, HasYaw: true, YawDeg: 3, Time: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		p.Motion(r)
	}
}
