package lsm9ds1

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/sensehat/internal/i2cchip"
	"github.com/sensehat/sensehat/sensehat/sysfs"
)

// I2C addresses of the two halves of the LSM9DS1 on the Sense HAT (SDO
// pins pulled high).
const (
	AccelGyroAddr = 0x6A
	MagAddr       = 0x1C
)

// Accel/gyro registers.
const (
	regWhoAmI   = 0x0F
	regCtrl1G   = 0x10
	regStatus   = 0x17 // STATUS_REG: bit 0 XLDA, bit 1 GDA; OUT_X_G follows
	regCtrl6XL  = 0x20
	regCtrl8    = 0x22
	regOutXXL   = 0x28
	whoAmIAG    = 0x68
	ctrl8       = 0x44 // BDU | IF_ADD_INC
	ctrl8Reset  = 0x05 // SW_RESET | IF_ADD_INC (its reset value)
	ctrl8Boot   = 0x80 // BOOT, as RTIMULib writes it
	dataReady   = 0x03 // XLDA | GDA
	odr119Hz    = 0x03 << 5
	fsShift     = 3
	agPowerDown = 0x00
)

// BootWait is how long the constructors wait after rebooting a chip
// before configuring it: RTIMULib's RTIMULSM9DS1::IMUInit waits 100 ms
// after BOOT.
const BootWait = 100 * time.Millisecond

// Magnetometer registers.
const (
	regCtrl1M   = 0x20
	regCtrl2M   = 0x21
	regCtrl3M   = 0x22
	regOutXM    = 0x28
	autoInc     = 0x80
	whoAmIMag   = 0x3D
	ctrl1M20Hz  = 0x14 // XY low-power, 20 Hz, no temperature compensation
	ctrl2MReset = 0x0C // REBOOT | SOFT_RST
	ctrl3MCont  = 0x00
	ctrl3MDown  = 0x03
	mFSShift    = 5
	microTPerMG = 0.1 // µT per mgauss
)

// ErrKernelDriver is wrapped by the constructors' error when a kernel
// driver (typically st_lsm9ds1 / st_magn, the IIO drivers) is bound to the
// chip: using it over i2c-dev at the same time would race the kernel.
var ErrKernelDriver = errors.New("lsm9ds1: chip held by a kernel driver")

// ErrHalted is returned by Sense after Halt has powered the chip down.
var ErrHalted = errors.New("lsm9ds1: device halted")

// ErrNotReady is wrapped by AccelGyro.Sense when STATUS_REG shows neither
// a new accel nor a new gyro sample, as RTIMULib skips such a read: the
// outputs are powered down, typically because another program reset or
// reconfigured the chip.
var ErrNotReady = errors.New("lsm9ds1: no new sample")

// AccelRange is the accelerometer's full scale in g.
type AccelRange uint8

// Accelerometer full scales.
const (
	Accel2G  AccelRange = 2
	Accel4G  AccelRange = 4
	Accel8G  AccelRange = 8
	Accel16G AccelRange = 16
)

// fsBits returns FS_XL, which the chip encodes out of order (00 ±2 g,
// 01 ±16 g, 10 ±4 g, 11 ±8 g), and the sensitivity in g per LSB.
func (r AccelRange) fsBits() (byte, float64, bool) {
	switch r {
	case Accel2G:
		return 0, 0.061e-3, true
	case Accel4G:
		return 2, 0.122e-3, true
	case Accel8G:
		return 3, 0.244e-3, true
	case Accel16G:
		return 1, 0.732e-3, true
	}
	return 0, 0, false
}

// GyroRange is the gyroscope's full scale in degrees per second.
type GyroRange uint16

// Gyroscope full scales.
const (
	Gyro245DPS  GyroRange = 245
	Gyro500DPS  GyroRange = 500
	Gyro2000DPS GyroRange = 2000
)

// fsBits returns FS_G (10 is not available on the chip) and the
// sensitivity in dps per LSB.
func (r GyroRange) fsBits() (byte, float64, bool) {
	switch r {
	case Gyro245DPS:
		return 0, 8.75e-3, true
	case Gyro500DPS:
		return 1, 17.5e-3, true
	case Gyro2000DPS:
		return 3, 70e-3, true
	}
	return 0, 0, false
}

// MagRange is the magnetometer's full scale in gauss (1 gauss = 100 µT).
type MagRange uint8

// Magnetometer full scales.
const (
	Mag4Gauss  MagRange = 4
	Mag8Gauss  MagRange = 8
	Mag12Gauss MagRange = 12
	Mag16Gauss MagRange = 16
)

// fsBits returns FS of CTRL_REG2_M and the sensitivity in µT per LSB.
func (r MagRange) fsBits() (byte, float64, bool) {
	switch r {
	case Mag4Gauss:
		return 0, 0.14 * microTPerMG, true
	case Mag8Gauss:
		return 1, 0.29 * microTPerMG, true
	case Mag12Gauss:
		return 2, 0.43 * microTPerMG, true
	case Mag16Gauss:
		return 3, 0.58 * microTPerMG, true
	}
	return 0, 0, false
}

// Opts configures NewAccelGyro.
type Opts struct {
	// Accel is the accelerometer full scale; 0 means Accel8G.
	Accel AccelRange
	// Gyro is the gyroscope full scale; 0 means Gyro500DPS.
	Gyro GyroRange
	// Addr is the chip's address; 0 means AccelGyroAddr.
	Addr uint16
	// SysfsRoot is where sysfs is mounted, to find a kernel driver bound to
	// the chip; "" means /sys.
	SysfsRoot string
	// SkipKernelCheck claims the chip even if a kernel driver is bound to
	// it: for simulated buses, which have no sysfs entry of their own.
	SkipKernelCheck bool
	// Bus is the I2C bus number the chip is on, for the kernel check.
	Bus int
	// Sleep waits BootWait after the reboot; nil means time.Sleep.
	// Tests inject their own.
	Sleep func(time.Duration)
}

// DefaultOpts is what RTIMULib uses on the Sense HAT, both outputs at
// 119 Hz: ±8 g and ±500 dps, on bus 1 with the kernel driver check.
var DefaultOpts = Opts{Accel: Accel8G, Gyro: Gyro500DPS, Addr: AccelGyroAddr, SysfsRoot: sysfs.Root, Bus: 1}

// MagOpts configures NewMag.
type MagOpts struct {
	// Range is the full scale; 0 means Mag4Gauss, plenty for the Earth's
	// field (at most 0.65 gauss) plus the board's own.
	Range MagRange
	// Addr is the chip's address; 0 means MagAddr.
	Addr uint16
	// SysfsRoot is where sysfs is mounted; "" means /sys.
	SysfsRoot string
	// SkipKernelCheck claims the chip even if a kernel driver is bound to
	// it: for simulated buses, which have no sysfs entry of their own.
	SkipKernelCheck bool
	// Bus is the I2C bus number the chip is on, for the kernel check.
	Bus int
	// Sleep waits BootWait after the reset; nil means time.Sleep.
	Sleep func(time.Duration)
}

// DefaultMagOpts is 20 Hz continuous at ±4 gauss on bus 1, with the kernel
// driver check.
var DefaultMagOpts = MagOpts{Range: Mag4Gauss, Addr: MagAddr, SysfsRoot: sysfs.Root, Bus: 1}

// Motion is one accel/gyro sample in the axes and signs python-sense-hat
// reports (see the package documentation): lying flat face up, Accel is
// about (0, 0, +1).
type Motion struct {
	Accel [3]float64 // g, as python-sense-hat's accelerometer_raw
	Gyro  [3]float64 // degrees per second; python-sense-hat's gyroscope_raw is the same in rad/s
}

// AccelGyro is the LSM9DS1 accelerometer and gyroscope. It is safe for
// concurrent use.
type AccelGyro struct {
	mu        sync.Mutex
	c         i2c.Dev
	accelSens float64
	gyroSens  float64
	halted    bool
	w         [2]byte
	r         [7]byte
}

var _ conn.Resource = (*AccelGyro)(nil)

// NewAccelGyro checks the chip at opts.Addr is an LSM9DS1 accel/gyro that
// no kernel driver holds, resets and reboots it (so nothing another
// program configured survives: byte order, disabled axes, FIFO modes),
// waits BootWait, and starts both outputs at 119 Hz with the ranges of
// opts (nil means DefaultOpts). The bus stays the caller's.
func NewAccelGyro(b i2c.Bus, opts *Opts) (*AccelGyro, error) {
	if opts == nil {
		opts = &DefaultOpts
	}
	ar, gr := opts.Accel, opts.Gyro
	if ar == 0 {
		ar = Accel8G
	}
	if gr == 0 {
		gr = Gyro500DPS
	}
	afs, asens, ok := ar.fsBits()
	if !ok {
		return nil, fmt.Errorf("lsm9ds1: accel range %d g not supported; use 2, 4, 8 or 16", ar)
	}
	gfs, gsens, ok := gr.fsBits()
	if !ok {
		return nil, fmt.Errorf("lsm9ds1: gyro range %d dps not supported; use 245, 500 or 2000", gr)
	}
	c, err := agChip.Open(b, opts.Addr, opts.Bus, opts.SysfsRoot, opts.SkipKernelCheck)
	if err != nil {
		return nil, err
	}
	d := &AccelGyro{c: c, accelSens: asens, gyroSens: gsens}
	// SW_RESET takes effect at the next flash boot, which BOOT starts
	// (datasheet CTRL_REG8); RTIMULib writes BOOT alone.
	if err := d.c.Tx([]byte{regCtrl8, ctrl8Reset}, nil); err != nil {
		return nil, busErr("resetting (CTRL_REG8 SW_RESET)", err)
	}
	if err := d.c.Tx([]byte{regCtrl8, ctrl8Boot}, nil); err != nil {
		return nil, busErr("rebooting (CTRL_REG8 BOOT)", err)
	}
	sleep(opts.Sleep)(BootWait)
	// Set IF_ADD_INC explicitly (BOOT's write cleared it) and BDU, so
	// the two bytes of an output always come from the same sample.
	init := [...]struct {
		what     string
		reg, val byte
	}{
		{"writing CTRL_REG8", regCtrl8, ctrl8},
		{"configuring the gyroscope", regCtrl1G, odr119Hz | gfs<<fsShift},
		{"configuring the accelerometer", regCtrl6XL, odr119Hz | afs<<fsShift},
	}
	for _, s := range init {
		if err := d.c.Tx([]byte{s.reg, s.val}, nil); err != nil {
			return nil, busErr(s.what, err)
		}
	}
	return d, nil
}

// Sense reads the latest gyro and accel samples into m, in
// python-sense-hat's axes. Like RTIMULib it first reads STATUS_REG (in
// the same transaction as the gyro outputs that follow it) and fails with
// ErrNotReady when neither output has data. It does not wait for a new
// sample: at 119 Hz none is older than 8.4 ms. It allocates nothing.
func (d *AccelGyro) Sense(m *Motion) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halted {
		return ErrHalted
	}
	d.w[0] = regStatus
	if err := d.c.Tx(d.w[:1], d.r[:]); err != nil {
		return busErr("reading STATUS_REG and OUT_X_G", err)
	}
	if d.r[0]&dataReady == 0 {
		return fmt.Errorf("%w: STATUS_REG %#02x has neither XLDA nor GDA, so the outputs are powered down (did another program reset the chip? restarting reconfigures it)", ErrNotReady, d.r[0])
	}
	convert(&m.Gyro, d.r[1:], SensorGyro, d.gyroSens)
	d.w[0] = regOutXXL
	if err := d.c.Tx(d.w[:1], d.r[:6]); err != nil {
		return busErr("reading OUT_X_XL", err)
	}
	convert(&m.Accel, d.r[:6], SensorAccel, d.accelSens)
	return nil
}

// String implements conn.Resource.
func (d *AccelGyro) String() string { return fmt.Sprintf("LSM9DS1AccelGyro{%s}", &d.c) }

// Halt implements conn.Resource: it powers both outputs down (ODR 000).
// Sense fails with ErrHalted afterwards.
func (d *AccelGyro) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.w[0], d.w[1] = regCtrl1G, agPowerDown
	if err := d.c.Tx(d.w[:2], nil); err != nil {
		return busErr("powering the gyroscope down", err)
	}
	d.w[0], d.w[1] = regCtrl6XL, agPowerDown
	if err := d.c.Tx(d.w[:2], nil); err != nil {
		return busErr("powering the accelerometer down", err)
	}
	d.halted = true
	return nil
}

// Mag is the LSM9DS1 magnetometer. It is safe for concurrent use.
type Mag struct {
	mu     sync.Mutex
	c      i2c.Dev
	sens   float64
	halted bool
	w      [2]byte
	r      [6]byte
}

var _ conn.Resource = (*Mag)(nil)

// NewMag checks the chip at opts.Addr is an LSM9DS1 magnetometer that no
// kernel driver holds, resets it (CTRL_REG2_M REBOOT | SOFT_RST: offsets,
// byte order and modes another program left go back to their defaults),
// waits BootWait, and starts it at 20 Hz, continuous conversion, with the
// range of opts (nil means DefaultMagOpts). The bus stays the caller's.
func NewMag(b i2c.Bus, opts *MagOpts) (*Mag, error) {
	if opts == nil {
		opts = &DefaultMagOpts
	}
	r := opts.Range
	if r == 0 {
		r = Mag4Gauss
	}
	fsb, sens, ok := r.fsBits()
	if !ok {
		return nil, fmt.Errorf("lsm9ds1: magnetometer range %d gauss not supported; use 4, 8, 12 or 16", r)
	}
	c, err := magChip.Open(b, opts.Addr, opts.Bus, opts.SysfsRoot, opts.SkipKernelCheck)
	if err != nil {
		return nil, err
	}
	d := &Mag{c: c, sens: sens}
	if err := d.c.Tx([]byte{regCtrl2M, ctrl2MReset}, nil); err != nil {
		return nil, busErr("resetting the magnetometer (CTRL_REG2_M SOFT_RST)", err)
	}
	sleep(opts.Sleep)(BootWait)
	// CTRL_REG1_M, 2_M and 3_M in one auto-incremented write.
	if err := d.c.Tx([]byte{regCtrl1M | autoInc, ctrl1M20Hz, fsb << mFSShift, ctrl3MCont}, nil); err != nil {
		return nil, busErr("configuring the magnetometer", err)
	}
	return d, nil
}

// Sense reads the latest field into b, in µT in python-sense-hat's axes
// (its compass_raw, before RTIMULib's running average). No hard-iron
// correction is applied; see the orientation package's Calibration. It
// allocates nothing.
func (d *Mag) Sense(b *[3]float64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halted {
		return ErrHalted
	}
	d.w[0] = regOutXM | autoInc
	if err := d.c.Tx(d.w[:1], d.r[:]); err != nil {
		return busErr("reading OUT_X_L_M", err)
	}
	convert(b, d.r[:], SensorMag, d.sens)
	return nil
}

// String implements conn.Resource.
func (d *Mag) String() string { return fmt.Sprintf("LSM9DS1Mag{%s}", &d.c) }

// Halt implements conn.Resource: it puts the magnetometer in power-down
// (CTRL_REG3_M MD = 11). Sense fails with ErrHalted afterwards.
func (d *Mag) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.w[0], d.w[1] = regCtrl3M, ctrl3MDown
	if err := d.c.Tx(d.w[:2], nil); err != nil {
		return busErr("powering down", err)
	}
	d.halted = true
	return nil
}

// convert decodes three signed 16-bit little-endian values of sensor s
// into python-sense-hat's axes.
func convert(dst *[3]float64, raw []byte, s Sensor, sens float64) {
	for i := range dst {
		// Flipping in integers keeps a zero reading +0, not -0.
		dst[i] = float64(int32(int16(binary.LittleEndian.Uint16(raw[2*i:])))*chipSign[s][i]) * sens
	}
}

func sleep(f func(time.Duration)) func(time.Duration) {
	if f == nil {
		return time.Sleep
	}
	return f
}

// agChip and magChip are what NewAccelGyro and NewMag check before they
// write anything.
var (
	agChip = i2cchip.Chip{
		Pkg: "lsm9ds1", Name: "an LSM9DS1 accel/gyro", Addr: AccelGyroAddr,
		ErrKernel: ErrKernelDriver, Instead: "read it through IIO (package iio)",
		WhoAmIReg: regWhoAmI, WhoAmI: whoAmIAG,
	}
	magChip = i2cchip.Chip{
		Pkg: "lsm9ds1", Name: "an LSM9DS1 magnetometer", Addr: MagAddr,
		ErrKernel: ErrKernelDriver, Instead: "read it through IIO (package iio)",
		WhoAmIReg: regWhoAmI, WhoAmI: whoAmIMag,
	}
)

func busErr(what string, err error) error { return i2cchip.BusErr("lsm9ds1", what, err) }
