package orientation_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/pysensehat"
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
	noSleep := func(time.Duration) {}
	ag, err := lsm9ds1.NewAccelGyro(bus, &lsm9ds1.Opts{Sleep: noSleep, SkipKernelCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	mag, err := lsm9ds1.NewMag(bus, &lsm9ds1.MagOpts{Sleep: noSleep, SkipKernelCheck: true})
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

// pythonSenseHat is what python-sense-hat would report for the bytes the
// simulated chips hold now: RTIMULib's IMURead and calculatePose on the
// raw registers, get_orientation_degrees and get_compass.
func (b *board) pythonSenseHat(t *testing.T) (roll, pitch, yaw, compass float64) {
	t.Helper()
	regs := func(c sim.Chip, reg byte) []byte {
		out := make([]byte, 6)
		if err := c.Tx([]byte{reg}, out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	_, accel, mag := pysensehat.IMURead(regs(b.chip.AG, 0x18), regs(b.chip.AG, 0x28), regs(b.chip.Mag, 0xA8))
	roll, pitch, yaw = pysensehat.Orientation(accel, mag)
	return roll, pitch, yaw, pysensehat.Compass(mag)
}

// angleDiff is a-b in degrees, brought into (-180, 180].
func angleDiff(a, b float64) float64 {
	return math.Remainder(a-b, 360)
}

func TestMatchesPythonSenseHat(t *testing.T) {
	// The board at a known attitude, simulated at register level, read
	// through the drivers and the filter: the numbers python-sense-hat's
	// arithmetic gives for the same registers, and the attitude set.
	tests := []struct{ roll, pitch, yaw float64 }{
		{0, 0, 0},
		{30, 20, 0},
		{30, 20, 225},
		{-25, 10, 45},
		{0, 0, 90},
		{0, 0, 270},
		{0, 0, 180},
		{15, -35, 270},
		{-40, 30, 160},
		{170, 5, 10}, // nearly face down
		{0, 80, 300}, // nearly on edge
	}
	for _, tc := range tests {
		b := newBoard(t)
		b.chip.SetAttitude(tc.roll, tc.pitch, tc.yaw)
		m, f := b.read(t)
		o := orientation.NewFilter(orientation.DefaultFilterOpts).Update(m.Accel, m.Gyro, &f, 0)
		r, p, y, c := b.pythonSenseHat(t)
		what := fmt.Sprintf("attitude (%g, %g, %g)", tc.roll, tc.pitch, tc.yaw)
		for _, v := range []struct {
			name           string
			got, pyS, want float64
		}{
			{"roll", o.Roll, r, tc.roll},
			{"pitch", o.Pitch, p, tc.pitch},
			{"yaw", o.Yaw, y, tc.yaw},
			{"compass", o.Compass, c, math.NaN()},
			{"heading", o.Heading, y + 180, tc.yaw + 180},
		} {
			if math.Abs(angleDiff(v.got, v.pyS)) > 1e-6 || v.got < 0 || v.got >= 360 {
				t.Errorf("%s: %s = %.6f, python-sense-hat %.6f", what, v.name, v.got, v.pyS)
			}
			// The sensors' quantisation allows a few tenths of a degree.
			if !math.IsNaN(v.want) && math.Abs(angleDiff(v.got, v.want)) > 0.3 {
				t.Errorf("%s: %s = %.2f, want %g", what, v.name, v.got, v.want)
			}
		}
		if !o.HasYaw {
			t.Errorf("%s: no yaw", what)
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
	if math.Abs(angleDiff(o.Roll, 30)) > 1 || math.Abs(angleDiff(o.Pitch, 20)) > 1 {
		t.Errorf("roll, pitch without mag = %.2f, %.2f; want 30, 20", o.Roll, o.Pitch)
	}
	if o.HasYaw || o.Yaw != 0 || o.Heading != 0 {
		t.Errorf("without mag: %+v, want no yaw or heading", o)
	}
}

func TestTurningWithGyro(t *testing.T) {
	// Turning clockwise seen from above at 90 dps for 1 s from the top
	// edge pointing south: about the board's Z that is -90 dps by the
	// right-hand rule, +90 in python-sense-hat's gyro, and the yaw grows
	// with gyro and compass agreeing.
	b := newBoard(t)
	f := orientation.NewFilter(orientation.DefaultFilterOpts)
	dt := 20 * time.Millisecond
	b.chip.AG.SetRates(0, 0, -90)
	var o orientation.Orientation
	for i := 0; i <= 50; i++ {
		b.chip.SetAttitude(0, 0, 90*float64(i)*dt.Seconds())
		m, field := b.read(t)
		if math.Abs(m.Gyro[2]-90) > 0.0175 {
			t.Fatalf("gyro Z = %.3f dps, want +90", m.Gyro[2])
		}
		o = f.Update(m.Accel, m.Gyro, &field, dt)
	}
	if math.Abs(angleDiff(o.Yaw, 90)) > 1 || math.Abs(angleDiff(o.Heading, 270)) > 1 {
		t.Errorf("after a quarter turn clockwise: yaw %.2f heading %.2f, want 90 and 270 (west)", o.Yaw, o.Heading)
	}
	// The gyro alone, with the field frozen, turns the same way.
	g := orientation.NewFilter(orientation.FilterOpts{GyroWeight: 0.999})
	b.chip.SetAttitude(0, 0, 0)
	m, field := b.read(t)
	g.Update(m.Accel, m.Gyro, &field, 0)
	o = g.Update(m.Accel, m.Gyro, &field, 100*time.Millisecond)
	if d := angleDiff(o.Yaw, 0); d < 8 || d > 9.1 {
		t.Errorf("yaw after 0.1 s at +90 dps from the gyro = %.2f, want about 9", o.Yaw)
	}
}

func TestHardIronCalibration(t *testing.T) {
	b := newBoard(t)
	hardIron := [3]float64{18, -27, 12} // board frame (top, left, out)
	b.chip.Mag.SetHardIron(hardIron)
	// In python-sense-hat's axes the magnetometer reads (-x, y, -z) of the
	// board's: the offset the calibration must find.
	wantOffset := [3]float64{-18, -27, -12}

	headingAt := func(c *orientation.Calibration, roll, pitch, yaw float64) float64 {
		b.chip.SetAttitude(roll, pitch, yaw)
		m, field := b.read(t)
		c.Apply(&field)
		return orientation.NewFilter(orientation.DefaultFilterOpts).Update(m.Accel, m.Gyro, &field, 0).Heading
	}
	var cal orientation.Calibration
	if h := headingAt(&cal, 0, 0, 270); math.Abs(angleDiff(h, 90)) < 10 {
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
		if math.Abs(off[i]-wantOffset[i]) > 0.1 {
			t.Errorf("offset = %.2f, want %v", off, wantOffset)
			break
		}
	}
	for _, tc := range []struct{ roll, pitch, yaw, heading float64 }{
		{0, 0, 270, 90}, {0, 0, 180, 0}, {20, -15, 45, 225}, {-10, 25, 210, 30},
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
	if h := headingAt(&loaded, 0, 0, 270); math.Abs(angleDiff(h, 90)) > 3 {
		t.Errorf("heading with the loaded calibration = %.1f, want 90", h)
	}
}
