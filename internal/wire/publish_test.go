package wire

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat"
)

// TestPublisherSubjectsAndPayloads checks each message lands on its
// subject of the contract (design.md) with the documented payload, and
// that the status reply's last readings are those bytes.
func TestPublisherSubjectsAndPayloads(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	nc := connectTest(t, srv.URL())
	sub, err := nc.SubscribeSync("sensehat.pi1.>")
	if err != nil {
		t.Fatal(err)
	}
	var errs health.Registry
	p := NewPublisher(nc, Subjects{Prefix: "sensehat", ID: "pi1"}, &errs)
	at := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	p.Joystick(sensehat.Event{Key: sensehat.KeyLeft, Action: sensehat.Held, Time: at})
	p.Joystick(sensehat.Event{Key: sensehat.KeyMiddle + 1, Action: sensehat.Pressed, Time: at}) // not a key: dropped
	p.Sensor("env", []byte(`{"temperature_c":21.5}`))
	p.Sensor("motion", []byte(`{"roll_deg":1}`))
	p.Sensor("colour", []byte(`{"red":3}`))
	want := []struct{ subj, data string }{
		{"sensehat.pi1.joystick.left", `{"key":"left","action":"held","time":"2026-01-02T03:04:05.6Z"}`},
		{"sensehat.pi1.sensors.env", `{"temperature_c":21.5}`},
		{"sensehat.pi1.sensors.motion", `{"roll_deg":1}`},
		{"sensehat.pi1.sensors.colour", `{"red":3}`},
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
	if v, ok := l.DecodeEnv(); !ok || v.TemperatureC == nil || *v.TemperatureC != 21.5 || v.HumidityPct != nil {
		t.Errorf("DecodeEnv = %+v, %v; want temperature 21.5 only", v, ok)
	}
}

// BenchmarkJoystickEvent is one joystick event encoded and published.
func BenchmarkJoystickEvent(b *testing.B) {
	srv := testutil.StartServer(b, nil)
	nc := connectTest(b, srv.URL())
	p := NewPublisher(nc, Subjects{Prefix: "sensehat", ID: "pi1"}, nil)
	ev := sensehat.Event{Key: sensehat.KeyUp, Action: sensehat.Pressed, Time: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		p.Joystick(ev)
	}
}

func connectTest(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
