package lps25h

import (
	"errors"
	"io"
	"math"
	"strings"
	"syscall"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/sim"
)

var simOpts = Opts{Addr: Addr, Averaging: true, SkipKernelCheck: true} // a simulated bus has no kernel

func newSim(t testing.TB) (*sim.Bus, *sim.LPS25H, *Dev) {
	t.Helper()
	b := sim.NewBus("sim")
	p := sim.NewLPS25H()
	b.Attach(Addr, p)
	d, err := New(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	return b, p, d
}

// Half an output code either way is the rounding error.
const (
	tolHPa = 1.0 / 4096 / 2
	tolC   = 1.0 / 480 / 2
)

func TestSenseRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		hPa   float64
		tempC float64
	}{
		{"sea level", 1013.25, 21.5},
		{"storm", 870, -12.3},
		{"record high", 1085, 35.7},
		{"vacuum, coldest code", 260, -25.7},
		{"zero temperature code", 1000, 42.5},
		{"hot", 1000, 105},
	}
	_, p, d := newSim(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p.Set(tc.hPa, tc.tempC)
			var r Reading
			if err := d.Sense(&r); err != nil {
				t.Fatal(err)
			}
			if math.Abs(r.PressureHPa-tc.hPa) > tolHPa {
				t.Errorf("pressure = %.5f hPa, want %.5f ± %.5f", r.PressureHPa, tc.hPa, tolHPa)
			}
			if math.Abs(r.TemperatureC-tc.tempC) > tolC {
				t.Errorf("temperature = %.5f °C, want %.5f ± %.5f", r.TemperatureC, tc.tempC, tolC)
			}
		})
	}
}

func TestPressure24(t *testing.T) {
	tests := []struct {
		xl, l, h byte
		want     int32
	}{
		{0x00, 0x54, 0x3F, 4150272}, // 1013.25 hPa
		{0xFF, 0xFF, 0x7F, 1<<23 - 1},
		{0x00, 0x00, 0x80, -1 << 23},
		{0xFF, 0xFF, 0xFF, -1},
		{0x00, 0xF0, 0xFF, -4096}, // -1 hPa
	}
	for _, tc := range tests {
		if got := Pressure24(tc.xl, tc.l, tc.h); got != tc.want {
			t.Errorf("Pressure24(%#x, %#x, %#x) = %d, want %d", tc.xl, tc.l, tc.h, got, tc.want)
		}
	}
}

func TestInitSequence(t *testing.T) {
	tests := []struct {
		name string
		opts Opts
		init []i2ctest.IO
	}{
		{"averaging", Opts{Averaging: true, SkipKernelCheck: true}, []i2ctest.IO{
			{Addr: Addr, W: []byte{0x0F}, R: []byte{0xBD}},
			{Addr: Addr, W: []byte{0x10, 0x05}},
			{Addr: Addr, W: []byte{0x2E, 0xC0}},
			{Addr: Addr, W: []byte{0x21, 0x40}},
			{Addr: Addr, W: []byte{0x20, 0xC4}},
		}},
		{"plain", Opts{SkipKernelCheck: true}, []i2ctest.IO{
			{Addr: Addr, W: []byte{0x0F}, R: []byte{0xBD}},
			{Addr: Addr, W: []byte{0x20, 0xC4}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ops := append(tc.init,
				// Sense: one auto-increment read of pressure and temperature.
				// 0x3F5400 = 1013.25 hPa; 0xD8A0 = -10080 → 21.5 °C.
				i2ctest.IO{Addr: Addr, W: []byte{0xA8}, R: []byte{0x00, 0x54, 0x3F, 0xA0, 0xD8}},
				// Halt: power down, keeping ODR and BDU.
				i2ctest.IO{Addr: Addr, W: []byte{0x20, 0x44}},
			)
			p := &i2ctest.Playback{Ops: ops, DontPanic: true}
			r := testutil.SenseThenHalt[Reading](t, p, func() (*Dev, error) { return New(p, &tc.opts) }, ErrHalted)
			if r != (Reading{PressureHPa: 1013.25, TemperatureC: 21.5}) {
				t.Fatalf("reading = %+v, want exactly 1013.25 hPa, 21.5 °C", r)
			}
		})
	}
}

func TestRegistersAfterInit(t *testing.T) {
	_, p, d := newSim(t)
	testutil.CheckMapping(t, "register", p.Register, map[byte]byte{0x10: 0x05, 0x2E: 0xC0, 0x21: 0x40, 0x20: 0xC4})
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if got := p.Register(0x20); got&0x80 != 0 {
		t.Fatalf("CTRL_REG1 = %#x after Halt, want PD clear", got)
	}
	if s := d.String(); s != "LPS25H{sim(92)}" {
		t.Fatalf("String() = %q", s)
	}
}

func TestWrongWhoAmI(t *testing.T) {
	b := sim.NewBus("sim")
	b.Attach(Addr, sim.NewHTS221()) // an HTS221 answering at the wrong place
	_, err := New(b, &simOpts)
	if err == nil || err.Error() != "lps25h: who-am-I 0xbc at 0x5c, want 0xbd: not an LPS25H" {
		t.Fatalf("err = %v", err)
	}
}

func TestFaultsRecover(t *testing.T) {
	b, p, d := newSim(t)
	p.Set(1013.25, -12.3)
	var r Reading

	b.InjectNACK(Addr, 1)
	err := d.Sense(&r)
	if !errors.Is(err, syscall.EREMOTEIO) || !strings.HasPrefix(err.Error(), "lps25h: reading PRESS_OUT/TEMP_OUT: ") {
		t.Fatalf("NACK: err = %v", err)
	}
	if err := d.Sense(&r); err != nil || math.Abs(r.PressureHPa-1013.25) > tolHPa {
		t.Fatalf("after NACK: %+v, %v", r, err)
	}

	b.InjectShortRead(Addr, 1)
	if err := d.Sense(&r); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short read: err = %v", err)
	}
	if err := d.Sense(&r); err != nil || math.Abs(r.TemperatureC+12.3) > tolC {
		t.Fatalf("after short read: %+v, %v", r, err)
	}

	b.InjectNACK(Addr, 1)
	if _, err := New(b, &simOpts); !errors.Is(err, sim.ErrNACK) ||
		!strings.HasPrefix(err.Error(), "lps25h: reading who-am-I: ") {
		t.Fatalf("New with NACK: err = %v", err)
	}
}

func TestKernelDriver(t *testing.T) {
	root := t.TempDir()
	testutil.BindI2CDriver(t, root, "1-005c", "lps25h")
	b, _, _ := newSim(t)
	n := b.Transactions(Addr)
	_, err := New(b, &Opts{SysfsRoot: root, Bus: 1})
	if !errors.Is(err, ErrKernelDriver) || !strings.Contains(err.Error(), `"lps25h" is bound to 1-005c`) {
		t.Fatalf("err = %v", err)
	}
	if b.Transactions(Addr) != n {
		t.Fatal("New touched the bus although a kernel driver holds the chip")
	}
}

func TestPermissionHint(t *testing.T) {
	_, err := New(testutil.DeniedBus{}, &simOpts)
	testutil.WantPermissionHint(t, "New", err)
}

func BenchmarkSense(b *testing.B) {
	_, _, d := newSim(b)
	testutil.BenchSense[Reading](b, func() (*Dev, error) { return d, nil })
}
