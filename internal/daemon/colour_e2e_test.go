package daemon

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// colourReading is sensors.colour as published.
type colourReading struct {
	Red, Green, Blue, Clear int
	RedRaw                  int     `json:"red_raw"`
	GreenRaw                int     `json:"green_raw"`
	BlueRaw                 int     `json:"blue_raw"`
	ClearRaw                int     `json:"clear_raw"`
	Gain                    int     `json:"gain"`
	IntegrationCycles       int     `json:"integration_cycles"`
	IntegrationTimeMS       float64 `json:"integration_time_ms"`
	MaxRaw                  int     `json:"max_raw"`
	Time                    string  `json:"time"`
}

// nextColour waits for a reading that satisfies ok.
func nextColour(t *testing.T, sub *nats.Subscription, what string, ok func(colourReading) bool) colourReading {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("%s: no sensors.colour reading: %v", what, err)
		}
		var c colourReading
		dec := json.NewDecoder(strings.NewReader(string(m.Data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("sensors.colour %s: %v", m.Data, err)
		}
		if ok(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: last reading %s", what, m.Data)
		}
	}
}

// colourDaemon checks the test for leaks and runs daemon pi1 on a board of
// model m, reading the colour sensor every 100 ms at gain 16 over 10
// cycles unless adjust (if not nil) changes that; it returns the daemon,
// a connection, and that connection's subscription to the readings.
func colourDaemon(t *testing.T, m sim.Model, adjust func(*config.Config)) (*running, *nats.Conn, *nats.Subscription) {
	t.Helper()
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	cfg := simConfig(t, srv.URL(), "pi1")
	cfg.ColourInterval = 100 * time.Millisecond
	cfg.ColourGain, cfg.ColourCycles = 16, 10
	if adjust != nil {
		adjust(&cfg)
	}
	r := startWith(t, cfg, startOpts{model: m})
	nc := connect(t, srv.URL())
	return r, nc, testutil.SubscribeSync(t, nc, "sensehat.pi1.sensors.colour")
}

// lightGives sets the light (red, green, blue, clear) r's colour sensor
// sees, waits on sub for a reading with want's red raw count and wants it
// to be want, its time aside, which it returns.
func lightGives(t *testing.T, r *running, sub *nats.Subscription, what string, light [4]float64, want colourReading) colourReading {
	t.Helper()
	r.hat.Colour.SetLight(light[0], light[1], light[2], light[3])
	got := nextColour(t, sub, what, func(c colourReading) bool { return c.RedRaw == want.RedRaw })
	want.Time = got.Time
	if got != want {
		t.Fatalf("reading %+v\nwant    %+v", got, want)
	}
	return got
}

func TestColourEndToEnd(t *testing.T) {
	r, nc, sub := colourDaemon(t, sim.SenseHATv2, nil)
	// Raw = light × gain 16 × 10 cycles; full scale 10240, so
	// python-sense-hat's colour is raw // ceil(10240 / 256) = raw // 40
	// (sense_hat/colour.py, ColourSensor.colour); 10 × 2.75 ms.
	got := lightGives(t, r, sub, "flags' settings", [4]float64{10, 20, 5, 40},
		colourReading{Red: 40, Green: 80, Blue: 20, Clear: 160, RedRaw: 1600, GreenRaw: 3200, BlueRaw: 800, ClearRaw: 6400,
			Gain: 16, IntegrationCycles: 10, IntegrationTimeMS: 27.5, MaxRaw: 10240})
	if _, err := time.Parse(time.RFC3339Nano, got.Time); err != nil {
		t.Errorf("time %q: %v", got.Time, err)
	}

	// The run-time change answers with the settings in force once an
	// integration with them has completed.
	m := request(t, nc, "sensehat.pi1.colour.config", []byte(`{"gain":64,"integration_cycles":20}`), 5*time.Second)
	if m.Header.Get("Nats-Service-Error-Code") != "" {
		t.Fatalf("colour.config refused: %s %v", m.Data, m.Header)
	}
	if s := string(m.Data); s != `{"chip":"TCS340x","gain":64,"integration_cycles":20,"integration_time_ms":55,"max_raw":20480}` {
		t.Fatalf("colour.config reply %s", s)
	}
	// Raw = light × 64 × 20, saturating at 20 × 1024 = 20480; colour =
	// raw // 80.
	got = nextColour(t, sub, "new settings", func(c colourReading) bool { return c.Gain == 64 })
	want := colourReading{Red: 160, Green: 256, Blue: 80, Clear: 256, RedRaw: 12800, GreenRaw: 20480, BlueRaw: 6400, ClearRaw: 20480,
		Gain: 64, IntegrationCycles: 20, IntegrationTimeMS: 55, MaxRaw: 20480, Time: got.Time}
	if got != want {
		t.Fatalf("reading after colour.config %+v\nwant %+v", got, want)
	}

	// Bad requests: 400, nothing changes.
	for _, tc := range []struct{ body, msg string }{
		{`{"gain":60}`, "colour.config: gain 60; the TCS340x takes 1, 4, 16 or 64"},
		// 37 × 2.75 ms = 101.75 ms, longer than the 100 ms interval.
		{`{"integration_cycles":37}`, "colour.config: 37 integration cycles take 101.75ms, longer than the colour interval 100ms; use at most 36 cycles"},
		{`{"integration_cycles":0}`, "send an integer from 1 to 256"},
		{`{"cycles":5}`, `unknown field "cycles"`},
		{`{"gain":`, "malformed JSON"},
		{`[16]`, "not a JSON object"},
	} {
		m := request(t, nc, "sensehat.pi1.colour.config", []byte(tc.body), 5*time.Second)
		if code := m.Header.Get("Nats-Service-Error-Code"); code != "400" || !strings.Contains(m.Header.Get("Nats-Service-Error"), tc.msg) {
			t.Errorf("%s: code %q, error %q; want 400 with %q", tc.body, code, m.Header.Get("Nats-Service-Error"), tc.msg)
		}
	}
	m = request(t, nc, "sensehat.pi1.colour.config", nil, 5*time.Second)
	if s := string(m.Data); s != `{"chip":"TCS340x","gain":64,"integration_cycles":20,"integration_time_ms":55,"max_raw":20480}` {
		t.Fatalf("settings after refused changes: %s", s)
	}

	// The status reports the chip and the last reading.
	st := status(t, nc, "pi1")
	if st.Sensors["tcs34xx"] != "ok" {
		t.Errorf("status sensors = %v", st.Sensors)
	}
	last, _ := json.Marshal(st.Last.Colour)
	if !strings.Contains(string(last), `"gain":64`) || !strings.Contains(string(last), `"red_raw":12800`) {
		t.Errorf("status last.colour = %s", last)
	}
}

func TestColourAstroPi(t *testing.T) {
	r, _, sub := colourDaemon(t, sim.AstroPi, func(cfg *config.Config) { cfg.ColourGain = 60 })
	// The TCS34725: raw = light × 60 × 10, colour = raw // 40, 10 × 2.4 ms.
	lightGives(t, r, sub, "TCS34725", [4]float64{3, 2, 1, 6},
		colourReading{Red: 45, Green: 30, Blue: 15, Clear: 90, RedRaw: 1800, GreenRaw: 1200, BlueRaw: 600, ClearRaw: 3600,
			Gain: 60, IntegrationCycles: 10, IntegrationTimeMS: 24, MaxRaw: 10240})
}

func TestColourAbsentOnV1Board(t *testing.T) {
	_, nc, col := colourDaemon(t, sim.SenseHATv1, func(cfg *config.Config) {
		cfg.ColourInterval = 20 * time.Millisecond
		cfg.ColourCycles = 1
	})
	env := testutil.SubscribeSync(t, nc, "sensehat.pi1.sensors.env")
	// Ten env readings take 500 ms: 25 colour intervals without a reading.
	for i := 0; i < 10; i++ {
		if _, err := env.NextMsg(5 * time.Second); err != nil {
			t.Fatal("env readings stopped:", err)
		}
	}
	if n, _, _ := col.Pending(); n != 0 {
		t.Errorf("%d sensors.colour readings from a board without the sensor", n)
	}
	st := status(t, nc, "pi1")
	if why := st.Sensors["tcs34xx"]; !strings.HasPrefix(why, "missing: tcs34xx: no colour sensor found") {
		t.Errorf("status sensors.tcs34xx = %q", why)
	}
	if st.Sensors["hts221"] != "ok" || st.Last.Colour != nil {
		t.Errorf("status sensors %v, last colour %v", st.Sensors, st.Last.Colour)
	}
	if n := st.Errors.Counts["tcs34xx"]; n != 0 {
		t.Errorf("%d errors counted for a sensor the board does not have", n)
	}
	// No endpoint: a request finds no responder rather than an error reply.
	if _, err := nc.Request("sensehat.pi1.colour.config", nil, 2*time.Second); !errors.Is(err, nats.ErrNoResponders) {
		t.Errorf("colour.config on a v1 board: %v, want no responders", err)
	}
}
