package lsm9ds1_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/sensehat/sensehat/internal/pysensehat"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// noSleep stands in for the reboot wait.
func noSleep(time.Duration) {}

// simOpts skips the kernel check (a simulated bus has no kernel) and the
// reboot wait.
var (
	simOpts    = lsm9ds1.Opts{Sleep: noSleep, SkipKernelCheck: true}
	simMagOpts = lsm9ds1.MagOpts{Sleep: noSleep, SkipKernelCheck: true}
)

// agInit is the accel/gyro's exact start-up traffic with the default
// ranges: who-am-I, SW_RESET, BOOT (RTIMULib's CTRL_REG8 0x80), then
// BDU | IF_ADD_INC and both outputs at 119 Hz.
func agInit(ctrl1G, ctrl6XL byte) []i2ctest.IO {
	return []i2ctest.IO{
		{Addr: 0x6A, W: []byte{0x0F}, R: []byte{0x68}},
		{Addr: 0x6A, W: []byte{0x22, 0x05}},
		{Addr: 0x6A, W: []byte{0x22, 0x80}},
		{Addr: 0x6A, W: []byte{0x22, 0x44}},
		{Addr: 0x6A, W: []byte{0x10, ctrl1G}},
		{Addr: 0x6A, W: []byte{0x20, ctrl6XL}},
	}
}

func newSim(t testing.TB) (*sim.Bus, *sim.LSM9DS1) {
	t.Helper()
	b := sim.NewBus("sim")
	s := sim.NewLSM9DS1()
	s.Attach(b)
	return b, s
}

func near(t *testing.T, what string, got, want [3]float64, tol float64) {
	t.Helper()
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("%s = %.5f, want %.5f ± %g", what, got, want, tol)
			return
		}
	}
}

func TestAccelGyroPlayback(t *testing.T) {
	ops := append(agInit(0x68, 0x78), // 119 Hz, ±500 dps; 119 Hz, ±8 g
		// STATUS_REG (XLDA | GDA), then gyro chip (1000, -2000, 3000) LSB;
		// accel chip (-4098, 0, 4098).
		i2ctest.IO{Addr: 0x6A, W: []byte{0x17}, R: []byte{0x03, 0xE8, 0x03, 0x30, 0xF8, 0xB8, 0x0B}},
		i2ctest.IO{Addr: 0x6A, W: []byte{0x28}, R: []byte{0xFE, 0xEF, 0x00, 0x00, 0x02, 0x10}},
		i2ctest.IO{Addr: 0x6A, W: []byte{0x10, 0x00}},
		i2ctest.IO{Addr: 0x6A, W: []byte{0x20, 0x00}},
	)
	p := &i2ctest.Playback{DontPanic: true, Ops: ops}
	var slept []time.Duration
	d, err := lsm9ds1.NewAccelGyro(p, &lsm9ds1.Opts{Sleep: func(d time.Duration) { slept = append(slept, d) }})
	if err != nil {
		t.Fatal(err)
	}
	// RTIMULSM9DS1::IMUInit: delayMs(100) after BOOT.
	if len(slept) != 1 || slept[0] != 100*time.Millisecond {
		t.Errorf("waits after reboot = %v, want one of 100ms", slept)
	}
	var m lsm9ds1.Motion
	if err := d.Sense(&m); err != nil {
		t.Fatal(err)
	}
	// RTIMULSM9DS1::IMURead: gyro (x, y, -z), accel (-x, -y, z).
	near(t, "gyro", m.Gyro, [3]float64{17.5, -35, -52.5}, 1e-9)
	near(t, "accel", m.Accel, [3]float64{0.999912, 0, 0.999912}, 1e-9)
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := d.Sense(&m); !errors.Is(err, lsm9ds1.ErrHalted) {
		t.Errorf("Sense after Halt = %v, want ErrHalted", err)
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}
}

func TestAccelGyroPlaybackRanges(t *testing.T) {
	tests := []struct {
		accel       lsm9ds1.AccelRange
		gyro        lsm9ds1.GyroRange
		ctrl1G, c6  byte
		wantG, want float64 // per 1000 LSB (the gyro's Z is reported negated)
	}{
		{lsm9ds1.Accel2G, lsm9ds1.Gyro245DPS, 0x60, 0x60, 8.75, 0.061},
		{lsm9ds1.Accel4G, lsm9ds1.Gyro500DPS, 0x68, 0x70, 17.5, 0.122},
		{lsm9ds1.Accel8G, lsm9ds1.Gyro2000DPS, 0x78, 0x78, 70, 0.244},
		{lsm9ds1.Accel16G, lsm9ds1.Gyro2000DPS, 0x78, 0x68, 70, 0.732},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%dg_%ddps", tc.accel, tc.gyro), func(t *testing.T) {
			p := &i2ctest.Playback{DontPanic: true, Ops: append(agInit(tc.ctrl1G, tc.c6),
				i2ctest.IO{Addr: 0x6A, W: []byte{0x17}, R: []byte{0x03, 0, 0, 0, 0, 0xE8, 0x03}},
				i2ctest.IO{Addr: 0x6A, W: []byte{0x28}, R: []byte{0, 0, 0, 0, 0xE8, 0x03}},
			)}
			d, err := lsm9ds1.NewAccelGyro(p, &lsm9ds1.Opts{Accel: tc.accel, Gyro: tc.gyro, Sleep: noSleep})
			if err != nil {
				t.Fatal(err)
			}
			var m lsm9ds1.Motion
			if err := d.Sense(&m); err != nil {
				t.Fatal(err)
			}
			near(t, "gyro", m.Gyro, [3]float64{0, 0, -tc.wantG}, 1e-9)
			near(t, "accel", m.Accel, [3]float64{0, 0, tc.want}, 1e-9)
			if err := p.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestMagPlayback(t *testing.T) {
	p := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		{Addr: 0x1C, W: []byte{0x0F}, R: []byte{0x3D}},
		{Addr: 0x1C, W: []byte{0x21, 0x0C}},             // REBOOT | SOFT_RST
		{Addr: 0x1C, W: []byte{0xA0, 0x14, 0x00, 0x00}}, // 20 Hz, ±4 gauss, continuous
		// Chip (1000, 1000, -1000) LSB at 0.014 µT.
		{Addr: 0x1C, W: []byte{0xA8}, R: []byte{0xE8, 0x03, 0xE8, 0x03, 0x18, 0xFC}},
		{Addr: 0x1C, W: []byte{0x22, 0x03}},
	}}
	d, err := lsm9ds1.NewMag(p, &simMagOpts)
	if err != nil {
		t.Fatal(err)
	}
	var b [3]float64
	if err := d.Sense(&b); err != nil {
		t.Fatal(err)
	}
	// RTIMULSM9DS1::IMURead: compass (-x, y, -z).
	near(t, "field", b, [3]float64{-14, 14, 14}, 1e-9)
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := d.Sense(&b); !errors.Is(err, lsm9ds1.ErrHalted) {
		t.Errorf("Sense after Halt = %v, want ErrHalted", err)
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}
}

func TestMagPlaybackRanges(t *testing.T) {
	for _, tc := range []struct {
		r    lsm9ds1.MagRange
		reg2 byte
		uT   float64 // per LSB
	}{
		{lsm9ds1.Mag4Gauss, 0x00, 0.014},
		{lsm9ds1.Mag8Gauss, 0x20, 0.029},
		{lsm9ds1.Mag12Gauss, 0x40, 0.043},
		{lsm9ds1.Mag16Gauss, 0x60, 0.058},
	} {
		p := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
			{Addr: 0x1C, W: []byte{0x0F}, R: []byte{0x3D}},
			{Addr: 0x1C, W: []byte{0x21, 0x0C}},
			{Addr: 0x1C, W: []byte{0xA0, 0x14, tc.reg2, 0x00}},
			{Addr: 0x1C, W: []byte{0xA8}, R: []byte{0xE8, 0x03, 0, 0, 0, 0}},
		}}
		d, err := lsm9ds1.NewMag(p, &lsm9ds1.MagOpts{Range: tc.r, Sleep: noSleep})
		if err != nil {
			t.Fatal(err)
		}
		var b [3]float64
		if err := d.Sense(&b); err != nil {
			t.Fatal(err)
		}
		near(t, fmt.Sprintf("%d gauss", tc.r), b, [3]float64{-1000 * tc.uT, 0, 0}, 1e-9)
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestFlatFaceUp(t *testing.T) {
	b, s := newSim(t)
	s.SetAttitude(0, 0, 0)
	d, err := lsm9ds1.NewAccelGyro(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	var m lsm9ds1.Motion
	if err := d.Sense(&m); err != nil {
		t.Fatal(err)
	}
	near(t, "accel", m.Accel, [3]float64{0, 0, 1}, 0.000244)
	near(t, "gyro", m.Gyro, [3]float64{}, 0)
}

// simBytes reads the output registers straight from the simulated chips,
// as RTIMULSM9DS1::IMURead does.
func simBytes(t *testing.T, s *sim.LSM9DS1) (gyro, accel, mag []byte) {
	t.Helper()
	gyro, accel, mag = make([]byte, 6), make([]byte, 6), make([]byte, 6)
	for _, r := range []struct {
		c   sim.Chip
		reg byte
		dst []byte
	}{{s.AG, 0x18, gyro}, {s.AG, 0x28, accel}, {s.Mag, 0xA8, mag}} {
		if err := r.c.Tx([]byte{r.reg}, r.dst); err != nil {
			t.Fatal(err)
		}
	}
	return gyro, accel, mag
}

func TestMatchesRTIMULib(t *testing.T) {
	// The same register bytes through RTIMULib's IMURead arithmetic
	// (package pysensehat) and through this driver: python-sense-hat's
	// accelerometer_raw, gyroscope_raw (rad/s, here deg/s) and compass_raw.
	b, s := newSim(t)
	ag, err := lsm9ds1.NewAccelGyro(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	mag, err := lsm9ds1.NewMag(b, &simMagOpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ roll, pitch, yaw, rx, ry, rz float64 }{
		{0, 0, 0, 0, 0, 0},
		{30, 20, 0, 12, -34, 56},
		{-25, 10, 45, -100, 0, 250},
		{170, -35, 200, 1, 2, 3},
		{0, 80, -90, 0, 0, -45},
	} {
		s.SetAttitude(tc.roll, tc.pitch, tc.yaw)
		s.SetRates(tc.rx, tc.ry, tc.rz)
		s.SetHardIron([3]float64{3, -7, 11})
		gb, ab, mb := simBytes(t, s)
		wantGyro, wantAccel, wantMag := pysensehat.IMURead(gb, ab, mb)
		var m lsm9ds1.Motion
		var f [3]float64
		if err := ag.Sense(&m); err != nil {
			t.Fatal(err)
		}
		if err := mag.Sense(&f); err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("attitude (%g, %g, %g)", tc.roll, tc.pitch, tc.yaw)
		near(t, what+" accel", m.Accel, wantAccel, 1e-12)
		near(t, what+" gyro", m.Gyro, scale(wantGyro, 180/math.Pi), 1e-9)
		near(t, what+" mag", f, wantMag, 1e-12)
	}
}

func TestChipToBoard(t *testing.T) {
	// RTIMULSM9DS1::IMURead's sign changes, one sensor at a time.
	for _, tc := range []struct {
		s    lsm9ds1.Sensor
		want [3]float64
	}{
		{lsm9ds1.SensorAccel, [3]float64{-1, -2, 3}},
		{lsm9ds1.SensorGyro, [3]float64{1, 2, -3}},
		{lsm9ds1.SensorMag, [3]float64{-1, 2, -3}},
		{lsm9ds1.Sensor(9), [3]float64{1, 2, 3}},
	} {
		v := [3]float64{1, 2, 3}
		lsm9ds1.ChipToBoard(tc.s, &v)
		if v != tc.want {
			t.Errorf("ChipToBoard(%d) = %v, want %v", tc.s, v, tc.want)
		}
	}
	z := [3]float64{}
	lsm9ds1.ChipToBoard(lsm9ds1.SensorMag, &z)
	if math.Signbit(z[0]) || math.Signbit(z[2]) {
		t.Errorf("ChipToBoard turned a zero into %v: it would print as -0", z)
	}
}

func TestResetUndoesAnotherProgram(t *testing.T) {
	b, s := newSim(t)
	s.SetAttitude(0, 0, 0)
	// Another program left the chips big-endian, without auto-increment,
	// with accel Z and gyro Z disabled and magnetometer offsets set: none
	// of which this driver writes itself.
	s.AG.SetReg(0x22, 0x02) // BLE, no IF_ADD_INC
	s.AG.SetReg(0x1E, 0x18) // gyro Z off
	s.AG.SetReg(0x1F, 0x18) // accel Z off
	s.Mag.SetReg(0x05, 0xE8)
	s.Mag.SetReg(0x06, 0x03) // OFFSET_X_REG_M 1000 LSB
	s.Mag.SetReg(0x23, 0x02) // BLE
	ag, err := lsm9ds1.NewAccelGyro(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	mag, err := lsm9ds1.NewMag(b, &simMagOpts)
	if err != nil {
		t.Fatal(err)
	}
	var m lsm9ds1.Motion
	if err := ag.Sense(&m); err != nil {
		t.Fatal(err)
	}
	near(t, "accel", m.Accel, [3]float64{0, 0, 1}, 0.000244)
	s.SetRates(0, 0, 50)
	if err := ag.Sense(&m); err != nil {
		t.Fatal(err)
	}
	near(t, "gyro", m.Gyro, [3]float64{0, 0, -50}, 0.0175)
	var f [3]float64
	if err := mag.Sense(&f); err != nil {
		t.Fatal(err)
	}
	// Flat at yaw 0: chip (-21.04, 0, -43.14) µT, reported (-x, y, -z).
	near(t, "field", f, [3]float64{21.04, 0, 43.14}, 0.014)
	testutil.CheckMapping(t, "accel/gyro register", s.AG.Register, map[byte]byte{0x1E: 0x38, 0x1F: 0x38, 0x22: 0x44})
	if got := s.Mag.Register(0x05); got != 0 {
		t.Errorf("OFFSET_X_REG_L_M = %#02x after reset, want 0", got)
	}
}

func TestNotReady(t *testing.T) {
	b, s := newSim(t)
	d, err := lsm9ds1.NewAccelGyro(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	// Another program powers both outputs down behind the driver's back.
	s.AG.SetReg(0x10, 0x08)
	s.AG.SetReg(0x20, 0x18)
	var m lsm9ds1.Motion
	if err := d.Sense(&m); !errors.Is(err, lsm9ds1.ErrNotReady) || !strings.Contains(err.Error(), "STATUS_REG 0") {
		t.Errorf("Sense with outputs off = %v, want ErrNotReady", err)
	}
	// Exact traffic: the sample is skipped after STATUS_REG, as RTIMULib
	// does, without reading the accel.
	p := &i2ctest.Playback{DontPanic: true, Ops: append(agInit(0x68, 0x78),
		i2ctest.IO{Addr: 0x6A, W: []byte{0x17}, R: []byte{0x04, 1, 2, 3, 4, 5, 6}}, // TDA only
	)}
	d, err = lsm9ds1.NewAccelGyro(p, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sense(&m); !errors.Is(err, lsm9ds1.ErrNotReady) {
		t.Errorf("Sense with STATUS_REG 0x04 = %v, want ErrNotReady", err)
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}
}

func TestAccelFullScales(t *testing.T) {
	// 1.5 g is within every range but ±2 g's sensitivity shows; 20 g
	// saturates each at 32767 LSB.
	tests := []struct {
		r       lsm9ds1.AccelRange
		lsb     float64 // g
		satur   float64 // g at 32767 LSB
		ctrl6XL byte
	}{
		{lsm9ds1.Accel2G, 0.061e-3, 1.998787, 0x78 &^ 0x18},
		{lsm9ds1.Accel4G, 0.122e-3, 3.997574, 0x70},
		{lsm9ds1.Accel8G, 0.244e-3, 7.995148, 0x78},
		{lsm9ds1.Accel16G, 0.732e-3, 23.985444, 0x68},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%dg", tc.r), func(t *testing.T) {
			b, s := newSim(t)
			d, err := lsm9ds1.NewAccelGyro(b, &lsm9ds1.Opts{Accel: tc.r, Sleep: noSleep})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.AG.Register(0x20); got != tc.ctrl6XL {
				t.Errorf("CTRL_REG6_XL = %#02x, want %#02x", got, tc.ctrl6XL)
			}
			var m lsm9ds1.Motion
			// Board frame (top, left, out); python-sense-hat's Y points
			// right.
			s.AG.SetAccel([3]float64{0.25, -0.5, 1.5})
			if err := d.Sense(&m); err != nil {
				t.Fatal(err)
			}
			near(t, "accel", m.Accel, [3]float64{0.25, 0.5, 1.5}, tc.lsb/2+1e-12)
			s.AG.SetAccel([3]float64{30, -30, 30})
			if err := d.Sense(&m); err != nil {
				t.Fatal(err)
			}
			// The chip reads (-32768, -32768, 32767); RTIMULib negates X
			// and Y, so -32768 reads back as +32768 LSB.
			sat := tc.satur
			near(t, "saturated", m.Accel, [3]float64{sat + tc.lsb, sat + tc.lsb, sat}, 1e-6)
		})
	}
}

func TestGyroRates500(t *testing.T) {
	b, s := newSim(t)
	d, err := lsm9ds1.NewAccelGyro(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.AG.Register(0x10); got != 0x68 {
		t.Errorf("CTRL_REG1_G = %#02x, want 0x68 (119 Hz, ±500 dps)", got)
	}
	// Board rates (right-hand rule about top, left, out) come out as
	// python-sense-hat's (-x, y, -z): RTIMULib's mirrored axes.
	for _, r := range [][3]float64{{100, -250, 480}, {-499, 0.5, -17}, {0, 0, 0}} {
		s.AG.SetRates(r[0], r[1], r[2])
		var m lsm9ds1.Motion
		if err := d.Sense(&m); err != nil {
			t.Fatal(err)
		}
		near(t, "gyro", m.Gyro, [3]float64{-r[0], r[1], -r[2]}, 0.0175/2+1e-12)
	}
}

func TestWhoAmIMismatch(t *testing.T) {
	b := sim.NewBus("sim")
	// Each half answering at the other's address.
	b.Attach(0x6A, sim.NewLSM9DS1Mag())
	b.Attach(0x1C, sim.NewLSM9DS1AG())
	if _, err := lsm9ds1.NewAccelGyro(b, &simOpts); err == nil || !strings.Contains(err.Error(), "who-am-I 0x3d at 0x6a, want 0x68") {
		t.Errorf("NewAccelGyro = %v, want a who-am-I error", err)
	}
	if _, err := lsm9ds1.NewMag(b, &simMagOpts); err == nil || !strings.Contains(err.Error(), "who-am-I 0x68 at 0x1c, want 0x3d") {
		t.Errorf("NewMag = %v, want a who-am-I error", err)
	}
}

func TestMissingChip(t *testing.T) {
	b := sim.NewBus("sim")
	if _, err := lsm9ds1.NewAccelGyro(b, &simOpts); !errors.Is(err, sim.ErrNACK) {
		t.Errorf("NewAccelGyro on an empty bus = %v, want ErrNACK", err)
	}
	if _, err := lsm9ds1.NewMag(b, &simMagOpts); !errors.Is(err, sim.ErrNACK) {
		t.Errorf("NewMag on an empty bus = %v, want ErrNACK", err)
	}
}

func TestFaultsThenRecovery(t *testing.T) {
	b, s := newSim(t)
	s.SetAttitude(0, 0, 0)
	ag, err := lsm9ds1.NewAccelGyro(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	mag, err := lsm9ds1.NewMag(b, &simMagOpts)
	if err != nil {
		t.Fatal(err)
	}
	var m lsm9ds1.Motion
	var f [3]float64
	b.InjectNACK(0x6A, 1)
	if err := ag.Sense(&m); !errors.Is(err, sim.ErrNACK) || !strings.HasPrefix(err.Error(), "lsm9ds1: reading STATUS_REG and OUT_X_G") {
		t.Errorf("Sense with NACK = %v", err)
	}
	b.InjectShortRead(0x6A, 1)
	if err := ag.Sense(&m); !errors.Is(err, sim.ErrShortRead) {
		t.Errorf("Sense with short read = %v, want ErrShortRead", err)
	}
	b.InjectNACK(0x1C, 1)
	if err := mag.Sense(&f); !errors.Is(err, sim.ErrNACK) {
		t.Errorf("mag Sense with NACK = %v", err)
	}
	b.InjectShortRead(0x1C, 1)
	if err := mag.Sense(&f); !errors.Is(err, sim.ErrShortRead) {
		t.Errorf("mag Sense with short read = %v", err)
	}
	if err := ag.Sense(&m); err != nil {
		t.Fatalf("Sense after faults: %v", err)
	}
	near(t, "accel after faults", m.Accel, [3]float64{0, 0, 1}, 0.000244)
	if err := mag.Sense(&f); err != nil {
		t.Fatalf("mag Sense after faults: %v", err)
	}
	near(t, "field after faults", f, [3]float64{21.04, 0, 43.14}, 0.014)
}

func TestMagAxes(t *testing.T) {
	b, s := newSim(t)
	mag, err := lsm9ds1.NewMag(b, &simMagOpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range []struct{ r, want byte }{{0x20, 0x14}, {0x21, 0x00}, {0x22, 0x00}} {
		if got := s.Mag.Register(reg.r); got != reg.want {
			t.Errorf("mag register %#02x = %#02x, want %#02x", reg.r, got, reg.want)
		}
	}
	// A board field with a distinct value per axis shows every sign: the
	// magnetometer's axes are the board's, RTIMULib reports (-x, y, -z).
	s.Mag.SetField([3]float64{12.5, -33.25, 41})
	var f [3]float64
	if err := mag.Sense(&f); err != nil {
		t.Fatal(err)
	}
	near(t, "field", f, [3]float64{-12.5, -33.25, -41}, 0.014/2+1e-12)
}

func TestKernelDriver(t *testing.T) {
	root := t.TempDir()
	for _, dev := range []string{"1-006a", "1-001c"} {
		dir := filepath.Join(root, "bus", "i2c", "devices", dev)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := newSim(t)
	opts := lsm9ds1.DefaultOpts
	opts.SysfsRoot = root
	opts.Sleep = noSleep
	magOpts := lsm9ds1.DefaultMagOpts
	magOpts.SysfsRoot = root
	magOpts.Sleep = noSleep
	// Devices declared but unbound: the chips are free.
	if _, err := lsm9ds1.NewAccelGyro(b, &opts); err != nil {
		t.Fatalf("unbound: %v", err)
	}
	if _, err := lsm9ds1.NewMag(b, &magOpts); err != nil {
		t.Fatalf("unbound: %v", err)
	}
	for dev, drv := range map[string]string{"1-006a": "st_lsm9ds1", "1-001c": "st_magn"} {
		testutil.BindI2CDriver(t, root, dev, drv)
	}
	n := b.Transactions(0x6A)
	_, err := lsm9ds1.NewAccelGyro(b, &opts)
	if !errors.Is(err, lsm9ds1.ErrKernelDriver) || !strings.Contains(err.Error(), `"st_lsm9ds1" is bound to 1-006a`) {
		t.Errorf("bound accel/gyro: %v", err)
	}
	if b.Transactions(0x6A) != n {
		t.Error("the driver touched a chip the kernel holds")
	}
	_, err = lsm9ds1.NewMag(b, &magOpts)
	if !errors.Is(err, lsm9ds1.ErrKernelDriver) || !strings.Contains(err.Error(), `"st_magn" is bound to 1-001c`) {
		t.Errorf("bound magnetometer: %v", err)
	}
}

func TestPermissionHint(t *testing.T) {
	_, err := lsm9ds1.NewAccelGyro(testutil.DeniedBus{}, &simOpts)
	testutil.WantPermissionHint(t, "NewAccelGyro", err)
	_, err = lsm9ds1.NewMag(testutil.DeniedBus{}, &simMagOpts)
	testutil.WantPermissionHint(t, "NewMag", err)
}

func TestBadRanges(t *testing.T) {
	b, _ := newSim(t)
	if _, err := lsm9ds1.NewAccelGyro(b, &lsm9ds1.Opts{Accel: 3, Sleep: noSleep}); err == nil {
		t.Error("accel range 3 g accepted")
	}
	if _, err := lsm9ds1.NewAccelGyro(b, &lsm9ds1.Opts{Gyro: 1000}); err == nil {
		t.Error("gyro range 1000 dps accepted")
	}
	if _, err := lsm9ds1.NewMag(b, &lsm9ds1.MagOpts{Range: 2}); err == nil {
		t.Error("mag range 2 gauss accepted")
	}
	if b.Transactions(0x6A)+b.Transactions(0x1C) != 0 {
		t.Error("bad options reached the bus")
	}
}

func TestHaltPowersDown(t *testing.T) {
	b, s := newSim(t)
	ag, err := lsm9ds1.NewAccelGyro(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	mag, err := lsm9ds1.NewMag(b, &simMagOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ag.String(), "LSM9DS1AccelGyro{sim(106)}"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got, want := mag.String(), "LSM9DS1Mag{sim(28)}"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if err := ag.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := mag.Halt(); err != nil {
		t.Fatal(err)
	}
	if s.AG.Register(0x10) != 0 || s.AG.Register(0x20) != 0 {
		t.Errorf("CTRL_REG1_G, CTRL_REG6_XL = %#02x, %#02x after Halt, want 0", s.AG.Register(0x10), s.AG.Register(0x20))
	}
	if got := s.Mag.Register(0x22); got != 0x03 {
		t.Errorf("CTRL_REG3_M after Halt = %#02x, want 0x03", got)
	}
}

func BenchmarkSense(b *testing.B) {
	bus, s := newSim(b)
	s.SetAttitude(10, 20, 30)
	testutil.BenchSense[lsm9ds1.Motion](b, func() (*lsm9ds1.AccelGyro, error) { return lsm9ds1.NewAccelGyro(bus, &simOpts) })
}

func BenchmarkMagSense(b *testing.B) {
	bus, _ := newSim(b)
	testutil.BenchSense[[3]float64](b, func() (*lsm9ds1.Mag, error) { return lsm9ds1.NewMag(bus, &simMagOpts) })
}

// scale multiplies a python-sense-hat vector by k, for rad/s to deg/s.
func scale(v pysensehat.Vector, k float64) [3]float64 {
	return [3]float64{v[0] * k, v[1] * k, v[2] * k}
}
