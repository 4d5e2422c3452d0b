package orientation_test

import (
	"math"
	"testing"
	"time"

	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
	"github.com/sensehat/sensehat/sensehat/orientation"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// board is the simulated chip read through the real drivers.
type board struct {
	chip *sim.LSM9DS1
	ag   *lsm9ds1.AccelGyro
	mag  *lsm9ds1.Mag
}

func newBoard(t *testing.T) *board {
	t.Helper()
	bus := sim.NewBus("sim")
	chip := sim.NewLSM9DS1()
	chip.Attach(bus)
	ag, err := lsm9ds1.NewAccelGyro(bus, &lsm9ds1.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	mag, err := lsm9ds1.NewMag(bus, &lsm9ds1.MagOpts{})
	if err != nil {
		t.Fatal(err)
	}
	return &board{chip: chip, ag: ag, mag: mag}
}

func (b *board) read(t *testing.T) (lsm9ds1.Motion, [3]float64) {
	t.Helper()
	var m lsm9ds1.Motion
	var f [3]float64
	if err := b.ag.Sense(&m); err != nil {
		t.Fatal(err)
	}
	if err := b.mag.Sense(&f); err != nil {
		t.Fatal(err)
	}
	return m, f
}

// angleDiff is a-b in degrees, brought into (-180, 180].
func angleDiff(a, b float64) float64 {
	return math.Remainder(a-b, 360)
}

func TestAttitudeFromSim(t *testing.T) {
	tests := []struct {
		roll, pitch, yaw float64
		heading          float64
	}{
		{0, 0, 0, 0},
		{30, 20, 0, 0},
		{30, 20, -135, 135},
		{-25, 10, 45, 315},
		{0, 0, -90, 90},  // facing east
		{0, 0, 90, 270},  // right-hand yaw: counter-clockwise, facing west
		{0, 0, 180, 180}, // facing south
		{15, -35, -90, 90},
		{-40, 30, 160, 200},
		{170, 5, 10, 350}, // nearly face down
	}
	for _, tc := range tests {
		b := newBoard(t)
		b.chip.SetAttitude(tc.roll, tc.pitch, tc.yaw)
		m, f := b.read(t)
		o := orientation.NewFilter(orientation.DefaultFilterOpts).Update(m.Accel, m.Gyro, &f, 0)
		if math.Abs(angleDiff(o.Roll, tc.roll)) > 1 || math.Abs(o.Pitch-tc.pitch) > 1 {
			t.Errorf("attitude (%g, %g, %g): roll, pitch = %.2f, %.2f", tc.roll, tc.pitch, tc.yaw, o.Roll, o.Pitch)
		}
		if !o.HasYaw || math.Abs(angleDiff(o.Yaw, tc.yaw)) > 3 || math.Abs(angleDiff(o.Heading, tc.heading)) > 3 {
			t.Errorf("attitude (%g, %g, %g): yaw %.2f heading %.2f (HasYaw %v), want heading %g",
				tc.roll, tc.pitch, tc.yaw, o.Yaw, o.Heading, o.HasYaw, tc.heading)
		}
	}
}

func TestFlatFaceUpAccel(t *testing.T) {
	b := newBoard(t)
	m, _ := b.read(t)
	want := [3]float64{0, 0, 1}
	for i := range want {
		if math.Abs(m.Accel[i]-want[i]) > 0.000244 {
			t.Fatalf("accel flat = %v, want (0, 0, +1 g) within 0.244 mg", m.Accel)
		}
	}
}

func TestWithoutMagnetometer(t *testing.T) {
	b := newBoard(t)
	b.chip.SetAttitude(30, 20, 70)
	f := orientation.NewFilter(orientation.DefaultFilterOpts)
	var o orientation.Orientation
	for range 5 {
		m, _ := b.read(t)
		o = f.Update(m.Accel, m.Gyro, nil, 100*time.Millisecond)
	}
	if math.Abs(o.Roll-30) > 1 || math.Abs(o.Pitch-20) > 1 {
		t.Errorf("roll, pitch without mag = %.2f, %.2f; want 30, 20", o.Roll, o.Pitch)
	}
	if o.HasYaw || o.Yaw != 0 || o.Heading != 0 {
		t.Errorf("without mag: %+v, want no yaw or heading", o)
	}
}

func TestTurningWithGyro(t *testing.T) {
	// Turning clockwise seen from above at 90 dps from north for 1 s: the
	// gyro reads -90 dps about Z (right-hand rule), the compass follows.
	b := newBoard(t)
	f := orientation.NewFilter(orientation.DefaultFilterOpts)
	dt := 20 * time.Millisecond
	b.chip.AG.SetRates(0, 0, -90)
	var o orientation.Orientation
	for i := 0; i <= 50; i++ {
		b.chip.SetAttitude(0, 0, -90*float64(i)*dt.Seconds())
		m, field := b.read(t)
		o = f.Update(m.Accel, m.Gyro, &field, dt)
	}
	if math.Abs(angleDiff(o.Heading, 90)) > 3 {
		t.Errorf("heading after a quarter turn clockwise = %.2f, want 90", o.Heading)
	}
}

func TestHardIronCalibration(t *testing.T) {
	b := newBoard(t)
	hardIron := [3]float64{18, -27, 12}
	b.chip.Mag.SetHardIron(hardIron)

	headingAt := func(c *orientation.Calibration, roll, pitch, yaw float64) float64 {
		b.chip.SetAttitude(roll, pitch, yaw)
		m, field := b.read(t)
		c.Apply(&field)
		return orientation.NewFilter(orientation.DefaultFilterOpts).Update(m.Accel, m.Gyro, &field, 0).Heading
	}
	var cal orientation.Calibration
	if h := headingAt(&cal, 0, 0, -90); math.Abs(angleDiff(h, 90)) < 10 {
		t.Fatalf("heading east with hard iron uncalibrated = %.1f: the offset should throw it off", h)
	}

	// Tumble the board through a full turn about each of its axes.
	for deg := 0.0; deg < 360; deg += 5 {
		for _, att := range [][3]float64{{0, 0, deg}, {deg, 0, 0}, {0, deg, 0}, {deg, 0, 90}} {
			b.chip.SetAttitude(att[0], att[1], att[2])
			_, field := b.read(t)
			cal.Observe(field)
		}
	}
	if !cal.Valid() {
		t.Fatalf("calibration not valid after a full tumble: %+v", cal)
	}
	off := cal.Offset()
	for i := range off {
		if math.Abs(off[i]-hardIron[i]) > 0.1 {
			t.Errorf("offset = %.2f, want %v", off, hardIron)
			break
		}
	}
	for _, tc := range []struct{ roll, pitch, yaw, heading float64 }{
		{0, 0, -90, 90}, {0, 0, 0, 0}, {20, -15, 135, 225}, {-10, 25, -30, 30},
	} {
		if h := headingAt(&cal, tc.roll, tc.pitch, tc.yaw); math.Abs(angleDiff(h, tc.heading)) > 3 {
			t.Errorf("calibrated heading at (%g, %g, %g) = %.1f, want %g", tc.roll, tc.pitch, tc.yaw, h, tc.heading)
		}
	}

	// The calibration survives a restart.
	path := t.TempDir() + "/mag.json"
	if err := cal.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := orientation.LoadCalibration(path)
	if err != nil {
		t.Fatal(err)
	}
	if h := headingAt(&loaded, 0, 0, -90); math.Abs(angleDiff(h, 90)) > 3 {
		t.Errorf("heading with the loaded calibration = %.1f, want 90", h)
	}
}
