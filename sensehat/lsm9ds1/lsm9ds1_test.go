package lsm9ds1_test

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// simOpts skips the kernel check: the simulated bus has no sysfs.
var (
	simOpts    = lsm9ds1.Opts{}
	simMagOpts = lsm9ds1.MagOpts{}
)

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
	p := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		{Addr: 0x6A, W: []byte{0x0F}, R: []byte{0x68}},
		{Addr: 0x6A, W: []byte{0x22, 0x44}},
		{Addr: 0x6A, W: []byte{0x10, 0x68}}, // 119 Hz, ±500 dps
		{Addr: 0x6A, W: []byte{0x20, 0x78}}, // 119 Hz, ±8 g
		// Gyro chip (1000, -2000, 3000) LSB; accel chip (-4098, 0, 4098).
		{Addr: 0x6A, W: []byte{0x18}, R: []byte{0xE8, 0x03, 0x30, 0xF8, 0xB8, 0x0B}},
		{Addr: 0x6A, W: []byte{0x28}, R: []byte{0xFE, 0xEF, 0x00, 0x00, 0x02, 0x10}},
		{Addr: 0x6A, W: []byte{0x10, 0x00}},
		{Addr: 0x6A, W: []byte{0x20, 0x00}},
	}}
	d, err := lsm9ds1.NewAccelGyro(p, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	var m lsm9ds1.Motion
	if err := d.Sense(&m); err != nil {
		t.Fatal(err)
	}
	// Board X and Y are the chip's negated.
	near(t, "gyro", m.Gyro, [3]float64{-17.5, 35, 52.5}, 1e-9)
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
		wantG, want float64 // board Z for raw +1000 on chip Z
	}{
		{lsm9ds1.Accel2G, lsm9ds1.Gyro245DPS, 0x60, 0x60, 8.75, 0.061},
		{lsm9ds1.Accel4G, lsm9ds1.Gyro500DPS, 0x68, 0x70, 17.5, 0.122},
		{lsm9ds1.Accel8G, lsm9ds1.Gyro2000DPS, 0x78, 0x78, 70, 0.244},
		{lsm9ds1.Accel16G, lsm9ds1.Gyro2000DPS, 0x78, 0x68, 70, 0.732},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%dg_%ddps", tc.accel, tc.gyro), func(t *testing.T) {
			p := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
				{Addr: 0x6A, W: []byte{0x0F}, R: []byte{0x68}},
				{Addr: 0x6A, W: []byte{0x22, 0x44}},
				{Addr: 0x6A, W: []byte{0x10, tc.ctrl1G}},
				{Addr: 0x6A, W: []byte{0x20, tc.c6}},
				{Addr: 0x6A, W: []byte{0x18}, R: []byte{0, 0, 0, 0, 0xE8, 0x03}},
				{Addr: 0x6A, W: []byte{0x28}, R: []byte{0, 0, 0, 0, 0xE8, 0x03}},
			}}
			d, err := lsm9ds1.NewAccelGyro(p, &lsm9ds1.Opts{Accel: tc.accel, Gyro: tc.gyro})
			if err != nil {
				t.Fatal(err)
			}
			var m lsm9ds1.Motion
			if err := d.Sense(&m); err != nil {
				t.Fatal(err)
			}
			near(t, "gyro", m.Gyro, [3]float64{0, 0, tc.wantG}, 1e-9)
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
	near(t, "field", b, [3]float64{14, -14, -14}, 1e-9)
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
			{Addr: 0x1C, W: []byte{0xA0, 0x14, tc.reg2, 0x00}},
			{Addr: 0x1C, W: []byte{0xA8}, R: []byte{0xE8, 0x03, 0, 0, 0, 0}},
		}}
		d, err := lsm9ds1.NewMag(p, &lsm9ds1.MagOpts{Range: tc.r})
		if err != nil {
			t.Fatal(err)
		}
		var b [3]float64
		if err := d.Sense(&b); err != nil {
			t.Fatal(err)
		}
		near(t, fmt.Sprintf("%d gauss", tc.r), b, [3]float64{1000 * tc.uT, 0, 0}, 1e-9)
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
			d, err := lsm9ds1.NewAccelGyro(b, &lsm9ds1.Opts{Accel: tc.r})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.AG.Reg(0x20); got != tc.ctrl6XL {
				t.Errorf("CTRL_REG6_XL = %#02x, want %#02x", got, tc.ctrl6XL)
			}
			var m lsm9ds1.Motion
			want := [3]float64{0.25, -0.5, 1.5}
			s.AG.SetAccel(want)
			if err := d.Sense(&m); err != nil {
				t.Fatal(err)
			}
			near(t, "accel", m.Accel, want, tc.lsb/2+1e-12)
			s.AG.SetAccel([3]float64{30, -30, 30})
			if err := d.Sense(&m); err != nil {
				t.Fatal(err)
			}
			// The chip's X and Y are the board's negated, so its -32768
			// reads back as +32768 LSB on board X.
			sat := tc.satur
			near(t, "saturated", m.Accel, [3]float64{sat + tc.lsb, -sat, sat}, 1e-6)
		})
	}
}

func TestGyroRates500(t *testing.T) {
	b, s := newSim(t)
	d, err := lsm9ds1.NewAccelGyro(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.AG.Reg(0x10); got != 0x68 {
		t.Errorf("CTRL_REG1_G = %#02x, want 0x68 (119 Hz, ±500 dps)", got)
	}
	for _, r := range [][3]float64{{100, -250, 480}, {-499, 0.5, -17}, {0, 0, 0}} {
		s.AG.SetRates(r[0], r[1], r[2])
		var m lsm9ds1.Motion
		if err := d.Sense(&m); err != nil {
			t.Fatal(err)
		}
		near(t, "gyro", m.Gyro, r, 0.0175/2+1e-12)
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
	if err := ag.Sense(&m); !errors.Is(err, sim.ErrNACK) || !strings.HasPrefix(err.Error(), "lsm9ds1: reading OUT_X_G") {
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
	near(t, "field after faults", f, [3]float64{21.04, 0, -43.14}, 0.014)
}

func TestMagBoardFrame(t *testing.T) {
	b, s := newSim(t)
	mag, err := lsm9ds1.NewMag(b, &simMagOpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range []struct{ r, want byte }{{0x20, 0x14}, {0x21, 0x00}, {0x22, 0x00}} {
		if got := s.Mag.Reg(reg.r); got != reg.want {
			t.Errorf("mag register %#02x = %#02x, want %#02x", reg.r, got, reg.want)
		}
	}
	// Board field with a distinct value per axis shows every sign.
	want := [3]float64{12.5, -33.25, 41}
	s.Mag.SetField(want)
	var f [3]float64
	if err := mag.Sense(&f); err != nil {
		t.Fatal(err)
	}
	near(t, "field", f, want, 0.014/2+1e-12)
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
	magOpts := lsm9ds1.DefaultMagOpts
	magOpts.SysfsRoot = root
	// Devices declared but unbound: the chips are free.
	if _, err := lsm9ds1.NewAccelGyro(b, &opts); err != nil {
		t.Fatalf("unbound: %v", err)
	}
	if _, err := lsm9ds1.NewMag(b, &magOpts); err != nil {
		t.Fatalf("unbound: %v", err)
	}
	for dev, drv := range map[string]string{"1-006a": "st_lsm9ds1", "1-001c": "st_magn"} {
		if err := os.Symlink("../../../../bus/i2c/drivers/"+drv, filepath.Join(root, "bus", "i2c", "devices", dev, "driver")); err != nil {
			t.Fatal(err)
		}
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

// denied is a bus the user may not use, as /dev/i2c-1 without the i2c group.
type denied struct{}

func (denied) String() string                  { return "denied" }
func (denied) Tx(uint16, []byte, []byte) error { return fs.ErrPermission }
func (denied) SetSpeed(physic.Frequency) error { return nil }

func TestPermissionHint(t *testing.T) {
	_, err := lsm9ds1.NewAccelGyro(denied{}, &simOpts)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "add the user to the i2c group") {
		t.Errorf("NewAccelGyro = %v", err)
	}
	_, err = lsm9ds1.NewMag(denied{}, &simMagOpts)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "add the user to the i2c group") {
		t.Errorf("NewMag = %v", err)
	}
}

func TestBadRanges(t *testing.T) {
	b, _ := newSim(t)
	if _, err := lsm9ds1.NewAccelGyro(b, &lsm9ds1.Opts{Accel: 3}); err == nil {
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
	if s.AG.Reg(0x10) != 0 || s.AG.Reg(0x20) != 0 {
		t.Errorf("CTRL_REG1_G, CTRL_REG6_XL = %#02x, %#02x after Halt, want 0", s.AG.Reg(0x10), s.AG.Reg(0x20))
	}
	if got := s.Mag.Reg(0x22); got != 0x03 {
		t.Errorf("CTRL_REG3_M after Halt = %#02x, want 0x03", got)
	}
}

func BenchmarkSense(b *testing.B) {
	bus, s := newSim(b)
	s.SetAttitude(10, 20, 30)
	d, err := lsm9ds1.NewAccelGyro(bus, &simOpts)
	if err != nil {
		b.Fatal(err)
	}
	var m lsm9ds1.Motion
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Sense(&m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMagSense(b *testing.B) {
	bus, _ := newSim(b)
	d, err := lsm9ds1.NewMag(bus, &simMagOpts)
	if err != nil {
		b.Fatal(err)
	}
	var f [3]float64
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Sense(&f); err != nil {
			b.Fatal(err)
		}
	}
}
