package pysensehat

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.12f, want %.12f", what, got, want)
	}
}

func TestIMUReadSignsAndScales(t *testing.T) {
	// Chip (1000, -2000, 3000) LSB little endian on every output.
	raw := []byte{0xE8, 0x03, 0x30, 0xF8, 0xB8, 0x0B}
	g, a, c := IMURead(raw, raw, raw)
	d := math.Pi / 180
	for i, want := range [3]float64{17.5 * d, -35 * d, -52.5 * d} {
		near(t, "gyro", g[i], want)
	}
	for i, want := range [3]float64{-0.244, 0.488, 0.732} {
		near(t, "accel", a[i], want)
	}
	for i, want := range [3]float64{-14, -28, -42} {
		near(t, "compass", c[i], want)
	}
}

func TestCalculatePose(t *testing.T) {
	// Level: yaw is -atan2 of the compass's (y, x).
	p := CalculatePose(Vector{0, 0, 1}, Vector{0, -20, 40}, true, Vector{})
	near(t, "roll", p[0], 0)
	near(t, "pitch", p[1], 0)
	near(t, "yaw", p[2], math.Pi/2)
	// Rolled 90° (gravity along +Y): the compass's Z becomes level -Y.
	p = CalculatePose(Vector{0, 1, 0}, Vector{0, 0, 20}, true, Vector{})
	near(t, "roll", p[0], math.Pi/2)
	near(t, "yaw", p[2], math.Pi/2)
	// The quaternion rotation agrees with the closed form of the same
	// tilt compensation at an arbitrary attitude.
	r, pi := 0.3, -0.2
	m := Vector{12, -7, 33}
	a := Vector{-math.Sin(pi), math.Cos(pi) * math.Sin(r), math.Cos(pi) * math.Cos(r)}
	p = CalculatePose(a, m, true, Vector{})
	y := math.Cos(r)*m[1] - math.Sin(r)*m[2]
	x := math.Cos(pi)*m[0] + math.Sin(pi)*(math.Sin(r)*m[1]+math.Cos(r)*m[2])
	near(t, "roll", p[0], r)
	near(t, "pitch", p[1], pi)
	near(t, "yaw", p[2], -math.Atan2(y, x))
}

func TestDegreesAndCompass(t *testing.T) {
	near(t, "Degrees(-π/2)", Degrees(-math.Pi/2), 270)
	near(t, "Degrees(π/4)", Degrees(math.Pi/4), 45)
	// get_compass ignores tilt: the same compass vector gives the same
	// answer whatever the accelerometer says.
	want := math.Atan2(20, 10) * 180 / math.Pi // -atan2(-20, 10)
	near(t, "Compass", Compass(Vector{10, -20, 40}), want)
	_, _, yaw := Orientation(Vector{0, 0.5, 0.866}, Vector{10, -20, 40})
	if math.Abs(yaw-want) < 1 {
		t.Errorf("tilted yaw %.2f equals the untilted compass: the test shows nothing", yaw)
	}
}
