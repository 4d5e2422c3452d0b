package sensors

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/pysensehat"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/lps25h"
	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// newPoller is NewPoller, failing the test on an error.
func newPoller(t testing.TB, s Set, o Opts) *Poller {
	t.Helper()
	p, err := NewPoller(s, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// simSet opens every chip of a simulated HAT through the real drivers.
func simSet(t testing.TB, hat *sim.HAT) Set {
	t.Helper()
	// A simulated bus has no kernel: nothing to look for in /sys.
	ho, lo := hts221.DefaultOpts, lps25h.DefaultOpts
	ho.SkipKernelCheck, lo.SkipKernelCheck = true, true
	h, err := hts221.New(hat.Bus, &ho)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lps25h.New(hat.Bus, &lo)
	if err != nil {
		t.Fatal(err)
	}
	noSleep := func(time.Duration) {}
	ag, err := lsm9ds1.NewAccelGyro(hat.Bus, &lsm9ds1.Opts{Sleep: noSleep, SkipKernelCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := lsm9ds1.NewMag(hat.Bus, &lsm9ds1.MagOpts{Sleep: noSleep, SkipKernelCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	return Set{HTS221: h, LPS25H: l, AccelGyro: ag, Mag: m}
}

type recorder struct {
	mu     sync.Mutex
	counts map[string]int
}

func (r *recorder) Record(sub string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.counts[sub]++
}

// payloadOf is a reading as published (wire's encoders), nil for none.
func payloadOf(r any) []byte {
	switch r := r.(type) {
	case *wire.Env:
		if r != nil {
			return wire.AppendEnv(nil, r)
		}
	case *wire.Motion:
		if r != nil {
			return wire.AppendMotion(nil, r)
		}
	case *wire.Colour:
		if r != nil {
			return wire.AppendColour(nil, r)
		}
	case []byte:
		return r
	}
	return nil
}

// decode takes a reading (or a payload) and returns its JSON payload's
// fields.
func decode(t *testing.T, r any) map[string]any {
	t.Helper()
	b := payloadOf(r)
	if b == nil {
		t.Fatal("no payload")
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("payload %s: %v", b, err)
	}
	return m
}

func near(t *testing.T, m map[string]any, key string, want, tol float64) {
	t.Helper()
	v, ok := m[key].(float64)
	if !ok {
		t.Fatalf("%s missing in %v", key, m)
	}
	if math.Abs(v-want) > tol {
		t.Errorf("%s = %v, want %v ± %v", key, v, want, tol)
	}
}

func TestEnvPayloadFollowsSimulatedValues(t *testing.T) {
	hat := sim.NewHAT()
	hat.HTS221.Set(21.5, 45)
	hat.LPS25H.Set(1013.25, 21.5)
	p := newPoller(t, simSet(t, hat), Opts{EnvInterval: time.Second, MotionInterval: 100 * time.Millisecond})
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	m := decode(t, p.PollEnv(now))
	near(t, m, "temperature_c", 21.5, 0.1)
	near(t, m, "temperature_raw_c", 21.5, 0.1)
	near(t, m, "humidity_pct", 45, 0.5)
	near(t, m, "pressure_hpa", 1013.25, 0.01)
	if m["time"] != "2026-11-23T12:00:00Z" {
		t.Errorf("time = %v", m["time"])
	}

	hat.HTS221.Set(-12.3, 80)
	hat.LPS25H.Set(870, -12.3)
	m = decode(t, p.PollEnv(now.Add(time.Second)))
	near(t, m, "temperature_c", -12.3, 0.1)
	near(t, m, "humidity_pct", 80, 0.5)
	near(t, m, "pressure_hpa", 870, 0.01)
}

func TestMissingChipIsAbsentNotZero(t *testing.T) {
	hat := sim.NewHAT()
	s := simSet(t, hat)
	s.HTS221 = nil
	s.Missing = map[string]string{"hts221": "not found at 0x5f"}
	p := newPoller(t, s, Opts{EnvInterval: time.Second, MotionInterval: time.Second})
	m := decode(t, p.PollEnv(time.Now()))
	if _, ok := m["humidity_pct"]; ok {
		t.Errorf("humidity present without an HTS221: %v", m)
	}
	near(t, m, "pressure_hpa", 1013.25, 0.01)
	if st := p.States()["hts221"]; st != "missing: not found at 0x5f" {
		t.Errorf("state = %q", st)
	}
}

func TestFailingChipBacksOffAndOthersContinue(t *testing.T) {
	hat := sim.NewHAT()
	rec := &recorder{}
	p := newPoller(t, simSet(t, hat), Opts{EnvInterval: time.Second, MotionInterval: time.Second, Errors: rec, MaxBackoff: 8 * time.Second})
	hat.Bus.Detach(sim.HTS221Addr)
	now := time.Now()
	before := hat.Bus.Transactions(sim.HTS221Addr)
	for i := 0; i < 10; i++ {
		m := decode(t, p.PollEnv(now.Add(time.Duration(i)*time.Second)))
		if _, ok := m["humidity_pct"]; ok {
			t.Fatalf("humidity reported while the chip is gone: %v", m)
		}
		near(t, m, "pressure_hpa", 1013.25, 0.01)
	}
	// Backoff 1, 2, 4, 8 s: tried at t=0, 1, 3, 7 only.
	if got := hat.Bus.Transactions(sim.HTS221Addr) - before; got != 4 {
		t.Errorf("failing chip tried %d times in 10 s, want 4 (exponential backoff)", got)
	}
	if rec.counts["hts221"] != 4 {
		t.Errorf("errors counted = %v", rec.counts)
	}
	if st := p.States()["hts221"]; st == "ok" || st == "" {
		t.Errorf("state = %q, want failing", st)
	}
	hat.Bus.Attach(sim.HTS221Addr, hat.HTS221)
	m := decode(t, p.PollEnv(now.Add(20*time.Second)))
	near(t, m, "humidity_pct", 45, 0.5)
	if st := p.States()["hts221"]; st != "ok" {
		t.Errorf("state after recovery = %q", st)
	}
}

func TestMotionFlatAndTilted(t *testing.T) {
	hat := sim.NewHAT()
	p := newPoller(t, simSet(t, hat), Opts{EnvInterval: time.Second, MotionInterval: 100 * time.Millisecond})
	now := time.Now()
	m := decode(t, p.PollMotion(now))
	acc, ok := m["accel_g"].([]any)
	if !ok || len(acc) != 3 {
		t.Fatalf("accel_g = %v", m["accel_g"])
	}
	if math.Abs(acc[0].(float64)) > 0.01 || math.Abs(acc[1].(float64)) > 0.01 || math.Abs(acc[2].(float64)-1) > 0.01 {
		t.Errorf("flat board accel = %v, want (0, 0, 1)", acc)
	}
	if _, ok := m["heading_deg"]; ok {
		t.Errorf("heading published before the magnetometer is calibrated: %v", m)
	}
	hat.LSM9DS1.SetAttitude(30, 20, 0)
	var last map[string]any
	for i := 1; i <= 400; i++ { // a jump with no gyro rate converges at the filter's pace
		last = decode(t, p.PollMotion(now.Add(time.Duration(i)*100*time.Millisecond)))
	}
	near(t, last, "roll_deg", 30, 1)
	near(t, last, "pitch_deg", 20, 1)
}

func TestMotionMatchesPythonSenseHat(t *testing.T) {
	// A calibrated board (offset zero, as the simulated one has no hard
	// iron) at known attitudes: every motion field is the number
	// python-sense-hat's arithmetic gives for the same chip registers
	// (package pysensehat), in its units or in the one the name says.
	dir := t.TempDir()
	cal := `{"axes":"python-sense-hat","min":[-60,-60,-60],"max":[60,60,60],"samples":100}`
	if err := os.WriteFile(filepath.Join(dir, CalibrationFile), []byte(cal), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, att := range [][6]float64{
		{0, 0, 0, 0, 0, 0},
		{30, 20, 225, 10, -20, 30},
		{-25, 10, 45, 0, 0, -90},
		{0, 0, 90, 0, 0, 0},
	} {
		hat := sim.NewHAT()
		hat.LSM9DS1.SetAttitude(att[0], att[1], att[2])
		hat.LSM9DS1.SetRates(att[3], att[4], att[5])
		p := newPoller(t, simSet(t, hat), Opts{EnvInterval: time.Second, MotionInterval: 100 * time.Millisecond, StateDir: dir})
		m := decode(t, p.PollMotion(time.Now()))

		regs := func(c sim.Chip, reg byte) []byte {
			out := make([]byte, 6)
			if err := c.Tx([]byte{reg}, out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		gyro, accel, mag := pysensehat.IMURead(regs(hat.LSM9DS1.AG, 0x18), regs(hat.LSM9DS1.AG, 0x28), regs(hat.LSM9DS1.Mag, 0xA8))
		roll, pitch, yaw := pysensehat.Orientation(accel, mag)
		vec := func(key string, want pysensehat.Vector, k, tol float64) {
			t.Helper()
			got, ok := m[key].([]any)
			if !ok || len(got) != 3 {
				t.Fatalf("%s = %v", key, m[key])
			}
			for i := range 3 {
				if math.Abs(got[i].(float64)-want[i]*k) > tol {
					t.Errorf("attitude %v: %s = %v, python-sense-hat %.4f", att, key, got, want)
					return
				}
			}
		}
		vec("accel_g", accel, 1, 0.00006)
		vec("gyro_dps", gyro, 180/math.Pi, 0.006)
		vec("mag_ut", mag, 1, 0.006)
		deg := func(key string, want float64) {
			t.Helper()
			got, ok := m[key].(float64)
			if !ok || got < 0 || got >= 360 || math.Abs(math.Remainder(got-want, 360)) > 0.006 {
				t.Errorf("attitude %v: %s = %v, python-sense-hat %.4f", att, key, m[key], want)
			}
		}
		deg("roll_deg", roll)
		deg("pitch_deg", pitch)
		deg("yaw_deg", yaw)
		deg("compass_deg", pysensehat.Compass(mag))
		deg("heading_deg", yaw+180)
	}
}

func TestNewPollerRejectsZeroIntervals(t *testing.T) {
	if _, err := NewPoller(Set{}, Opts{}); err == nil {
		t.Fatal("want an error for zero intervals")
	}
}

func BenchmarkPollEnv(b *testing.B) {
	hat := sim.NewHAT()
	p := newPoller(b, simSet(b, hat), Opts{EnvInterval: time.Second, MotionInterval: time.Second})
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if p.PollEnv(now.Add(time.Duration(i)*time.Second)) == nil {
			b.Fatal("no payload")
		}
	}
}

func BenchmarkPollMotion(b *testing.B) {
	hat := sim.NewHAT()
	p := newPoller(b, simSet(b, hat), Opts{EnvInterval: time.Second, MotionInterval: 100 * time.Millisecond})
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if p.PollMotion(now.Add(time.Duration(i)*100*time.Millisecond)) == nil {
			b.Fatal("no payload")
		}
	}
}
