package hts221

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

var simOpts = Opts{Addr: Addr, SkipKernelCheck: true} // a simulated bus has no kernel

func newSim(t testing.TB) (*sim.Bus, *sim.HTS221, *Dev) {
	t.Helper()
	b := sim.NewBus("sim")
	h := sim.NewHTS221()
	b.Attach(Addr, h)
	d, err := New(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	return b, h, d
}

// Resolution of the default simulated block: 15 °C over 1020 codes and
// 44 %rH over 11025 codes; half a code either way is the rounding error.
const (
	tolC   = 15.0 / 1020 / 2
	tolPct = 44.0 / 11025 / 2
)

func TestSenseRoundTrip(t *testing.T) {
	tests := []struct {
		name          string
		tempC, rhPct  float64
		wantT, wantRH float64
	}{
		{"room", 21.5, 45, 21.5, 45},
		{"freezing", -12.3, 80.2, -12.3, 80.2},
		{"hot dry", 55.25, 3.5, 55.25, 3.5},
		{"calibration points", 18.5, 33, 18.5, 33},
		{"saturated", 20, 100, 20, 100},
		{"clamped high", 20, 104, 20, 100},
		{"clamped low", 20, -3, 20, 0},
	}
	_, h, d := newSim(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.Set(tc.tempC, tc.rhPct)
			var r Reading
			if err := d.Sense(&r); err != nil {
				t.Fatal(err)
			}
			if math.Abs(r.TemperatureC-tc.wantT) > tolC {
				t.Errorf("temperature = %.4f °C, want %.4f ± %.4f", r.TemperatureC, tc.wantT, tolC)
			}
			if math.Abs(r.HumidityPct-tc.wantRH) > tolPct {
				t.Errorf("humidity = %.4f %%, want %.4f ± %.4f", r.HumidityPct, tc.wantRH, tolPct)
			}
		})
	}
}

func TestParseCalibration(t *testing.T) {
	tests := []struct {
		name    string
		block   [16]byte
		want    Calibration
		wantErr string
	}{
		{
			name:  "sim default: T1 msb, upper nibble of 0x35 set, negative outputs, T0_OUT 0",
			block: sim.HTS221Calibration,
			want:  Calibration{H0: 33, H1: 77, T0: 18.5, T1: 33.5, H0Out: -1320, H1Out: -12345, T0Out: 0, T1Out: 1020},
		},
		{
			name: "both msb pairs used, 0x35 = 0xF5",
			block: [16]byte{0x40, 0x98, 0x04, 0x68, 0x00, 0xF5, 0x00, 0x80, 0, 0,
				0x20, 0xD1, 0x18, 0xFC, 0xE8, 0x03},
			want: Calibration{H0: 32, H1: 76, T0: 32.5, T1: 45, H0Out: -32768, H1Out: -12000, T0Out: -1000, T1Out: 1000},
		},
		{
			name:    "T1_OUT equals T0_OUT",
			block:   [16]byte{0x42, 0x9A, 0x94, 0x0C, 0, 0xF4, 0xD8, 0xFA, 0, 0, 0xC7, 0xCF, 0x10, 0x00, 0x10, 0x00},
			wantErr: "hts221: bad calibration: T0_OUT = T1_OUT = 16",
		},
		{
			name:    "H1_T0_OUT equals H0_T0_OUT",
			block:   [16]byte{0x42, 0x9A, 0x94, 0x0C, 0, 0xF4, 0xC7, 0xCF, 0, 0, 0xC7, 0xCF, 0x00, 0x00, 0xFC, 0x03},
			wantErr: "hts221: bad calibration: H0_T0_OUT = H1_T0_OUT = -12345",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCalibration(tc.block)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestOtherCalibrationThroughDriver(t *testing.T) {
	// A block whose T0 also needs the 0x35 msb bits, and whose humidity
	// slope is positive: the driver must read through any valid block.
	block := [16]byte{0x40, 0x98, 0x04, 0x68, 0x00, 0xF5, 0x00, 0x80, 0, 0, 0x20, 0xD1, 0x18, 0xFC, 0xE8, 0x03}
	b := sim.NewBus("sim")
	h := sim.NewHTS221()
	h.SetCalibration(block)
	b.Attach(Addr, h)
	d, err := New(b, &simOpts)
	if err != nil {
		t.Fatal(err)
	}
	h.Set(-12.3, 45)
	var r Reading
	if err := d.Sense(&r); err != nil {
		t.Fatal(err)
	}
	// 2000 codes over 12.5 °C; 20768 codes over 44 %rH.
	if math.Abs(r.TemperatureC+12.3) > 12.5/2000/2 || math.Abs(r.HumidityPct-45) > 44.0/20768/2 {
		t.Fatalf("got %+v, want -12.3 °C, 45 %%", r)
	}
}

func TestBadCalibrationRefused(t *testing.T) {
	b := sim.NewBus("sim")
	h := sim.NewHTS221()
	block := sim.HTS221Calibration
	block[14], block[15] = 0, 0 // T1_OUT = T0_OUT = 0
	h.SetCalibration(block)
	b.Attach(Addr, h)
	_, err := New(b, &simOpts)
	if err == nil || !strings.Contains(err.Error(), "T0_OUT = T1_OUT = 0") {
		t.Fatalf("err = %v, want a division-by-zero refusal", err)
	}
	if h.Register(0x20) != 0 {
		t.Fatalf("CTRL_REG1 = %#x after refusal; the chip must stay powered down", h.Register(0x20))
	}
}

func TestWrongWhoAmI(t *testing.T) {
	b := sim.NewBus("sim")
	regs := &sim.Registers{Decode: sim.STDecode}
	regs.Mem[0x0F] = 0x12
	b.Attach(Addr, regs)
	_, err := New(b, &simOpts)
	if err == nil || err.Error() != "hts221: who-am-I 0x12 at 0x5f, want 0xbc: not an HTS221" {
		t.Fatalf("err = %v", err)
	}
	if _, err := New(sim.NewBus("empty"), &simOpts); !errors.Is(err, syscall.EREMOTEIO) ||
		!strings.HasPrefix(err.Error(), "hts221: reading who-am-I: ") {
		t.Fatalf("no chip: err = %v, want a wrapped NACK", err)
	}
}

func TestFaultsRecover(t *testing.T) {
	b, h, d := newSim(t)
	h.Set(21.5, 45)
	var r Reading

	b.InjectNACK(Addr, 1)
	err := d.Sense(&r)
	if !errors.Is(err, sim.ErrNACK) || !strings.HasPrefix(err.Error(), "hts221: reading H_OUT/T_OUT: ") {
		t.Fatalf("NACK: err = %v", err)
	}
	if err := d.Sense(&r); err != nil || math.Abs(r.TemperatureC-21.5) > tolC {
		t.Fatalf("after NACK: %+v, %v", r, err)
	}

	b.InjectShortRead(Addr, 1)
	r = Reading{}
	if err := d.Sense(&r); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short read: err = %v", err)
	}
	if err := d.Sense(&r); err != nil || math.Abs(r.HumidityPct-45) > tolPct {
		t.Fatalf("after short read: %+v, %v", r, err)
	}
}

func TestInitSequence(t *testing.T) {
	cal := sim.HTS221Calibration
	p := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: Addr, W: []byte{0x0F}, R: []byte{0xBC}},
		{Addr: Addr, W: []byte{0xB0}, R: cal[:]},
		{Addr: Addr, W: []byte{0x10, 0x1B}},
		{Addr: Addr, W: []byte{0x20, 0x87}},
		// Sense: one auto-increment read of H_OUT and T_OUT.
		// H_OUT = -1320 (33 %), T_OUT = 1020 (33.5 °C).
		{Addr: Addr, W: []byte{0xA8}, R: []byte{0xD8, 0xFA, 0xFC, 0x03}},
		// Halt: power down, keeping BDU and ODR.
		{Addr: Addr, W: []byte{0x20, 0x07}},
	}, DontPanic: true}
	r := testutil.SenseThenHalt[Reading](t, p, func() (*Dev, error) { return New(p, &simOpts) }, ErrHalted)
	if r != (Reading{TemperatureC: 33.5, HumidityPct: 33}) {
		t.Fatalf("reading = %+v, want exactly 33.5 °C, 33 %%", r)
	}
}

func TestHaltPowersDown(t *testing.T) {
	_, h, d := newSim(t)
	if got := h.Register(0x20); got != 0x87 {
		t.Fatalf("CTRL_REG1 = %#x, want 0x87", got)
	}
	if got := h.Register(0x10); got != 0x1B {
		t.Fatalf("AV_CONF = %#x, want 0x1b", got)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if got := h.Register(0x20); got&0x80 != 0 {
		t.Fatalf("CTRL_REG1 = %#x after Halt, want PD clear", got)
	}
	if s := d.String(); s != "HTS221{sim(95)}" {
		t.Fatalf("String() = %q", s)
	}
}

func TestKernelDriver(t *testing.T) {
	root := t.TempDir()
	testutil.BindI2CDriver(t, root, "1-005f", "hts221")
	b, _, _ := newSim(t)
	n := b.Transactions(Addr)
	_, err := New(b, &Opts{SysfsRoot: root, Bus: 1})
	if !errors.Is(err, ErrKernelDriver) || !strings.Contains(err.Error(), `"hts221" is bound to 1-005f`) {
		t.Fatalf("err = %v", err)
	}
	if b.Transactions(Addr) != n {
		t.Fatal("New touched the bus although a kernel driver holds the chip")
	}
	// Another bus number has no driver bound: accepted.
	if _, err := New(b, &Opts{SysfsRoot: root, Bus: 2}); err != nil {
		t.Fatal(err)
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
