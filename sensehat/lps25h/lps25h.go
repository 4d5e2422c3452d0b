package lps25h

import (
	"errors"
	"fmt"
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/sensehat/internal/i2cchip"
	"github.com/sensehat/sensehat/sensehat/sysfs"
)

// Addr is the LPS25H's address on the Sense HAT (SA0 pulled low).
const Addr = 0x5C

const (
	regWhoAmI   = 0x0F
	regResConf  = 0x10
	regCtrl1    = 0x20
	regCtrl2    = 0x21
	regPressOut = 0x28
	regFIFOCtrl = 0x2E
	autoInc     = 0x80

	whoAmI    = 0xBD
	resConf   = 0x05 // AVGT 01, AVGP 01: 16 temperature and 32 pressure samples
	fifoMean  = 0xC0 // FIFO mean mode
	fifoEn    = 0x40
	ctrl1On   = 0xC4 // PD | 25 Hz | BDU
	ctrl1Halt = ctrl1On &^ 0x80
)

// ErrKernelDriver is wrapped by New's error when a kernel driver is bound
// to the chip: using it over i2c-dev at the same time would race the kernel.
var ErrKernelDriver = errors.New("lps25h: chip held by a kernel driver")

// ErrHalted is returned by Sense after Halt has powered the chip down.
var ErrHalted = errors.New("lps25h: device halted")

// Opts configures New.
type Opts struct {
	// Addr is the chip's address; 0 means Addr.
	Addr uint16
	// SysfsRoot is where sysfs is mounted, to find a kernel driver bound to
	// the chip; "" means /sys.
	SysfsRoot string
	// SkipKernelCheck claims the chip even if a kernel driver is bound to
	// it: for simulated buses, which have no sysfs entry of their own.
	SkipKernelCheck bool
	// Bus is the I2C bus number the chip is on, for the kernel check.
	Bus int
	// Averaging turns on the chip's internal averaging (RES_CONF) and the
	// FIFO mean mode, trading response time for a quieter reading.
	Averaging bool
}

// DefaultOpts is the Sense HAT's configuration: bus 1, address 0x5C,
// averaging on, and a kernel driver check under /sys.
var DefaultOpts = Opts{Addr: Addr, SysfsRoot: sysfs.Root, Bus: 1, Averaging: true}

// Reading is one measurement.
type Reading struct {
	PressureHPa  float64
	TemperatureC float64
}

// chip is what New checks before it writes anything.
var chip = i2cchip.Chip{
	Pkg: "lps25h", Name: "an LPS25H", Addr: Addr,
	ErrKernel: ErrKernelDriver, Instead: "read it through IIO (package iio)",
	WhoAmIReg: regWhoAmI, WhoAmI: whoAmI,
}

// Dev is an LPS25H on an I2C bus. It is safe for concurrent use.
type Dev struct {
	mu     sync.Mutex
	c      i2c.Dev
	halted bool
	w      [2]byte
	r      [5]byte
}

var _ conn.Resource = (*Dev)(nil)

// New checks the chip is an LPS25H that no kernel driver holds, configures
// averaging if asked and powers it on (CTRL_REG1 0xC4). opts nil means
// DefaultOpts. The bus stays the caller's to close.
func New(b i2c.Bus, opts *Opts) (*Dev, error) {
	if opts == nil {
		opts = &DefaultOpts
	}
	c, err := chip.Open(b, opts.Addr, opts.Bus, opts.SysfsRoot, opts.SkipKernelCheck)
	if err != nil {
		return nil, err
	}
	d := &Dev{c: c}
	if opts.Averaging {
		// Configure while powered down; FIFO mode before enabling the FIFO.
		for _, w := range [][2]byte{{regResConf, resConf}, {regFIFOCtrl, fifoMean}, {regCtrl2, fifoEn}} {
			if err := d.c.Tx(w[:], nil); err != nil {
				return nil, busErr(fmt.Sprintf("writing register %#02x", w[0]), err)
			}
		}
	}
	if err := d.c.Tx([]byte{regCtrl1, ctrl1On}, nil); err != nil {
		return nil, busErr("powering on", err)
	}
	return d, nil
}

// Sense reads the latest pressure and temperature into r in one bus
// transaction. It does not wait for a new sample: at 25 Hz one is never
// older than 40 ms. It allocates nothing.
func (d *Dev) Sense(r *Reading) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halted {
		return ErrHalted
	}
	d.w[0] = regPressOut | autoInc
	if err := d.c.Tx(d.w[:1], d.r[:]); err != nil {
		return busErr("reading PRESS_OUT/TEMP_OUT", err)
	}
	r.PressureHPa = float64(Pressure24(d.r[0], d.r[1], d.r[2])) / 4096
	r.TemperatureC = 42.5 + float64(int16(uint16(d.r[3])|uint16(d.r[4])<<8))/480
	return nil
}

// Pressure24 assembles PRESS_OUT_XL, _L and _H into the signed 24-bit value
// they hold, sign-extended to 32 bits.
func Pressure24(xl, l, h byte) int32 {
	return int32(uint32(xl)<<8|uint32(l)<<16|uint32(h)<<24) >> 8
}

// String implements conn.Resource.
func (d *Dev) String() string { return fmt.Sprintf("LPS25H{%s}", &d.c) }

// Halt implements conn.Resource: it powers the chip down (CTRL_REG1 PD=0).
// Sense fails with ErrHalted afterwards.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.w[0], d.w[1] = regCtrl1, ctrl1Halt
	if err := d.c.Tx(d.w[:2], nil); err != nil {
		return busErr("powering down", err)
	}
	d.halted = true
	return nil
}

func busErr(what string, err error) error { return i2cchip.BusErr("lps25h", what, err) }
