package attiny_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/attiny"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// The kernel driver's tables, copied from the hardware notes rather than
// from package display, so a wrong table there fails here.
var (
	wantDefault  = [32]byte{0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 17, 18, 20, 21, 23, 25, 27, 29, 31}
	wantLowLight = [32]byte{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 10, 10}
)

// noKernel is an Opts for a simulated bus: an empty sysfs tree, so the
// kernel check runs and finds nothing.
func noKernel(t *testing.T) *attiny.Opts {
	t.Helper()
	o := attiny.DefaultOpts
	o.SysfsRoot = t.TempDir()
	return &o
}

func newSim(t *testing.T) (*sim.Bus, *sim.ATtiny, *attiny.Dev) {
	t.Helper()
	b := sim.NewBus("sim")
	a := sim.NewATtiny()
	b.Attach(attiny.Addr, a)
	d, err := attiny.New(b, noKernel(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b, a, d
}

func TestShowBytes(t *testing.T) {
	tests := []struct {
		name string
		draw func(f *display.Frame)
		want func(w *[192]byte)
	}{
		{"black", func(f *display.Frame) {}, func(w *[192]byte) {}},
		{
			"corner (0,0) red",
			func(f *display.Frame) { f.SetRGB(0, 0, 255, 0, 0) },
			func(w *[192]byte) { w[0x00] = 31 },
		},
		{
			"corner (7,7) blue",
			func(f *display.Frame) { f.SetRGB(7, 7, 0, 0, 255) },
			func(w *[192]byte) { w[7*24+16+7] = 31 },
		},
		{
			"(3,2) green",
			func(f *display.Frame) { f.SetRGB(3, 2, 0, 255, 0) },
			func(w *[192]byte) { w[2*24+8+3] = 31 },
		},
		{
			"(7,0) red, (0,7) green: row and column order",
			func(f *display.Frame) { f.SetRGB(7, 0, 255, 0, 0); f.SetRGB(0, 7, 0, 255, 0) },
			func(w *[192]byte) { w[7] = 31; w[7*24+8] = 31 },
		},
		{
			"half brightness goes through gamma",
			func(f *display.Frame) { f.SetRGB(1, 0, 128, 64, 32) },
			// 128>>3 = 16 -> 8, 64>>3 = 8 -> 2, 32>>3 = 4 -> 0.
			func(w *[192]byte) { w[1] = 8; w[8+1] = 2; w[16+1] = 0 },
		},
		{
			"full frame gradient",
			func(f *display.Frame) {
				for y := range 8 {
					for x := range 8 {
						f.SetRGB(x, y, uint8(x*32+y), uint8(y*32+x), uint8(255-8*(x+8*y)/2))
					}
				}
			},
			func(w *[192]byte) {
				for y := range 8 {
					for x := range 8 {
						w[y*24+x] = wantDefault[uint8(x*32+y)>>3]
						w[y*24+8+x] = wantDefault[uint8(y*32+x)>>3]
						w[y*24+16+x] = wantDefault[uint8(255-8*(x+8*y)/2)>>3]
					}
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, a, d := newSim(t)
			f := display.NewFrame()
			tc.draw(f)
			if err := d.Show(f); err != nil {
				t.Fatal(err)
			}
			var want [192]byte
			tc.want(&want)
			if got := a.Frame(); got != want {
				t.Fatalf("frame registers:\n got % x\nwant % x", got, want)
			}
			// The raw registers hold exactly the encoded values.
			raw := make([]byte, 192)
			if err := b.Tx(attiny.Addr, []byte{0x00}, raw); err != nil {
				t.Fatal(err)
			}
			if string(raw) != string(want[:]) {
				t.Fatalf("raw registers % x", raw)
			}
			if n := a.FrameWrites(); n != 1 {
				t.Fatalf("FrameWrites = %d, want 1 (one 193-byte transaction)", n)
			}
		})
	}
}

func TestShowSkipsUnchanged(t *testing.T) {
	_, a, d := newSim(t)
	f := display.NewFrame()
	f.SetRGB(2, 3, 255, 255, 255)
	steps := []struct {
		name   string
		change func()
		writes int
	}{
		{"first frame is always sent", func() {}, 1},
		{"same frame", func() {}, 1},
		{"change below 5-bit resolution", func() { f.SetRGB(2, 3, 250, 249, 248) }, 1},
		{"change in a dark region the gamma flattens", func() { f.SetRGB(0, 0, 8, 0, 0) }, 1},
		{"visible change", func() { f.SetRGB(0, 0, 0, 0, 255) }, 2},
		{"another frame object with the same pixels", func() {
			g := display.NewFrame()
			g.CopyFrom(f)
			f = g
		}, 2},
	}
	for _, s := range steps {
		s.change()
		if err := d.Show(f); err != nil {
			t.Fatal(err)
		}
		if n := a.FrameWrites(); n != s.writes {
			t.Fatalf("%s: FrameWrites = %d, want %d", s.name, n, s.writes)
		}
	}
}

func TestLowLight(t *testing.T) {
	_, a, d := newSim(t)
	// Switching before anything is shown writes nothing.
	if err := d.SetLowLight(true); err != nil {
		t.Fatal(err)
	}
	if err := d.SetLowLight(false); err != nil {
		t.Fatal(err)
	}
	if n := a.FrameWrites(); n != 0 {
		t.Fatalf("FrameWrites before Show = %d, want 0", n)
	}

	f := display.NewFrame()
	f.SetRGB(0, 0, 255, 128, 16)
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	check := func(when string, g *[32]byte, writes int) {
		t.Helper()
		r, gr, b := a.Pixel(0, 0)
		if r != g[31] || gr != g[16] || b != g[2] {
			t.Fatalf("%s: pixel (0,0) = %d,%d,%d, want %d,%d,%d", when, r, gr, b, g[31], g[16], g[2])
		}
		if n := a.FrameWrites(); n != writes {
			t.Fatalf("%s: FrameWrites = %d, want %d", when, n, writes)
		}
	}
	check("default", &wantDefault, 1)
	if r, g, b := a.Pixel(0, 0); r != 31 || g != 8 || b != 0 {
		t.Fatalf("default pixel = %d,%d,%d, want 31,8,0", r, g, b)
	}
	if err := d.SetLowLight(true); err != nil {
		t.Fatal(err)
	}
	check("low light", &wantLowLight, 2)
	if r, g, b := a.Pixel(0, 0); r != 10 || g != 3 || b != 1 {
		t.Fatalf("low-light pixel = %d,%d,%d, want 10,3,1", r, g, b)
	}
	if !d.LowLight() {
		t.Fatal("LowLight() = false")
	}
	// Showing the same frame in low light does not resend it.
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	check("same frame in low light", &wantLowLight, 2)
	if err := d.SetLowLight(false); err != nil {
		t.Fatal(err)
	}
	check("back to default", &wantDefault, 3)
}

func TestCustomGamma(t *testing.T) {
	b := sim.NewBus("sim")
	a := sim.NewATtiny()
	b.Attach(attiny.Addr, a)
	var linear display.Gamma
	for i := range linear {
		linear[i] = uint8(i)
	}
	o := noKernel(t)
	o.Gamma = &linear
	d, err := attiny.New(b, o)
	if err != nil {
		t.Fatal(err)
	}
	linear[20] = 0 // the Dev keeps its own copy
	f := display.NewFrame()
	f.SetRGB(4, 4, 160, 8, 255)
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if r, g, bl := a.Pixel(4, 4); r != 20 || g != 1 || bl != 31 {
		t.Fatalf("pixel = %d,%d,%d, want 20,1,31", r, g, bl)
	}
}

func TestFullGamma(t *testing.T) {
	// The firmware's whole range on the I2C path: full white is 63 (duty
	// 63/64), the default's 31 doubled, and the exact frame bytes follow
	// display.FullGamma.
	p := &i2ctest.Playback{DontPanic: true}
	want := make([]byte, 193)                     // pointer 0x00, then the frame
	want[1+0], want[1+8], want[1+16] = 63, 63, 63 // (0,0) white
	want[1+1], want[1+9], want[1+17] = 16, 16, 2  // (1,0) 128, 128, 48
	p.Ops = []i2ctest.IO{
		{Addr: attiny.Addr, W: []byte{0xF0}, R: []byte{0x73}},
		{Addr: attiny.Addr, W: []byte{0xF1}, R: []byte{0}},
		{Addr: attiny.Addr, W: want},
	}
	o := noKernel(t)
	o.Gamma = &display.FullGamma
	d, err := attiny.New(p, o)
	if err != nil {
		t.Fatal(err)
	}
	f := display.NewFrame()
	f.SetRGB(0, 0, 255, 255, 255)
	f.SetRGB(1, 0, 128, 128, 48)
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}

	// On the simulated chip, the LED is lit 63/64 of the time.
	b := sim.NewBus("sim")
	a := sim.NewATtiny()
	b.Attach(attiny.Addr, a)
	if d, err = attiny.New(b, o); err != nil {
		t.Fatal(err)
	}
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if r, g, bl := a.Pixel(0, 0); r != 63 || g != 63 || bl != 63 {
		t.Errorf("white with FullGamma = %d,%d,%d of 64, want 63", r, g, bl)
	}
}

func TestGammaBeyondPWMRefused(t *testing.T) {
	b := sim.NewBus("sim")
	b.Attach(attiny.Addr, sim.NewATtiny())
	bad := display.FullGamma
	bad[31] = 64
	o := noKernel(t)
	o.Gamma = &bad
	if _, err := attiny.New(b, o); err == nil || !strings.Contains(err.Error(), "gamma[31] = 64, want 0..63") {
		t.Errorf("New with gamma 64 = %v", err)
	}
	if n := b.Transactions(attiny.Addr); n != 0 {
		t.Errorf("%d transactions with a bad gamma, want none", n)
	}
}

func TestHalt(t *testing.T) {
	_, a, d := newSim(t)
	f := display.NewFrame()
	f.SetRGB(5, 5, 255, 255, 255)
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if got := a.Frame(); got != [192]byte{} {
		t.Fatalf("after Halt frame = % x, want all zero", got)
	}
	// Halt writes even when the matrix is already black.
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if n := a.FrameWrites(); n != 3 {
		t.Fatalf("FrameWrites = %d, want 3", n)
	}
}

func TestShowRejectsBadFrame(t *testing.T) {
	_, a, d := newSim(t)
	if err := d.Show(nil); err == nil {
		t.Fatal("Show(nil) succeeded")
	}
	if err := d.Show(&display.Frame{Pix: make([]byte, 100), Stride: 24}); err == nil || !strings.HasPrefix(err.Error(), "attiny: ") {
		t.Fatalf("short frame: err = %v", err)
	}
	if n := a.FrameWrites(); n != 0 {
		t.Fatalf("FrameWrites = %d, want 0", n)
	}
}

func TestShowNACK(t *testing.T) {
	b, a, d := newSim(t)
	f := display.NewFrame()
	f.SetRGB(0, 0, 255, 0, 0)
	b.InjectNACK(attiny.Addr, 1)
	err := d.Show(f)
	if !errors.Is(err, sim.ErrNACK) || !errors.Is(err, syscall.EREMOTEIO) {
		t.Fatalf("err = %v, want one wrapping sim.ErrNACK", err)
	}
	if !strings.HasPrefix(err.Error(), "attiny: ") {
		t.Fatalf("error %q does not start with the package name", err)
	}
	// The failed frame is not taken as shown: the same frame is resent.
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if n := a.FrameWrites(); n != 1 {
		t.Fatalf("FrameWrites = %d, want 1", n)
	}
	if r, _, _ := a.Pixel(0, 0); r != 31 {
		t.Fatalf("red = %d after retry, want 31", r)
	}
}

// fixedChip answers every read with v.
type fixedChip byte

func (c fixedChip) Tx(w, r []byte) error {
	for i := range r {
		r[i] = byte(c)
	}
	return nil
}

func TestNewWhoAmI(t *testing.T) {
	b := sim.NewBus("sim")
	b.Attach(attiny.Addr, fixedChip(0x12))
	_, err := attiny.New(b, noKernel(t))
	if !errors.Is(err, attiny.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	for _, s := range []string{"0x12", "0x73", "Sense HAT may be missing"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}

	_, err = attiny.New(sim.NewBus("empty"), noKernel(t))
	if !errors.Is(err, sim.ErrNACK) || !strings.Contains(err.Error(), "I2C enabled") {
		t.Fatalf("no chip: err = %v, want a wrapped NACK saying to check I2C", err)
	}
	if _, err := attiny.New(nil, nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}

func TestNewKernelDriver(t *testing.T) {
	root := t.TempDir()
	testutil.BindI2CDriver(t, root, "1-0046", "rpi-sense")
	b := sim.NewBus("sim")
	b.Attach(attiny.Addr, sim.NewATtiny())

	o := attiny.DefaultOpts
	o.SysfsRoot = root
	_, err := attiny.New(b, &o)
	if !errors.Is(err, attiny.ErrKernelDriver) {
		t.Fatalf("err = %v, want ErrKernelDriver", err)
	}
	for _, s := range []string{`"rpi-sense"`, "1-0046", "--display fb", "overlay", "unbind"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	if n := b.Transactions(attiny.Addr); n != 0 {
		t.Fatalf("%d transactions before refusing, want none", n)
	}

	// Another bus number looks at another device directory.
	o.Bus = 0
	if _, err := attiny.New(b, &o); err != nil {
		t.Fatalf("bus 0: %v", err)
	}
	o.Bus = 1
	o.SkipKernelCheck = true
	if _, err := attiny.New(b, &o); err != nil {
		t.Fatalf("SkipKernelCheck: %v", err)
	}
}

// errBus fails every transaction from the n-th on (counting from 0).
type errBus struct {
	*sim.Bus
	n   int
	err error
}

func (b *errBus) Tx(addr uint16, w, r []byte) error {
	if b.n == 0 {
		return b.err
	}
	b.n--
	return b.Bus.Tx(addr, w, r)
}

func TestPermissionError(t *testing.T) {
	perm := &os.PathError{Op: "ioctl", Path: "/dev/i2c-1", Err: syscall.EACCES}
	for _, n := range []int{0, 2} { // who-am-I, then the first frame
		t.Run(fmt.Sprint("fail at ", n), func(t *testing.T) {
			b := &errBus{Bus: sim.NewBus("sim"), n: n, err: perm}
			b.Attach(attiny.Addr, sim.NewATtiny())
			d, err := attiny.New(b, noKernel(t))
			if err == nil {
				err = d.Show(display.NewFrame())
			}
			if !errors.Is(err, os.ErrPermission) || !errors.Is(err, syscall.EACCES) {
				t.Fatalf("err = %v, want a wrapped permission error", err)
			}
			if !strings.Contains(err.Error(), "i2c group") {
				t.Fatalf("error %q does not say to join the i2c group", err)
			}
		})
	}
}

func TestPlayback(t *testing.T) {
	frame := make([]byte, 193)
	frame[1+0] = 31        // (0,0) red
	frame[1+7*24+16+7] = 8 // (7,7) blue, half
	p := &i2ctest.Playback{
		Ops: []i2ctest.IO{
			{Addr: 0x46, W: []byte{0xF0}, R: []byte{0x73}},
			{Addr: 0x46, W: []byte{0xF1}, R: []byte{0x00}},
			{Addr: 0x46, W: frame},
		},
		DontPanic: true,
	}
	o := attiny.DefaultOpts
	o.SkipKernelCheck = true
	d, err := attiny.New(p, &o)
	if err != nil {
		t.Fatal(err)
	}
	f := display.NewFrame()
	f.SetRGB(0, 0, 255, 0, 0)
	f.SetRGB(7, 7, 0, 0, 128)
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	// Unchanged: no transaction (Playback would fail an unexpected one).
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := d.String(); got != "attiny88(playback 0x46, firmware 0)" {
		t.Fatalf("String() = %q", got)
	}
	if d.Version() != 0 {
		t.Fatalf("Version() = %d", d.Version())
	}
}

func BenchmarkShow(b *testing.B) {
	bus := sim.NewBus("sim")
	a := sim.NewATtiny()
	bus.Attach(attiny.Addr, a)
	o := attiny.DefaultOpts
	o.SkipKernelCheck = true
	d, err := attiny.New(bus, &o)
	if err != nil {
		b.Fatal(err)
	}
	if err := bus.SetSpeed(400 * physic.KiloHertz); err != nil {
		b.Fatal(err)
	}
	frames := [2]*display.Frame{display.NewFrame(), display.NewFrame()}
	frames[1].SetRGB(3, 3, 255, 0, 255)
	testutil.BenchShow(b, frames, d.Show)
	if a.FrameWrites() < 2 {
		b.Fatal("frames were not written")
	}
}

func BenchmarkShowUnchanged(b *testing.B) {
	bus := sim.NewBus("sim")
	bus.Attach(attiny.Addr, sim.NewATtiny())
	o := attiny.DefaultOpts
	o.SkipKernelCheck = true
	d, err := attiny.New(bus, &o)
	if err != nil {
		b.Fatal(err)
	}
	f := display.NewFrame()
	f.SetRGB(1, 1, 255, 255, 255)
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Show(f); err != nil {
			b.Fatal(err)
		}
	}
}
