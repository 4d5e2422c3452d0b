package orientation

import (
	"math"
	"testing"
	"time"
)

func approx(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.4f, want %.4f ± %g", what, got, want, tol)
	}
}

// Field of 48 µT dipping 64°: 21.04 µT horizontal, 43.14 µT down.
const (
	bh = 21.042
	bv = 43.142
)

func TestConventions(t *testing.T) {
	s30, c30 := math.Sincos(30 * math.Pi / 180)
	s20, c20 := math.Sincos(20 * math.Pi / 180)
	tests := []struct {
		name                       string
		accel, mag                 [3]float64
		roll, pitch, yaw, headingD float64
	}{
		{"flat north", [3]float64{0, 0, 1}, [3]float64{bh, 0, -bv}, 0, 0, 0, 0},
		// Left edge up: gravity's reaction leans towards +Y.
		{"roll +30 lifts left edge", [3]float64{0, s30, c30}, [3]float64{bh, -bv * s30, -bv * c30}, 30, 0, 0, 0},
		// Forward edge down: the reaction leans towards -X.
		{"pitch +20 dips forward edge", [3]float64{-s20, 0, c20}, [3]float64{bh*c20 + bv*s20, 0, bh*s20 - bv*c20}, 0, 20, 0, 0},
		// Counter-clockwise from above: north is then to the right (-Y).
		{"yaw +90 faces west", [3]float64{0, 0, 1}, [3]float64{0, -bh, -bv}, 0, 0, 90, 270},
		{"yaw -90 faces east", [3]float64{0, 0, 1}, [3]float64{0, bh, -bv}, 0, 0, -90, 90},
		{"yaw 180 faces south", [3]float64{0, 0, 1}, [3]float64{-bh, 0, -bv}, 0, 0, 180, 180},
		{"face down", [3]float64{0, 0, -1}, [3]float64{bh, 0, bv}, 180, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFilter(DefaultFilterOpts)
			o := f.Update(tc.accel, [3]float64{}, &tc.mag, 0)
			approx(t, "roll", o.Roll, tc.roll, 0.01)
			approx(t, "pitch", o.Pitch, tc.pitch, 0.01)
			if !o.HasYaw {
				t.Fatal("HasYaw false with a magnetometer")
			}
			if math.Abs(tc.yaw) == 180 {
				approx(t, "|yaw|", math.Abs(o.Yaw), 180, 0.01)
			} else {
				approx(t, "yaw", o.Yaw, tc.yaw, 0.01)
			}
			approx(t, "heading", o.Heading, tc.headingD, 0.01)
		})
	}
}

func TestGyroRightHandRule(t *testing.T) {
	// One 100 ms step of 10 dps from level, gravity and field still
	// saying level and north: the gyro moves the angle 1°, of which the
	// filter keeps w = 98 %.
	north := [3]float64{bh, 0, -bv}
	tests := []struct {
		name             string
		gyro             [3]float64
		mag              *[3]float64
		roll, pitch, yaw float64
	}{
		{"about +X raises roll", [3]float64{10, 0, 0}, nil, 0.98, 0, 0},
		{"about +Y raises pitch", [3]float64{0, 10, 0}, nil, 0, 0.98, 0},
		{"about +Z raises yaw", [3]float64{0, 0, 10}, &north, 0, 0, 0.98},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFilter(DefaultFilterOpts)
			f.Update([3]float64{0, 0, 1}, [3]float64{}, tc.mag, 0)
			o := f.Update([3]float64{0, 0, 1}, tc.gyro, tc.mag, 100*time.Millisecond)
			approx(t, "roll", o.Roll, tc.roll, 1e-9)
			approx(t, "pitch", o.Pitch, tc.pitch, 1e-9)
			if o.HasYaw != (tc.mag != nil) {
				t.Fatalf("HasYaw = %v with mag %v", o.HasYaw, tc.mag)
			}
			if o.HasYaw {
				approx(t, "yaw", o.Yaw, tc.yaw, 1e-9)
				// Turning counter-clockwise lowers the compass heading.
				approx(t, "heading", o.Heading, 360-tc.yaw, 1e-9)
			}
		})
	}
}

func TestFilterTracksAndConverges(t *testing.T) {
	// Turning at 20 dps about X for 3 s with gravity agreeing: the
	// estimate follows the turn without lag building up.
	f := NewFilter(FilterOpts{GyroWeight: 0.9})
	dt := 10 * time.Millisecond
	var o Orientation
	for i := 0; i <= 300; i++ {
		roll := 20 * float64(i) * dt.Seconds() * math.Pi / 180
		o = f.Update([3]float64{0, math.Sin(roll), math.Cos(roll)}, [3]float64{20, 0, 0}, nil, dt)
	}
	approx(t, "roll while turning", o.Roll, 60, 0.01)
	if o.HasYaw || o.Yaw != 0 || o.Heading != 0 {
		t.Errorf("without a magnetometer: %+v, want no yaw", o)
	}
	// A gyro with a 1 dps bias and the board still: gravity holds it.
	for range 1000 {
		o = f.Update([3]float64{0, 0, 1}, [3]float64{1, 1, 0}, nil, dt)
	}
	// Steady state error is bias·dt·w/(1-w) = 0.09°.
	approx(t, "roll with biased gyro", o.Roll, 0.09, 0.01)
	approx(t, "pitch with biased gyro", o.Pitch, 0.09, 0.01)
}

func TestFilterWrapsAround(t *testing.T) {
	f := NewFilter(DefaultFilterOpts)
	s, c := math.Sincos(179 * math.Pi / 180)
	f.Update([3]float64{0, s, c}, [3]float64{}, nil, 0)
	// Gravity now says -179°: two degrees away across ±180, not 358.
	o := f.Update([3]float64{0, -s, c}, [3]float64{}, nil, 10*time.Millisecond)
	approx(t, "roll across ±180", o.Roll, 179.04, 1e-6)
}

func TestFilterWithoutGravity(t *testing.T) {
	f := NewFilter(DefaultFilterOpts)
	if o := f.Update([3]float64{}, [3]float64{}, nil, 0); o != (Orientation{}) {
		t.Errorf("first update in free fall = %+v, want zero", o)
	}
	f.Update([3]float64{0, 0, 1}, [3]float64{}, nil, 0)
	// In free fall the gyro alone carries the attitude.
	o := f.Update([3]float64{0, 0, 0.01}, [3]float64{0, 50, 0}, nil, 100*time.Millisecond)
	approx(t, "pitch in free fall", o.Pitch, 5, 1e-9)
}

func TestHeading(t *testing.T) {
	for _, tc := range []struct{ yaw, want float64 }{
		{0, 0}, {-0.0, 0}, {-90, 90}, {90, 270}, {180, 180}, {-180, 180}, {-1e-14, 1e-14},
	} {
		got := heading(tc.yaw)
		if got < 0 || got >= 360 || math.Abs(got-tc.want) > 1e-9 || math.Signbit(got) {
			t.Errorf("heading(%g) = %g, want %g", tc.yaw, got, tc.want)
		}
	}
}

func TestNewFilterClampsWeight(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{{0, 0.98}, {-1, 0}, {0.5, 0.5}, {1, 0.999}} {
		if got := NewFilter(FilterOpts{GyroWeight: tc.in}).w; got != tc.want {
			t.Errorf("GyroWeight %g → %g, want %g", tc.in, got, tc.want)
		}
	}
}

func BenchmarkFilterUpdate(b *testing.B) {
	f := NewFilter(DefaultFilterOpts)
	accel := [3]float64{0.1, 0.2, 0.97}
	gyro := [3]float64{1, -2, 3}
	mag := [3]float64{20, 3, -40}
	b.ReportAllocs()
	for b.Loop() {
		f.Update(accel, gyro, &mag, 10*time.Millisecond)
	}
}
