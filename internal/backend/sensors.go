package backend

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/sensors"
	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/iio"
	"github.com/sensehat/sensehat/sensehat/lps25h"
	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
	"github.com/sensehat/sensehat/sensehat/sysfs"
	"github.com/sensehat/sensehat/sensehat/thermal"
)

// kernelCheck says where a chip opener looks for a kernel driver bound to
// the chip: the sysfs tree at root ("" means /sys, as in the drivers), or
// nowhere when skip is set, for a simulated bus, which has no kernel.
type kernelCheck struct {
	root string
	skip bool
}

// simulated is the kernel check of a simulated bus: none.
var simulated = kernelCheck{skip: true}

// chipOpener opens one chip over I2C or through IIO.
type chipOpener struct {
	name string
	// addr is the chip's address on the Sense HAT's bus; iioNames the IIO
	// devices its kernel driver makes, for the message when they are
	// missing.
	addr     uint16
	iioNames string
	i2c      func(b i2c.Bus, bus int, kc kernelCheck, s *sensors.Set) error
	// iio opens the chip through the kernel's IIO driver and returns the
	// device, for its RateErr.
	iio func(root string, s *sensors.Set) (slowRate, error)
}

var chips = []chipOpener{
	{
		name: "hts221", addr: hts221.Addr, iioNames: iio.NameHTS221,
		i2c: func(b i2c.Bus, n int, kc kernelCheck, s *sensors.Set) error {
			return into(&s.HTS221)(hts221.New(b, &hts221.Opts{Bus: n, SysfsRoot: kc.root, SkipKernelCheck: kc.skip}))
		},
		iio: viaIIO(iio.NewHTS221, func(s *sensors.Set, d *iio.HTS221Dev) { s.HTS221 = d }),
	},
	{
		name: "lps25h", addr: lps25h.Addr, iioNames: iio.NameLPS25H,
		i2c: func(b i2c.Bus, n int, kc kernelCheck, s *sensors.Set) error {
			return into(&s.LPS25H)(lps25h.New(b, &lps25h.Opts{Bus: n, SysfsRoot: kc.root, SkipKernelCheck: kc.skip}))
		},
		iio: viaIIO(iio.NewLPS25H, func(s *sensors.Set, d *iio.LPS25HDev) { s.LPS25H = d }),
	},
	{
		name: "lsm9ds1", addr: lsm9ds1.AccelGyroAddr, iioNames: iio.NameLSM9DS1Accel + " and " + iio.NameLSM9DS1Gyro,
		i2c: func(b i2c.Bus, n int, kc kernelCheck, s *sensors.Set) error {
			return into(&s.AccelGyro)(lsm9ds1.NewAccelGyro(b, &lsm9ds1.Opts{Bus: n, SysfsRoot: kc.root, SkipKernelCheck: kc.skip}))
		},
		iio: viaIIO(iio.NewLSM9DS1, func(s *sensors.Set, d *iio.LSM9DS1Dev) { s.AccelGyro = d }),
	},
	{
		name: "lsm9ds1_mag", addr: lsm9ds1.MagAddr, iioNames: iio.NameLSM9DS1Magn,
		i2c: func(b i2c.Bus, n int, kc kernelCheck, s *sensors.Set) error {
			return into(&s.Mag)(lsm9ds1.NewMag(b, &lsm9ds1.MagOpts{Bus: n, SysfsRoot: kc.root, SkipKernelCheck: kc.skip}))
		},
		iio: viaIIO(iio.NewLSM9DS1Mag, func(s *sensors.Set, d *iio.LSM9DS1MagDev) { s.Mag = d }),
	},
}

// into returns what keeps a chip that opened in *slot: a chip that failed
// leaves its slot nil.
func into[I any](slot *I) func(I, error) error {
	return func(d I, err error) error {
		if err == nil {
			*slot = d
		}
		return err
	}
}

// viaIIO is a chipOpener's iio: open the device under the sysfs root and
// put it in its slot of the set.
func viaIIO[D slowRate](open func(root string) (D, error), put func(*sensors.Set, D)) func(string, *sensors.Set) (slowRate, error) {
	return func(root string, s *sensors.Set) (slowRate, error) {
		d, err := open(root)
		if err != nil {
			return nil, err
		}
		put(s, d)
		return d, nil
	}
}

// slowRate is an IIO device that may have been left at its driver's slow
// sampling rate.
type slowRate interface{ RateErr() error }

// openIIO opens chip c through IIO and warns when its reads will be slow.
func openIIO(r Request, c chipOpener, set *sensors.Set) error {
	d, err := c.iio(r.SysfsRoot, set)
	if err != nil {
		return err
	}
	if rerr := d.RateErr(); rerr != nil {
		r.Log.Warn("sensor reads through IIO will be slow", "chip", c.name, "err", rerr)
	}
	return nil
}

// heldWithoutIIO explains a chip that a kernel driver holds, so sensehatd
// must not talk to it over I2C, but whose IIO device is not there either:
// the driver is bound but no IIO device has the name this kernel's drivers
// use (another driver took the chip, or its IIO device failed to register).
func heldWithoutIIO(root string, bus int, c chipOpener, iioErr error) error {
	dev := fmt.Sprintf("%d-%04x", bus, c.addr)
	drv, _ := sysfs.I2CDriver(root, bus, c.addr)
	if drv == "" {
		drv = "a kernel driver"
	} else {
		drv = strconv.Quote(drv)
	}
	return fmt.Errorf("backend: %s: %s is bound to %s, so I2C is off limits, but it made no IIO device named %s (%w); "+
		"either load the IIO driver for the chip (hts221, st_pressure, st_lsm6dsx, st_magn), or release the chip "+
		"for I2C: echo %s | sudo tee %s/bus/i2c/devices/%s/driver/unbind (until the next boot)",
		c.name, drv, dev, c.iioNames, iioErr, dev, root, dev)
}

// isKernelHeld reports whether err says a kernel driver owns the chip.
func isKernelHeld(err error) bool {
	return errors.Is(err, hts221.ErrKernelDriver) || errors.Is(err, lps25h.ErrKernelDriver) || errors.Is(err, lsm9ds1.ErrKernelDriver)
}

func (h *Hardware) openSensors(r Request) error {
	b := r.Sensors
	set := &sensors.Set{Missing: map[string]string{}}
	switch b.Kind {
	case config.KindNone:
		h.SensorsName = "none"
		return nil
	case config.KindSim:
		if r.HAT == nil {
			return errors.New("backend: --sensors sim needs a simulated HAT")
		}
		for _, c := range chips {
			if err := c.i2c(r.HAT.Bus, 1, simulated, set); err != nil {
				set.Missing[c.name] = err.Error()
			}
		}
		h.openColour(r, r.HAT.Bus, 1, simulated, set)
		h.SensorsName = "sim"
	case config.KindIIO:
		for _, c := range chips {
			if err := openIIO(r, c, set); err != nil {
				set.Missing[c.name] = err.Error()
			}
		}
		set.Missing[sensors.ColourChip] = colourNotInIIO
		set.CPUTempPath = filepath.Join(r.SysfsRoot, thermal.Zone0)
		h.SensorsName = "iio"
	case "i2c", "auto":
		n := b.Bus()
		bus, err := h.bus(n)
		if err != nil {
			if b.Kind == config.KindI2C {
				return err
			}
			r.Log.Warn("no I2C bus for the sensors; trying IIO only", "err", err)
		}
		for _, c := range chips {
			var err error
			if bus != nil {
				err = c.i2c(bus, n, kernelCheck{root: r.SysfsRoot}, set)
			}
			// The kernel owns the chip: read it where the kernel publishes it.
			if (bus == nil || isKernelHeld(err)) && b.Kind == config.KindAuto {
				held := bus != nil
				if err = openIIO(r, c, set); err != nil && held {
					err = heldWithoutIIO(r.SysfsRoot, n, c, err)
				}
			}
			if err != nil {
				set.Missing[c.name] = err.Error()
				r.Log.Warn("sensor unavailable", "chip", c.name, "err", err)
			}
		}
		if bus != nil {
			h.openColour(r, bus, n, kernelCheck{root: r.SysfsRoot}, set)
		} else {
			set.Missing[sensors.ColourChip] = "no I2C bus to look for a colour sensor on"
		}
		set.CPUTempPath = filepath.Join(r.SysfsRoot, thermal.Zone0)
		h.SensorsName = string(b.Kind) + ":" + strconv.Itoa(n)
	default:
		return errors.New("backend: unknown sensors backend " + strconv.Quote(string(b.Kind)))
	}
	h.closers = append(h.closers, haltChips(set))
	h.Sensors = set
	return nil
}

// haltChips returns the closer of the environment and motion chips (the
// colour sensor has its own, from openColour): over I2C it powers them
// down, which they otherwise are not (they go on sampling after the daemon
// stops); through IIO it closes their files.
func haltChips(set *sensors.Set) func() error {
	return func() error {
		var errs []error
		for _, c := range []any{set.HTS221, set.LPS25H, set.AccelGyro, set.Mag} {
			if d, ok := c.(interface{ Halt() error }); ok {
				errs = append(errs, d.Halt())
			}
		}
		return errors.Join(errs...)
	}
}
