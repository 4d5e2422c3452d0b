package attiny

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/sensehat/internal/i2cchip"
	"github.com/sensehat/sensehat/sensehat/sysfs"
)

// Addr is the ATtiny88's I2C address on the Sense HAT.
const Addr = 0x46

// Registers, see doc.go.
const (
	regFrame    = 0x00
	regWhoAmI   = 0xF0
	regVersion  = 0xF1
	regJoystick = 0xF2

	// whoAmI is what regWhoAmI reads on every Sense HAT ('s').
	whoAmI = 0x73
)

// ErrKernelDriver is wrapped by the error New returns when a kernel driver
// is bound to the ATtiny; the framebuffer and evdev backends are the ones to
// use then.
var ErrKernelDriver = errors.New("attiny: the ATtiny88 is held by a kernel driver")

// ErrNotFound is wrapped by the error New and NewJoystick return when the
// chip at 0x46 does not answer with the ATtiny88's who-am-I.
var ErrNotFound = errors.New("attiny: no Sense HAT ATtiny88 at 0x46")

// Opts configures New.
type Opts struct {
	// Bus is the Linux I2C bus number the chip is on, used only to find
	// its device in sysfs (1-0046 on bus 1). Taken as given: 0 means
	// i2c-0.
	Bus int
	// SysfsRoot is where sysfs is mounted; "" means "/sys". Tests point it
	// at a tree of their own.
	SysfsRoot string
	// Gamma maps each 5-bit channel to the LED's PWM value (duty
	// value/64, at most display.MaxPWM); nil means display.DefaultGamma,
	// as bright as the kernel's framebuffer driver (full white 31).
	// display.FullGamma uses the firmware's whole range (full white 63),
	// about twice as bright. SetLowLight(true) overrides it with
	// display.LowLightGamma until SetLowLight(false).
	Gamma *display.Gamma
	// SkipKernelCheck claims the chip even if a kernel driver is bound to
	// it. Both will then write the matrix and read the joystick, racing.
	SkipKernelCheck bool
}

// DefaultOpts is the Sense HAT on a Raspberry Pi: bus 1, real sysfs,
// default gamma. Copy it and adjust.
var DefaultOpts = Opts{Bus: 1, SysfsRoot: sysfs.Root}

// Dev is the ATtiny88's LED matrix over I2C. It implements display.Device.
// It is safe for concurrent use.
type Dev struct {
	b       i2c.Bus
	name    string
	version byte

	mu       sync.Mutex
	gamma    display.Gamma
	lowLight bool
	// frame is the last frame shown, kept to re-encode it when the gamma
	// changes.
	frame *display.Frame
	shown bool
	// buf is the whole write: pointer 0x00, then the 192 frame bytes.
	buf [1 + FrameBytes]byte
	// last is what the chip holds, valid only when lastOK: after a failed
	// write the chip may hold part of a frame, so the next one is sent.
	last   [FrameBytes]byte
	lastOK bool
}

var (
	_ display.Device = (*Dev)(nil)
	_ conn.Resource  = (*Dev)(nil)
)

// New checks that no kernel driver holds the chip, identifies it by its
// who-am-I, and returns the LED matrix. The matrix is left as it was until
// the first Show. A nil opts means DefaultOpts.
func New(b i2c.Bus, opts *Opts) (*Dev, error) {
	if b == nil {
		return nil, errors.New("attiny: nil I2C bus")
	}
	if opts == nil {
		opts = &DefaultOpts
	}
	if opts.Gamma != nil {
		if err := opts.Gamma.Check(); err != nil {
			return nil, fmt.Errorf("attiny: Opts.Gamma: %w", err)
		}
	}
	if !opts.SkipKernelCheck {
		if err := CheckKernel(opts.SysfsRoot, opts.Bus); err != nil {
			return nil, err
		}
	}
	version, err := probe(b)
	if err != nil {
		return nil, err
	}
	d := &Dev{
		b:       b,
		name:    fmt.Sprintf("attiny88(%s 0x%02x, firmware %d)", b, Addr, version),
		version: version,
		gamma:   display.DefaultGamma,
		frame:   display.NewFrame(),
	}
	if opts.Gamma != nil {
		d.gamma = *opts.Gamma
	}
	return d, nil
}

// CheckKernel returns an error wrapping ErrKernelDriver when a kernel
// driver (rpi-sense) is bound to the ATtiny on bus, looked up in the sysfs
// tree at root ("" means /sys). New calls it unless Opts.SkipKernelCheck is
// set; a caller that claims the joystick alone (NewJoystick) calls it
// first. Writing the chip from user space while the driver holds it would
// race the driver's own frame updates and joystick reads.
func CheckKernel(root string, bus int) error {
	return i2cchip.CheckKernel("attiny", ErrKernelDriver, root, bus, Addr,
		"use --display fb and --joystick evdev (the kernel's own devices), "+
			"or stop the rpi-sense overlay from loading (force_eeprom_read=0 in config.txt)")
}

// probe reads who-am-I and the firmware version, one register per
// transaction as the kernel driver does.
func probe(b i2c.Bus) (version byte, err error) {
	var r [1]byte
	if err := b.Tx(Addr, []byte{regWhoAmI}, r[:]); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return 0, busErr(b, "reading who-am-I", err)
		}
		return 0, fmt.Errorf("attiny: reading who-am-I at 0x%02x on %s: %w; "+
			"is the Sense HAT fitted and I2C enabled (raspi-config, dtparam=i2c_arm=on)?", Addr, b, err)
	}
	if r[0] != whoAmI {
		return 0, fmt.Errorf("%w: who-am-I 0x%02x, want 0x%02x; the Sense HAT may be missing "+
			"or another chip answers at this address", ErrNotFound, r[0], whoAmI)
	}
	if err := b.Tx(Addr, []byte{regVersion}, r[:]); err != nil {
		return 0, busErr(b, "reading firmware version", err)
	}
	return r[0], nil
}

// busErr wraps a bus failure; a permission error gets the fix attached,
// since it is what a user outside the i2c group sees.
func busErr(b i2c.Bus, what string, err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("attiny: %s on %s: %w (add your user to the i2c group: "+
			"sudo usermod -aG i2c $USER, then log in again)", what, b, err)
	}
	return fmt.Errorf("attiny: %s on %s: %w", what, b, err)
}

// String implements conn.Resource.
func (d *Dev) String() string { return d.name }

// Version returns the firmware version read at New (0 on shipped boards).
func (d *Dev) Version() byte { return d.version }

// Show implements display.Device: it puts f on the matrix in one 193-byte
// write, or does nothing if the chip already shows the same bytes. It does
// not retain f.
func (d *Dev) Show(f *display.Frame) error {
	if f == nil {
		return errors.New("attiny: nil frame")
	}
	if f.Stride < display.Size*3 || len(f.Pix) < (display.Size-1)*f.Stride+display.Size*3 {
		return fmt.Errorf("attiny: frame has %d bytes with stride %d, want an 8x8 RGB frame (display.NewFrame)", len(f.Pix), f.Stride)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	dst := d.frame.Pix
	for y := range display.Size {
		copy(dst[y*d.frame.Stride:y*d.frame.Stride+display.Size*3], f.Pix[y*f.Stride:])
	}
	d.shown = true
	return d.flush(false)
}

// SetLowLight switches to display.LowLightGamma (or back to the gamma
// chosen at New) and shows the current frame again with it.
func (d *Dev) SetLowLight(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lowLight = on
	if !d.shown {
		return nil
	}
	return d.flush(false)
}

// LowLight reports whether low-light gamma is on.
func (d *Dev) LowLight() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lowLight
}

// Halt implements conn.Resource: it blanks the matrix. The write is sent
// even if the matrix is believed black, as Halt is what leaves the board
// dark at shutdown.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.frame.Clear()
	d.shown = true
	return d.flush(true)
}

// flush encodes d.frame and writes it unless the chip holds it already.
// Called with d.mu held; allocates nothing unless the write fails.
func (d *Dev) flush(force bool) error {
	g := &d.gamma
	if d.lowLight {
		g = &display.LowLightGamma
	}
	enc := (*[FrameBytes]byte)(d.buf[1:])
	Encode(enc, d.frame, g)
	if !force && d.lastOK && *enc == d.last {
		return nil
	}
	d.buf[0] = regFrame
	if err := d.b.Tx(Addr, d.buf[:], nil); err != nil {
		d.lastOK = false
		return busErr(d.b, "writing LED frame", err)
	}
	d.last = *enc
	d.lastOK = true
	return nil
}
