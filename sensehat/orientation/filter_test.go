package orientation

import (
	"math"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/pysensehat"
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

// flatMag is RTIMULib's compass vector lying flat with the matrix's top
// edge at the given bearing (degrees clockwise from magnetic north): the
// field's opposite in the axes (top, right, out).
func flatMag(bearing float64) [3]float64 {
	s, c := math.Sincos(bearing * math.Pi / 180)
	// North along top is cos(bearing), along right -sin(bearing).
	return [3]float64{-bh * c, bh * s, bv}
}

func TestConventions(t *testing.T) {
	s30, c30 := math.Sincos(30 * math.Pi / 180)
	s20, c20 := math.Sincos(20 * math.Pi / 180)
	tests := []struct {
		name                               string
		accel, mag                         [3]float64
		roll, pitch, yaw, compass, bearing float64
	}{
		{"flat, top edge south", [3]float64{0, 0, 1}, flatMag(180), 0, 0, 0, 0, 180},
		{"flat, top edge west", [3]float64{0, 0, 1}, flatMag(270), 0, 0, 90, 90, 270},
		{"flat, top edge north", [3]float64{0, 0, 1}, flatMag(0), 0, 0, 180, 180, 0},
		{"flat, top edge east", [3]float64{0, 0, 1}, flatMag(90), 0, 0, 270, 270, 90},
		// Right edge up: specific force (up) along +Y.
		{"right edge up 30", [3]float64{0, s30, c30}, [3]float64{bh, bv * s30, bv * c30}, 30, 0, 0, 0, 180},
		{"left edge up 30", [3]float64{0, -s30, c30}, [3]float64{bh, -bv * s30, bv * c30}, 330, 0, 0, 0, 180},
		// Top edge down: specific force along -X.
		{"top edge down 20", [3]float64{-s20, 0, c20}, [3]float64{bh*c20 - bv*s20, 0, bh*s20 + bv*c20}, 0, 20, 0, 0, 180},
		{"face down", [3]float64{0, 0, -1}, [3]float64{bh, 0, -bv}, 180, 0, 0, 0, 180},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFilter(DefaultFilterOpts)
			o := f.Update(tc.accel, [3]float64{}, &tc.mag, 0)
			// The authority: RTIMULib's calculatePose and python-sense-hat's
			// degree mapping on the same vectors.
			r, p, y := pysensehat.Orientation(tc.accel, tc.mag)
			angle(t, "roll vs python-sense-hat", o.Roll, r)
			angle(t, "pitch vs python-sense-hat", o.Pitch, p)
			angle(t, "yaw vs python-sense-hat", o.Yaw, y)
			angle(t, "compass vs python-sense-hat", o.Compass, pysensehat.Compass(tc.mag))
			// And what the vectors were built to show.
			angle(t, "roll", o.Roll, tc.roll)
			angle(t, "pitch", o.Pitch, tc.pitch)
			if !o.HasYaw {
				t.Fatal("HasYaw false with a magnetometer")
			}
			angle(t, "yaw", o.Yaw, tc.yaw)
			angle(t, "heading", o.Heading, tc.bearing)
			if tc.roll == 0 && tc.pitch == 0 {
				angle(t, "compass flat", o.Compass, tc.compass)
			}
		})
	}
}

// angle checks got in [0, 360) against want, with 0 and 360 the same.
func angle(t *testing.T, what string, got, want float64) {
	t.Helper()
	if got < 0 || got >= 360 || math.IsNaN(got) || math.Abs(math.Remainder(got-want, 360)) > 0.01 {
		t.Errorf("%s = %.4f, want %.4f in [0, 360)", what, got, want)
	}
}

func TestCompassIsNotTiltCompensated(t *testing.T) {
	// Top edge north, right edge up 30°: the field's steep vertical part
	// leaks into the right axis, which get_compass takes as level. yaw
	// stays 180, the compass does not.
	s, c := math.Sincos(30 * math.Pi / 180)
	accel := [3]float64{0, s, c}
	mag := [3]float64{-bh, bv * s, bv * c}
	o := NewFilter(DefaultFilterOpts).Update(accel, [3]float64{}, &mag, 0)
	angle(t, "yaw", o.Yaw, 180)
	angle(t, "heading", o.Heading, 0)
	want := pysensehat.Compass(mag)
	angle(t, "compass", o.Compass, want)
	if math.Abs(math.Remainder(want-180, 360)) < 20 {
		t.Errorf("python-sense-hat's compass %.1f: the test no longer shows a tilt error", want)
	}
}

func TestGyroRates(t *testing.T) {
	// One 100 ms step of 10 dps from level, gravity and field still
	// saying level: the gyro moves the angle 1°, of which the filter
	// keeps w = 98 %. Positive rates grow each angle (RTIMULib's
	// kinematics in its own axes).
	south := flatMag(180)
	tests := []struct {
		name             string
		gyro             [3]float64
		mag              *[3]float64
		roll, pitch, yaw float64
	}{
		{"X grows roll", [3]float64{10, 0, 0}, nil, 0.98, 0, 0},
		{"Y grows pitch", [3]float64{0, 10, 0}, nil, 0, 0.98, 0},
		{"Z grows yaw", [3]float64{0, 0, 10}, &south, 0, 0, 0.98},
		{"-X is reported below 360", [3]float64{-10, 0, 0}, nil, 359.02, 0, 0},
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
				// Clockwise seen from above: the top edge's bearing grows.
				approx(t, "heading", o.Heading, 180+tc.yaw, 1e-9)
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

func TestDegrees(t *testing.T) {
	// get_orientation_degrees: negative angles plus 360.
	for _, tc := range []struct{ rad, want float64 }{
		{0, 0}, {math.Copysign(0, -1), 0}, {-math.Pi / 2, 270}, {math.Pi / 2, 90}, {math.Pi, 180}, {-math.Pi, 180}, {-1e-17, 0}, {3 * math.Pi, 180},
	} {
		got := degrees(tc.rad)
		if got < 0 || got >= 360 || math.Abs(got-tc.want) > 1e-9 || math.Signbit(got) {
			t.Errorf("degrees(%g) = %g, want %g", tc.rad, got, tc.want)
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
