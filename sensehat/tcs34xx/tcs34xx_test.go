package tcs34xx

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// clock is a manual clock shared by the simulated chip and the driver:
// the driver's sleeps advance it, so integrations complete without waiting.
func newClock() *testutil.Clock {
	return testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

// simDev opens chip at addr on a fresh bus with a manual clock.
func simDev(t testing.TB, chip *sim.TCS34xx, addr uint16, s Settings) (*sim.Bus, *testutil.Clock, *Dev) {
	t.Helper()
	b := sim.NewBus("sim")
	clk := newClock()
	chip.SetClock(clk.Now)
	b.Attach(addr, chip)
	d, err := New(b, &Opts{SkipKernelCheck: true, Settings: s, Now: clk.Now, Sleep: clk.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	return b, clk, d
}

// pyColour is python-sense-hat's arithmetic written out independently
// (sense_hat/colour.py: HardwareInterface.max_value, ceildiv,
// ColourSensor._scaling, ColourSensor.colour): raw // ceil(max / 256).
func pyColour(raw, cycles int) int {
	max := 1024 * cycles
	if cycles >= 64 {
		max = 65535
	}
	return pyFloorDiv(raw, -pyFloorDiv(max, -256))
}

// pyFloorDiv is Python's // (it rounds towards minus infinity, Go's /
// towards zero), so ceildiv(a, b) = -(a // -b) reads as colour.py has it.
func pyFloorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func TestScaleMatchesPythonSenseHat(t *testing.T) {
	tests := []struct {
		raw    uint16
		cycles int
		want   int // worked by hand from colour.py
	}{
		{0, 1, 0},
		{3, 1, 0},        // max 1024, scaling 4
		{4, 1, 1},        //
		{1023, 1, 255},   //
		{1024, 1, 256},   // saturated below 64 cycles: 1024 // 4
		{3072, 3, 256},   // max 3072, scaling 12
		{10239, 10, 255}, // max 10240, scaling 40
		{64512, 63, 256}, // max 64512, scaling 252
		{255, 64, 0},     // max 65535, scaling ceil(255.996) = 256
		{256, 64, 1},     //
		{65535, 64, 255}, //
		{65535, 256, 255},
	}
	for _, tc := range tests {
		if got := Scale(tc.raw, tc.cycles); got != tc.want || got != pyColour(int(tc.raw), tc.cycles) {
			t.Errorf("Scale(%d, %d cycles) = %d, want %d (python %d)", tc.raw, tc.cycles, got, tc.want, pyColour(int(tc.raw), tc.cycles))
		}
	}
	for _, tc := range []struct{ cycles, want int }{{1, 1024}, {10, 10240}, {63, 64512}, {64, 65535}, {256, 65535}} {
		if got := MaxRaw(tc.cycles); got != tc.want {
			t.Errorf("MaxRaw(%d) = %d, want %d (colour.py max_value)", tc.cycles, got, tc.want)
		}
	}
}

func TestSimulatedLight(t *testing.T) {
	tests := []struct {
		name                string
		chip                func() *sim.TCS34xx
		addr                uint16
		set                 Settings
		r, g, b, c          float64 // counts per cycle at gain 1
		raw                 [4]uint16
		colour              [4]int
		integration         time.Duration
		variant             Variant
		wantString, wantHex string
	}{
		{
			name: "TCS3400 gain 16, 64 cycles", chip: sim.NewTCS3400, addr: 0x39,
			set: Settings{Gain: 16, IntegrationCycles: 64}, r: 10, g: 20, b: 5, c: 100,
			// light × 16 × 64; clear 102400 saturates at 65535.
			raw: [4]uint16{10240, 20480, 5120, 65535},
			// scaling ceil(65535/256) = 256.
			colour:      [4]int{40, 80, 20, 255},
			integration: 64 * 2750 * time.Microsecond, variant: TCS340x,
		},
		{
			name: "TCS34725 gain 60, 10 cycles", chip: sim.NewTCS34725, addr: 0x29,
			set: Settings{Gain: 60, IntegrationCycles: 10}, r: 3, g: 2, b: 1, c: 6,
			raw: [4]uint16{1800, 1200, 600, 3600},
			// max 10240, scaling 40.
			colour:      [4]int{45, 30, 15, 90},
			integration: 10 * 2400 * time.Microsecond, variant: TCS3472x,
		},
		{
			name: "python-sense-hat defaults: gain 1, one cycle", chip: sim.NewTCS3400, addr: 0x39,
			r: 1000, g: 512.4, b: 2000, c: 3,
			raw:         [4]uint16{1000, 512, 1024, 3},
			colour:      [4]int{250, 128, 256, 0},
			integration: 2750 * time.Microsecond, variant: TCS340x,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chip := tc.chip()
			chip.SetLight(tc.r, tc.g, tc.b, tc.c)
			_, _, d := simDev(t, chip, tc.addr, tc.set)
			if d.Variant() != tc.variant || d.Addr() != tc.addr {
				t.Fatalf("found %v at %#x, want %v at %#x", d.Variant(), d.Addr(), tc.variant, tc.addr)
			}
			if got := d.IntegrationTime(); got != tc.integration {
				t.Errorf("IntegrationTime = %v, want %v", got, tc.integration)
			}
			var r Reading
			if err := d.Sense(&r); err != nil {
				t.Fatal(err)
			}
			if got := [4]uint16{r.Red, r.Green, r.Blue, r.Clear}; got != tc.raw {
				t.Errorf("raw = %v, want %v", got, tc.raw)
			}
			rr, gg, bb, cc := r.Colour()
			if got := [4]int{rr, gg, bb, cc}; got != tc.colour {
				t.Errorf("colour = %v, want %v", got, tc.colour)
			}
			want := tc.set
			if want == (Settings{}) {
				want = Settings{Gain: 1, IntegrationCycles: 1}
			}
			if r.Settings != want {
				t.Errorf("reading settings = %+v, want %+v", r.Settings, want)
			}
		})
	}
}

func TestDetectionByID(t *testing.T) {
	tests := []struct {
		id      byte
		addr    uint16
		variant Variant
	}{
		// python-sense-hat: (id & 0xf8) == 0x90 is a TCS340x,
		// (id & 0xf4) == 0x44 a TCS3472x; either part can sit at either
		// address.
		{0x90, 0x39, TCS340x}, {0x93, 0x39, TCS340x}, {0x90, 0x29, TCS340x},
		{0x44, 0x29, TCS3472x}, {0x4D, 0x29, TCS3472x}, {0x44, 0x39, TCS3472x},
	}
	for _, tc := range tests {
		chip := sim.NewTCS34xx(tc.id)
		_, _, d := simDev(t, chip, tc.addr, Settings{})
		if d.Variant() != tc.variant || d.ID() != tc.id || d.Addr() != tc.addr {
			t.Errorf("ID %#x at %#x: found %v (ID %#x) at %#x, want %v", tc.id, tc.addr, d.Variant(), d.ID(), d.Addr(), tc.variant)
		}
	}

	t.Run("0x39 wins when both answer", func(t *testing.T) {
		b := sim.NewBus("sim")
		b.Attach(0x29, sim.NewTCS34725())
		b.Attach(0x39, sim.NewTCS3400())
		clk := newClock()
		d, err := New(b, &Opts{SkipKernelCheck: true, Now: clk.Now, Sleep: clk.Sleep})
		if err != nil || d.Addr() != 0x39 {
			t.Fatalf("New = %v, %v; want the chip at 0x39", d, err)
		}
	})
	t.Run("foreign ID", func(t *testing.T) {
		b := sim.NewBus("sim")
		b.Attach(0x39, sim.NewTCS34xx(0x12))
		_, err := New(b, &Opts{SkipKernelCheck: true, Sleep: func(time.Duration) {}})
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "0x39: ID 0x12 is neither a TCS340x (0x90-0x97) nor a TCS3472x (0x44, 0x4D)") {
			t.Fatalf("err = %v", err)
		}
		if n := b.Transactions(0x39); n != 1 {
			t.Errorf("%d transactions to a foreign chip, want only the ID read", n)
		}
	})
	t.Run("foreign chip at 0x39, sensor at 0x29", func(t *testing.T) {
		b := sim.NewBus("sim")
		b.Attach(0x39, sim.NewTCS34xx(0x12))
		b.Attach(0x29, sim.NewTCS34725())
		clk := newClock()
		d, err := New(b, &Opts{SkipKernelCheck: true, Now: clk.Now, Sleep: clk.Sleep})
		if err != nil || d.Addr() != 0x29 || d.Variant() != TCS3472x {
			t.Fatalf("New = %v, %v; want the TCS3472x at 0x29", d, err)
		}
	})
	t.Run("none", func(t *testing.T) {
		b := sim.NewHATModel(sim.SenseHATv1).Bus
		_, err := New(b, &Opts{SkipKernelCheck: true, Bus: 1})
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "on I2C bus 1 (0x39: ") || !strings.Contains(err.Error(), "0x29: ") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("gain of the other family", func(t *testing.T) {
		b := sim.NewBus("sim")
		b.Attach(0x39, sim.NewTCS3400())
		_, err := New(b, &Opts{SkipKernelCheck: true, Settings: Settings{Gain: 60, IntegrationCycles: 1}, Sleep: func(time.Duration) {}})
		if !errors.Is(err, ErrInvalidSetting) || !strings.Contains(err.Error(), "gain 60; the TCS340x takes 1, 4, 16 or 64") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestExactBytes(t *testing.T) {
	// The TCS3472 datasheet's command byte: 0x80 | ADDR, and 0xA0 | ADDR
	// for an auto-increment block; the TCS3400 reads 0x93.. as addresses.
	data := []byte{0x01, 0x10, 0x00, 0x20, 0x00, 0x30, 0x00, 0x40, 0x01}
	tests := []struct {
		name  string
		addr  uint16
		id    byte
		set   Settings
		init  []byte // ATIME, CONTROL values
		block byte
	}{
		{"TCS3400", 0x39, 0x90, Settings{Gain: 64, IntegrationCycles: 256}, []byte{0x00, 0x03}, 0x93},
		{"TCS34725", 0x29, 0x44, Settings{Gain: 4, IntegrationCycles: 1}, []byte{0xFF, 0x01}, 0xB3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.addr
			p := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
				{Addr: a, W: []byte{0x92}, R: []byte{tc.id}},
				{Addr: a, W: []byte{0x80, 0x01}},
				{Addr: a, W: []byte{0x80, 0x01}},
				{Addr: a, W: []byte{0x81, tc.init[0]}},
				{Addr: a, W: []byte{0x8F, tc.init[1]}},
				{Addr: a, W: []byte{0x80, 0x03}},
				{Addr: a, W: []byte{tc.block}, R: data},
				{Addr: a, W: []byte{0x80, 0x00}},
			}}
			clk := newClock()
			r := testutil.SenseThenHalt[Reading](t, p, func() (*Dev, error) {
				return New(p, &Opts{SkipKernelCheck: true, Addr: a, Settings: tc.set, Now: clk.Now, Sleep: clk.Sleep})
			}, ErrHalted)
			if r.Clear != 0x10 || r.Red != 0x20 || r.Green != 0x30 || r.Blue != 0x140 {
				t.Fatalf("reading = %+v", r)
			}
		})
	}
}

func TestConfigure(t *testing.T) {
	chip := sim.NewTCS3400()
	chip.SetLight(2, 3, 4, 5)
	_, _, d := simDev(t, chip, 0x39, Settings{})
	var r Reading
	if err := d.Configure(Settings{Gain: 4, IntegrationCycles: 20}); err != nil {
		t.Fatal(err)
	}
	// The first Sense after Configure already has the new settings: light
	// × 4 × 20.
	if err := d.Sense(&r); err != nil {
		t.Fatal(err)
	}
	if r.Red != 160 || r.Clear != 400 || r.Gain != 4 || r.IntegrationCycles != 20 {
		t.Fatalf("reading after Configure = %+v, want red 160, clear 400 at gain 4, 20 cycles", r)
	}
	if got := chip.Register(0x81); got != 236 {
		t.Errorf("ATIME = %d, want 256 - 20", got)
	}
	if got := chip.Register(0x8F); got != 1 {
		t.Errorf("CONTROL = %d, want 1 (gain 4)", got)
	}
	for _, s := range []Settings{{Gain: 60, IntegrationCycles: 1}, {Gain: 2, IntegrationCycles: 1}, {Gain: 1, IntegrationCycles: 0}, {Gain: 1, IntegrationCycles: 257}} {
		if err := d.Configure(s); !errors.Is(err, ErrInvalidSetting) {
			t.Errorf("Configure(%+v) = %v, want ErrInvalidSetting", s, err)
		}
	}
	if got := d.Settings(); got != (Settings{Gain: 4, IntegrationCycles: 20}) {
		t.Errorf("settings after refused changes = %+v", got)
	}
}

func TestNotReadyWhileIntegrating(t *testing.T) {
	chip := sim.NewTCS34725()
	chip.SetLight(1, 1, 1, 1)
	b := sim.NewBus("sim")
	clk := newClock()
	chip.SetClock(clk.Now)
	b.Attach(0x29, chip)
	// Sleep does nothing: the clock only moves when the test says.
	d, err := New(b, &Opts{SkipKernelCheck: true, Settings: Settings{Gain: 1, IntegrationCycles: 100}, Now: clk.Now, Sleep: func(time.Duration) {}})
	if err != nil {
		t.Fatal(err)
	}
	var r Reading
	if err := d.Sense(&r); !errors.Is(err, ErrNotReady) {
		t.Fatalf("Sense before the integration ended: %v, want ErrNotReady", err)
	}
	clk.Sleep(101 * 2400 * time.Microsecond * 11 / 10)
	if err := d.Sense(&r); err != nil || r.Clear != 100 {
		t.Fatalf("Sense after the integration: %+v, %v; want clear 100", r, err)
	}
}

func TestFaultsAndReset(t *testing.T) {
	chip := sim.NewTCS3400()
	chip.SetLight(1, 2, 3, 4)
	b, clk, d := simDev(t, chip, 0x39, Settings{Gain: 1, IntegrationCycles: 2})
	var r Reading

	b.InjectNACK(0x39, 1)
	if err := d.Sense(&r); !errors.Is(err, syscall.EREMOTEIO) || !strings.HasPrefix(err.Error(), "tcs34xx: reading STATUS and RGBC data: ") {
		t.Fatalf("NACK: %v", err)
	}
	if err := d.Sense(&r); err != nil || r.Blue != 6 {
		t.Fatalf("after NACK: %+v, %v", r, err)
	}

	// A NACK in the middle of Configure leaves the chip half set: the next
	// Sense writes the settings again and waits for an integration.
	b.InjectIntermittent(0x39, 3)
	err := d.Configure(Settings{Gain: 16, IntegrationCycles: 2})
	b.InjectIntermittent(0x39, 0)
	if err == nil {
		t.Fatal("Configure with every third transaction NACKed succeeded")
	}
	if err := d.Sense(&r); !errors.Is(err, ErrNotReady) {
		t.Fatalf("first Sense after the failed Configure: %v, want ErrNotReady", err)
	}
	clk.Sleep(10 * time.Millisecond)
	if err := d.Sense(&r); err != nil || r.Blue != 96 || r.Gain != 16 {
		t.Fatalf("after re-configuring: %+v, %v; want blue 3 × 16 × 2", r, err)
	}

	// A chip reset (ENABLE back to 0) is noticed and repaired.
	if err := b.Tx(0x39, []byte{0x80, 0x00}, nil); err != nil {
		t.Fatal(err)
	}
	clk.Sleep(time.Second)
	if err := d.Sense(&r); err == nil || errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "may have been reset") {
		t.Fatalf("Sense of a reset chip: %v", err)
	}
	clk.Sleep(10 * time.Millisecond)
	if err := d.Sense(&r); !errors.Is(err, ErrNotReady) {
		// the restart happens in this call
		t.Fatalf("Sense restarting the chip: %v, want ErrNotReady", err)
	}
	clk.Sleep(10 * time.Millisecond)
	if err := d.Sense(&r); err != nil || r.Blue != 96 {
		t.Fatalf("after the restart: %+v, %v", r, err)
	}
}

func TestKernelDriver(t *testing.T) {
	root := t.TempDir()
	testutil.BindI2CDriver(t, root, "1-0029", "tcs3472")
	b := sim.NewHATModel(sim.AstroPi).Bus
	_, err := New(b, &Opts{SysfsRoot: root, Bus: 1})
	if !errors.Is(err, ErrKernelDriver) || !strings.Contains(err.Error(), `"tcs3472" is bound to 1-0029`) {
		t.Fatalf("err = %v", err)
	}
	if n := b.Transactions(0x29); n != 0 {
		t.Fatalf("%d transactions to a chip the kernel holds", n)
	}
}

func TestString(t *testing.T) {
	_, _, d := simDev(t, sim.NewTCS34725(), 0x29, Settings{})
	if s := d.String(); s != "TCS3472x{sim(41)}" {
		t.Fatalf("String() = %q", s)
	}
}

func BenchmarkSense(b *testing.B) {
	chip := sim.NewTCS3400()
	chip.SetLight(10, 20, 30, 60)
	_, _, d := simDev(b, chip, 0x39, Settings{Gain: 16, IntegrationCycles: 64})
	testutil.BenchSense[Reading](b, func() (*Dev, error) { return d, nil })
}

func TestVariantOf(t *testing.T) {
	// python-sense-hat (colour.py, I2C.__init__): (id & 0xf8) == 0x90 is a
	// TCS340x, (id & 0xf4) == 0x44 a TCS3472x. An empty bus reads 0xFF or
	// 0x00: neither.
	for id := 0; id < 256; id++ {
		v, ok := VariantOf(byte(id))
		var want Variant
		switch {
		case id >= 0x90 && id <= 0x97:
			want = TCS340x
		case id&0xF4 == 0x44:
			want = TCS3472x
		}
		if v != want || ok != (want != 0) {
			t.Errorf("VariantOf(%#02x) = %v, %v; want %v", id, v, ok, want)
		}
	}
	for _, id := range []byte{0x44, 0x4D} {
		if v, _ := VariantOf(id); v != TCS3472x {
			t.Errorf("VariantOf(%#02x) = %v, want TCS3472x (the TCS34725 and TCS34727 datasheet IDs)", id, v)
		}
	}
	for _, id := range []byte{0x00, 0xFF, 0x98, 0x12} {
		if _, ok := VariantOf(id); ok {
			t.Errorf("VariantOf(%#02x) accepted", id)
		}
	}
}
