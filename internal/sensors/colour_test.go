package sensors

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat/sim"
	"github.com/sensehat/sensehat/sensehat/tcs34xx"
)

// colourSet opens hat's colour sensor with settings s on a manual clock;
// sleep nil lets the driver's waits advance the clock.
func colourSet(t testing.TB, hat *sim.HAT, s tcs34xx.Settings, sleep func(time.Duration)) (Set, *testutil.Clock) {
	t.Helper()
	clk := testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	hat.Colour.SetClock(clk.Now)
	if sleep == nil {
		sleep = clk.Sleep
	}
	d, err := tcs34xx.New(hat.Bus, &tcs34xx.Opts{SkipKernelCheck: true, Settings: s, Now: clk.Now, Sleep: sleep})
	if err != nil {
		t.Fatal(err)
	}
	return Set{Colour: d, Missing: map[string]string{}}, clk
}

var colourOpts = Opts{EnvInterval: time.Second, MotionInterval: time.Second, ColourInterval: time.Second}

func TestColourPayload(t *testing.T) {
	tests := []struct {
		name  string
		model sim.Model
		set   tcs34xx.Settings
		light [4]float64 // red, green, blue, clear per cycle at gain 1
		want  string
	}{
		{
			// Raw = light × 16 × 64, clear saturating at 65535; colour =
			// raw // ceil(65535 / 256) = raw // 256 (python-sense-hat
			// colour.py, ColourSensor.colour); 64 × 2.75 ms = 176 ms.
			"Sense HAT v2, gain 16, 64 cycles", sim.SenseHATv2, tcs34xx.Settings{Gain: 16, IntegrationCycles: 64}, [4]float64{10, 20, 5, 100},
			`{"red":40,"green":80,"blue":20,"clear":255,"red_raw":10240,"green_raw":20480,"blue_raw":5120,"clear_raw":65535,` +
				`"gain":16,"integration_cycles":64,"integration_time_ms":176,"max_raw":65535,"time":"2026-01-01T12:00:00Z"}`,
		},
		{
			// python-sense-hat's defaults: max 1024, colour = raw // 4;
			// one cycle of the TCS34725 is 2.4 ms.
			"Astro Pi, gain 1, one cycle", sim.AstroPi, tcs34xx.Settings{Gain: 1, IntegrationCycles: 1}, [4]float64{400, 1023, 2, 2000},
			`{"red":100,"green":255,"blue":0,"clear":256,"red_raw":400,"green_raw":1023,"blue_raw":2,"clear_raw":1024,` +
				`"gain":1,"integration_cycles":1,"integration_time_ms":2.4,"max_raw":1024,"time":"2026-01-01T12:00:00Z"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hat := sim.NewHATModel(tc.model)
			hat.Colour.SetLight(tc.light[0], tc.light[1], tc.light[2], tc.light[3])
			s, _ := colourSet(t, hat, tc.set, nil)
			p := newPoller(t, s, colourOpts)
			got := payloadOf(p.PollColour(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)))
			if string(got) != tc.want {
				t.Fatalf("payload\n got %s\nwant %s", got, tc.want)
			}
			decode(t, got) // valid JSON
			if st := p.States()[ColourChip]; st != "ok" {
				t.Errorf("state = %q", st)
			}
		})
	}
}

func TestColourAbsentOnV1(t *testing.T) {
	rec := &recorder{}
	hat := sim.NewHATModel(sim.SenseHATv1)
	_, err := tcs34xx.New(hat.Bus, &tcs34xx.Opts{Bus: 1, SkipKernelCheck: true})
	s := simSet(t, hat)
	s.Missing = map[string]string{ColourChip: err.Error()}
	o := colourOpts
	o.Errors = rec
	p := newPoller(t, s, o)
	for i := 0; i < 5; i++ {
		if b := p.PollColour(time.Now()); b != nil {
			t.Fatalf("colour payload without a colour sensor: %s", payloadOf(b))
		}
	}
	if st := p.States()[ColourChip]; !strings.HasPrefix(st, "missing: tcs34xx: no colour sensor found on I2C bus 1") {
		t.Errorf("state = %q", st)
	}
	if len(rec.counts) != 0 {
		t.Errorf("errors recorded for an absent chip: %v", rec.counts)
	}
	if NewColourControl(&s, time.Second) != nil {
		t.Error("a colour control without a colour sensor")
	}

	// A set that never looked for one (an older board description) does
	// not mention it at all.
	p, err = NewPoller(simSet(t, hat), colourOpts)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := p.States()[ColourChip]; ok {
		t.Errorf("state %q for a chip never looked for", st)
	}
}

func TestColourControl(t *testing.T) {
	hat := sim.NewHAT()
	hat.Colour.SetLight(2, 3, 4, 5)
	s, _ := colourSet(t, hat, tcs34xx.Settings{Gain: 1, IntegrationCycles: 1}, nil)
	p := newPoller(t, s, colourOpts)
	c := NewColourControl(&s, 500*time.Millisecond)
	gain, cycles := 64, 100
	got, err := c.SetColour(&gain, &cycles)
	if err != nil {
		t.Fatal(err)
	}
	// 100 × 2.75 ms; full scale 65535 from 64 cycles on.
	want := wire.ColourSettings{Chip: "TCS340x", Gain: 64, IntegrationCycles: 100, IntegrationTimeMS: 275, MaxRaw: 65535}
	if got != want {
		t.Fatalf("settings = %+v, want %+v", got, want)
	}
	m := decode(t, p.PollColour(time.Now()))
	// 2 × 64 × 100 = 12800 → 12800 // 256 = 50.
	if m["red_raw"] != 12800.0 || m["red"] != 50.0 || m["gain"] != 64.0 || m["integration_cycles"] != 100.0 {
		t.Fatalf("reading after the change: %v", m)
	}

	bad := []struct {
		gain, cycles *int
		msg          string
	}{
		{ptr(60), nil, "gain 60; the TCS340x takes 1, 4, 16 or 64"},
		{nil, ptr(0), "integration cycles 0; use 1 to 256"},
		{nil, ptr(257), "integration cycles 257"},
		// 182 × 2.75 ms = 500.5 ms > 500 ms.
		{nil, ptr(182), "182 integration cycles take 500.5ms, longer than the colour interval 500ms; use at most 181 cycles"},
	}
	for _, tc := range bad {
		got, err := c.SetColour(tc.gain, tc.cycles)
		if !errors.Is(err, tcs34xx.ErrInvalidSetting) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("SetColour(%v, %v) = %v, want ErrInvalidSetting with %q", tc.gain, tc.cycles, err, tc.msg)
		}
		if got != want {
			t.Errorf("settings after a refused change = %+v", got)
		}
	}
	// Only cycles: the gain stays.
	got, err = c.SetColour(nil, ptr(181))
	if err != nil || got.Gain != 64 || got.IntegrationCycles != 181 {
		t.Fatalf("SetColour(nil, 181) = %+v, %v", got, err)
	}
}

func TestColourNotReadyIsNoError(t *testing.T) {
	rec := &recorder{}
	hat := sim.NewHAT()
	// The driver's waits do not move the clock: Configure returns at once
	// and the reading after it is not ready yet.
	s, clk := colourSet(t, hat, tcs34xx.Settings{Gain: 1, IntegrationCycles: 1}, func(time.Duration) {})
	o := colourOpts
	o.Errors = rec
	p := newPoller(t, s, o)
	if err := s.Colour.Configure(tcs34xx.Settings{Gain: 4, IntegrationCycles: 10}); err != nil {
		t.Fatal(err)
	}
	if b := p.PollColour(time.Now()); b != nil {
		t.Fatalf("payload while integrating with new settings: %s", payloadOf(b))
	}
	if len(rec.counts) != 0 || p.States()[ColourChip] != "ok" {
		t.Fatalf("not ready counted as a failure: %v, %q", rec.counts, p.States()[ColourChip])
	}
	clk.Sleep(time.Second)
	m := decode(t, p.PollColour(time.Now()))
	if m["gain"] != 4.0 || m["integration_cycles"] != 10.0 {
		t.Fatalf("reading = %v", m)
	}
}

func TestColourFailureBacksOff(t *testing.T) {
	rec := &recorder{}
	hat := sim.NewHAT()
	s, _ := colourSet(t, hat, tcs34xx.Settings{Gain: 1, IntegrationCycles: 1}, nil)
	o := colourOpts
	o.Errors, o.MaxBackoff = rec, 8*time.Second
	p := newPoller(t, s, o)
	hat.Bus.Detach(sim.TCS3400Addr)
	now := time.Now()
	for i := 0; i < 10; i++ {
		if b := p.PollColour(now.Add(time.Duration(i) * time.Second)); b != nil {
			t.Fatalf("payload from a detached chip: %s", payloadOf(b))
		}
	}
	// Backoff 1, 2, 4, 8 s: tried at t=0, 1, 3, 7 only.
	if rec.counts[ColourChip] != 4 || !strings.HasPrefix(p.States()[ColourChip], "failing (4 in a row)") {
		t.Fatalf("errors %v, state %q", rec.counts, p.States()[ColourChip])
	}
	hat.Bus.Attach(sim.TCS3400Addr, hat.Colour)
	if b := p.PollColour(now.Add(20 * time.Second)); b == nil || p.States()[ColourChip] != "ok" {
		t.Fatalf("after re-attaching: %s, %q", payloadOf(b), p.States()[ColourChip])
	}
}

func TestNewPollerNeedsColourInterval(t *testing.T) {
	s, _ := colourSet(t, sim.NewHAT(), tcs34xx.Settings{}, nil)
	if _, err := NewPoller(s, Opts{EnvInterval: time.Second, MotionInterval: time.Second}); err == nil {
		t.Fatal("want an error for a colour sensor without an interval")
	}
}

func ptr(v int) *int { return &v }

func BenchmarkPollColour(b *testing.B) {
	hat := sim.NewHAT()
	s, _ := colourSet(b, hat, tcs34xx.Settings{Gain: 16, IntegrationCycles: 64}, nil)
	p := newPoller(b, s, colourOpts)
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if p.PollColour(now.Add(time.Duration(i)*time.Second)) == nil {
			b.Fatal("no payload")
		}
	}
}
