package fleet

import (
	"math"
	"testing"

	"github.com/sensehat/sensehat/internal/wire"
)

// Every number of the contract has a physical range, so a quantity added
// to wire cannot be plotted unbounded.
func TestEveryQuantityHasBounds(t *testing.T) {
	n := 0
	for _, k := range wire.Kinds {
		for _, q := range wire.Quantities(k) {
			if q.Word {
				continue
			}
			n++
			b, ok := boundsOf(q)
			if !ok || !(b.Min < b.Max) || b.Source == "" {
				t.Errorf("%s: bounds %+v, want a range and its source in physical", q.Name, b)
			}
		}
	}
	if n != plotted {
		t.Errorf("plotted is %d, want %d", plotted, n)
	}
	// Hand-checked against the register formats: LPS25H 24-bit / 4096,
	// LSM9DS1 signed 16-bit × 0.732 mg at ±16 g.
	for _, tc := range []struct {
		q    string
		v    float64
		want bool
	}{
		{"env.pressure_hpa", 1013.25, true},
		{"env.pressure_hpa", 8388607.0 / 4096, true},
		{"env.pressure_hpa", -1, false},
		{"motion.accel_g.z", 32767 * 0.000732, true},
		{"motion.accel_g.z", 1e300, false},
		{"env.temperature_c", 1.7e308, false},
		{"env.temperature_c", math.Inf(-1), false},
		{"env.humidity_pct", 100, true},
		{"no.such", 1, false},
	} {
		if got := isPhysical(tc.q, tc.v); got != tc.want {
			t.Errorf("isPhysical(%s, %v) = %v, want %v", tc.q, tc.v, got, tc.want)
		}
	}
}

// A stream's queue holds at most streamBytes, except one larger event
// when empty; the events read from it free their bytes.
func TestStreamQueueBoundInBytes(t *testing.T) {
	s := &Server{clients: map[*client]struct{}{}}
	c := &client{ch: make(chan []byte, 256)}
	s.clients[c] = struct{}{}
	big := make([]byte, streamBytes+1)
	s.broadcast(big)
	if len(c.ch) != 1 || c.queued != len(big) {
		t.Fatalf("an event larger than the bound on an empty queue: %d queued, %d bytes; want it queued", len(c.ch), c.queued)
	}
	s.broadcast([]byte("x"))
	if len(c.ch) != 1 {
		t.Errorf("an event past the bound was queued")
	}
	<-c.ch
	c.queued -= len(big) // as the stream's writer does
	ev := make([]byte, 100<<10)
	for range 200 {
		s.broadcast(ev)
	}
	if c.queued > streamBytes || len(c.ch) != streamBytes/len(ev) {
		t.Errorf("200 events of 100 KiB: %d queued, %d bytes; want %d events, at most %d bytes", len(c.ch), c.queued, streamBytes/len(ev), streamBytes)
	}
}

// A card keeps the contract's numbers within range, the others shown as
// sent and counted; its maps are reused.
func TestCardReading(t *testing.T) {
	r, err := wire.DecodeReading(wire.KindEnv, []byte(`{"temperature_c":1.7e308,"humidity_pct":45,"pressure_hpa":-1.7e308,"extra":"x"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &cardReading{Values: map[string]float64{}}
	if n := c.set(&r); n != 2 {
		t.Errorf("%d dropped, want 2", n)
	}
	if c.Values["humidity_pct"] != 45 || len(c.Values) != 1 || c.Dropped["temperature_c"] != "1.7e308" || c.Dropped["pressure_hpa"] != "-1.7e308" {
		t.Errorf("card %+v", c)
	}
	r, _ = wire.DecodeReading(wire.KindEnv, []byte(`{"temperature_c":21.5}`), nil)
	if n := c.set(&r); n != 0 || len(c.Dropped) != 0 || len(c.Values) != 1 || c.Values["temperature_c"] != 21.5 {
		t.Errorf("second reading: %d dropped, card %+v", n, c)
	}
}
