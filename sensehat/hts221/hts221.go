package hts221

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/sensehat/internal/i2cchip"
	"github.com/sensehat/sensehat/sensehat/sysfs"
)

// Addr is the HTS221's I2C address (fixed in silicon).
const Addr = 0x5F

const (
	regWhoAmI = 0x0F
	regAVConf = 0x10
	regCtrl1  = 0x20
	regHOut   = 0x28
	regCal    = 0x30
	autoInc   = 0x80

	whoAmI    = 0xBC
	avConf    = 0x1B // 16 temperature and 32 humidity samples averaged
	ctrl1On   = 0x87 // PD | BDU | 12.5 Hz
	ctrl1Halt = ctrl1On &^ 0x80
)

// ErrKernelDriver is wrapped by New's error when a kernel driver is bound
// to the chip: using it over i2c-dev at the same time would race the kernel.
var ErrKernelDriver = errors.New("hts221: chip held by a kernel driver")

// ErrHalted is returned by Sense after Halt has powered the chip down.
var ErrHalted = errors.New("hts221: device halted")

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
}

// DefaultOpts is the Sense HAT's configuration: bus 1, address 0x5F, and a
// kernel driver check under /sys.
var DefaultOpts = Opts{Addr: Addr, SysfsRoot: sysfs.Root, Bus: 1}

// Reading is one measurement.
type Reading struct {
	TemperatureC float64
	HumidityPct  float64
}

// Calibration is the decoded factory calibration: two points per quantity.
type Calibration struct {
	H0, H1       float64 // %rH
	T0, T1       float64 // °C
	H0Out, H1Out int16
	T0Out, T1Out int16
}

// ParseCalibration decodes registers 0x30-0x3F. It keeps every output
// signed and ignores the unused upper bits of 0x35, and fails only when an
// interpolation would divide by zero.
func ParseCalibration(c [16]byte) (Calibration, error) {
	cal := Calibration{
		H0:    float64(c[0]) / 2,
		H1:    float64(c[1]) / 2,
		T0:    float64(uint16(c[2])|uint16(c[5]&0x03)<<8) / 8,
		T1:    float64(uint16(c[3])|uint16(c[5]&0x0C)<<6) / 8,
		H0Out: int16(binary.LittleEndian.Uint16(c[6:])),
		H1Out: int16(binary.LittleEndian.Uint16(c[10:])),
		T0Out: int16(binary.LittleEndian.Uint16(c[12:])),
		T1Out: int16(binary.LittleEndian.Uint16(c[14:])),
	}
	if cal.T1Out == cal.T0Out {
		return cal, fmt.Errorf("hts221: bad calibration: T0_OUT = T1_OUT = %d; the chip's factory data is unusable", cal.T0Out)
	}
	if cal.H1Out == cal.H0Out {
		return cal, fmt.Errorf("hts221: bad calibration: H0_T0_OUT = H1_T0_OUT = %d; the chip's factory data is unusable", cal.H0Out)
	}
	return cal, nil
}

// Convert turns raw outputs into a Reading by linear interpolation between
// the calibration points, humidity clamped to 0..100 %.
func (c *Calibration) Convert(hOut, tOut int16, r *Reading) {
	r.TemperatureC = c.T0 + float64(int32(tOut)-int32(c.T0Out))*(c.T1-c.T0)/float64(int32(c.T1Out)-int32(c.T0Out))
	h := c.H0 + float64(int32(hOut)-int32(c.H0Out))*(c.H1-c.H0)/float64(int32(c.H1Out)-int32(c.H0Out))
	r.HumidityPct = min(max(h, 0), 100)
}

// chip is what New checks before it writes anything.
var chip = i2cchip.Chip{
	Pkg: "hts221", Name: "an HTS221", Addr: Addr,
	ErrKernel: ErrKernelDriver, Instead: "read it through IIO (package iio)",
	WhoAmIReg: regWhoAmI, WhoAmI: whoAmI,
}

// Dev is an HTS221 on an I2C bus. It is safe for concurrent use.
type Dev struct {
	mu     sync.Mutex
	c      i2c.Dev
	cal    Calibration
	halted bool
	w      [2]byte
	r      [4]byte
}

var _ conn.Resource = (*Dev)(nil)

// New checks the chip is an HTS221 that no kernel driver holds, reads its
// calibration and powers it on (averaging AV_CONF 0x1B, CTRL_REG1 0x87).
// opts nil means DefaultOpts. The bus stays the caller's to close.
func New(b i2c.Bus, opts *Opts) (*Dev, error) {
	if opts == nil {
		opts = &DefaultOpts
	}
	c, err := chip.Open(b, opts.Addr, opts.Bus, opts.SysfsRoot, opts.SkipKernelCheck)
	if err != nil {
		return nil, err
	}
	d := &Dev{c: c}
	var raw [16]byte
	if err := d.c.Tx([]byte{regCal | autoInc}, raw[:]); err != nil {
		return nil, busErr("reading calibration", err)
	}
	cal, err := ParseCalibration(raw)
	if err != nil {
		return nil, err
	}
	d.cal = cal
	if err := d.c.Tx([]byte{regAVConf, avConf}, nil); err != nil {
		return nil, busErr("writing AV_CONF", err)
	}
	if err := d.c.Tx([]byte{regCtrl1, ctrl1On}, nil); err != nil {
		return nil, busErr("powering on", err)
	}
	return d, nil
}

// Calibration returns the calibration read from the chip.
func (d *Dev) Calibration() Calibration { return d.cal }

// Sense reads the latest sample into r. It does not wait for a new one: at
// 12.5 Hz a sample is never older than 80 ms. It allocates nothing.
func (d *Dev) Sense(r *Reading) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halted {
		return ErrHalted
	}
	d.w[0] = regHOut | autoInc
	if err := d.c.Tx(d.w[:1], d.r[:]); err != nil {
		return busErr("reading H_OUT/T_OUT", err)
	}
	h := int16(binary.LittleEndian.Uint16(d.r[0:]))
	t := int16(binary.LittleEndian.Uint16(d.r[2:]))
	d.cal.Convert(h, t, r)
	return nil
}

// String implements conn.Resource.
func (d *Dev) String() string { return fmt.Sprintf("HTS221{%s}", &d.c) }

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

func busErr(what string, err error) error { return i2cchip.BusErr("hts221", what, err) }
