package fleet

import (
	"math"
	"reflect"
	"testing"
)

// The expected points are worked out by hand: with from=0, to=1000 and 10
// slices, slice i holds t in [100i, 100i+100) and is drawn at 100i+50.
func TestDownsample(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []Sample
		want []Sample
	}{
		{"empty", nil, []Sample{}},
		{"mean of a slice at its middle", []Sample{{0, 1}, {99, 3}}, []Sample{{50, 2}}},
		{"edges: 99 and 100 fall in neighbouring slices", []Sample{{99, 4}, {100, 6}}, []Sample{{50, 4}, {150, 6}}},
		{"empty slices left out", []Sample{{10, 1}, {950, 9}}, []Sample{{50, 1}, {950, 9}}},
		{"outside [from, to) dropped", []Sample{{-1, 100}, {999, 7}, {1000, 100}}, []Sample{{950, 7}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := downsample(tc.in, 0, 1000, 10); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("downsample(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// However many samples come in, at most n points go out, one per slice.
func TestDownsampleBound(t *testing.T) {
	const day = 24 * 3600 * 1000
	in := make([]Sample, 0, 86400)
	for i := range 86400 { // a reading a second for a day
		in = append(in, Sample{T: int64(i) * 1000, V: float64(i % 7)})
	}
	got := downsample(in, 0, day, spanPoints)
	if len(got) != spanPoints {
		t.Fatalf("%d points from a full day, want %d", len(got), spanPoints)
	}
	for i := 1; i < len(got); i++ {
		if got[i].T <= got[i-1].T {
			t.Fatalf("points out of order at %d: %v then %v", i, got[i-1], got[i])
		}
	}
	// 120 readings a slice of 2 min, values 0..6 repeating from i=0: the
	// first slice holds 17 whole cycles (119 readings, mean 3) and one 0.
	if want := 3.0 * 119 / 120; math.Abs(got[0].V-want) > 1e-9 {
		t.Errorf("first slice mean %v, want %v", got[0].V, want)
	}
	if got := downsample(in, 0, day, 0); len(got) != 1 {
		t.Errorf("n=0 gave %d points, want 1 (one slice at least)", len(got))
	}
}

// The plots take the contract's quantities by their one name
// (wire.Quantities): env.temperature_c, motion.accel_g.x for the vector
// [x, y, z]. Words (the joystick's key) are not plotted; names that are
// not the contract's, such as the accel_g.0 of old, are refused.
func TestPlotQuantity(t *testing.T) {
	for _, tc := range []struct {
		q    string
		kind string
	}{
		{"env.temperature_c", "env"},
		{"motion.accel_g.x", "motion"},
		{"motion.heading_deg", "motion"},
		{"colour.integration_time_ms", "colour"},
		{"motion.accel_g.0", ""},
		{"motion.accel_g", ""},
		{"orientation.roll", ""},
		{"joystick.key", ""},
		{"env.time", ""},
	} {
		q, err := plotQuantity(tc.q)
		if (err == nil) != (tc.kind != "") || q.Kind != tc.kind {
			t.Errorf("plotQuantity(%q) = %+v, %v; want kind %q", tc.q, q, err, tc.kind)
		}
	}
}
