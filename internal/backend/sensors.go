package backend

import (
	"errors"
	"path/filepath"
	"strconv"

	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/internal/sensors"
	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/iio"
	"github.com/sensehat/sensehat/sensehat/lps25h"
	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
)

// chipOpener opens one chip over I2C; sysfsRoot "" skips the kernel check.
type chipOpener struct {
	name string
	i2c  func(b i2c.Bus, bus int, sysfsRoot string, s *sensors.Set) error
	// iio opens the chip through the kernel's IIO driver; nil when the
	// kernel has none for it.
	iio func(root string, s *sensors.Set) error
}

var chips = []chipOpener{
	{
		name: "hts221",
		i2c: func(b i2c.Bus, n int, root string, s *sensors.Set) error {
			d, err := hts221.New(b, &hts221.Opts{Bus: n, SysfsRoot: root})
			if err == nil {
				s.HTS221 = d
			}
			return err
		},
		iio: func(root string, s *sensors.Set) error {
			d, err := iio.NewHTS221(root)
			if err == nil {
				s.HTS221 = d
			}
			return err
		},
	},
	{
		name: "lps25h",
		i2c: func(b i2c.Bus, n int, root string, s *sensors.Set) error {
			d, err := lps25h.New(b, &lps25h.Opts{Bus: n, SysfsRoot: root})
			if err == nil {
				s.LPS25H = d
			}
			return err
		},
		iio: func(root string, s *sensors.Set) error {
			d, err := iio.NewLPS25H(root)
			if err == nil {
				s.LPS25H = d
			}
			return err
		},
	},
	{
		name: "lsm9ds1",
		i2c: func(b i2c.Bus, n int, root string, s *sensors.Set) error {
			d, err := lsm9ds1.NewAccelGyro(b, &lsm9ds1.Opts{Bus: n, SysfsRoot: root})
			if err == nil {
				s.AccelGyro = d
			}
			return err
		},
		iio: func(root string, s *sensors.Set) error {
			d, err := iio.NewLSM9DS1(root)
			if err == nil {
				s.AccelGyro = d
			}
			return err
		},
	},
	{
		name: "lsm9ds1_mag",
		i2c: func(b i2c.Bus, n int, root string, s *sensors.Set) error {
			d, err := lsm9ds1.NewMag(b, &lsm9ds1.MagOpts{Bus: n, SysfsRoot: root})
			if err == nil {
				s.Mag = d
			}
			return err
		},
		iio: func(root string, s *sensors.Set) error {
			d, err := iio.NewLSM9DS1Mag(root)
			if err == nil {
				s.Mag = d
			}
			return err
		},
	},
}

// isKernelHeld reports whether err says a kernel driver owns the chip.
func isKernelHeld(err error) bool {
	return errors.Is(err, hts221.ErrKernelDriver) || errors.Is(err, lps25h.ErrKernelDriver) || errors.Is(err, lsm9ds1.ErrKernelDriver)
}

func (h *Hardware) openSensors(r Request) error {
	b := r.Sensors
	set := &sensors.Set{Missing: map[string]string{}}
	switch b.Kind {
	case "none":
		h.SensorsName = "none"
		return nil
	case "sim":
		if r.HAT == nil {
			return errors.New("backend: --sensors sim needs a simulated HAT")
		}
		for _, c := range chips {
			if err := c.i2c(r.HAT.Bus, 1, "", set); err != nil {
				set.Missing[c.name] = err.Error()
			}
		}
		h.openColour(r, r.HAT.Bus, 1, "", set)
		h.SensorsName = "sim"
	case "iio":
		for _, c := range chips {
			if err := c.iio(r.SysfsRoot, set); err != nil {
				set.Missing[c.name] = err.Error()
			}
		}
		set.Missing[sensors.ColourChip] = colourNotInIIO
		set.CPUTempPath = filepath.Join(r.SysfsRoot, "class/thermal/thermal_zone0/temp")
		h.SensorsName = "iio"
	case "i2c", "auto":
		n := b.Bus()
		bus, err := h.bus(n)
		if err != nil {
			if b.Kind == "i2c" {
				return err
			}
			r.Log.Warn("no I2C bus for the sensors; trying IIO only", "err", err)
		}
		for _, c := range chips {
			var err error
			if bus != nil {
				err = c.i2c(bus, n, r.SysfsRoot, set)
			}
			// The kernel owns the chip: read it where the kernel publishes it.
			if (bus == nil || isKernelHeld(err)) && b.Kind == "auto" {
				err = c.iio(r.SysfsRoot, set)
			}
			if err != nil {
				set.Missing[c.name] = err.Error()
				r.Log.Warn("sensor unavailable", "chip", c.name, "err", err)
			}
		}
		if bus != nil {
			h.openColour(r, bus, n, r.SysfsRoot, set)
		} else {
			set.Missing[sensors.ColourChip] = "no I2C bus to look for a colour sensor on"
		}
		set.CPUTempPath = filepath.Join(r.SysfsRoot, "class/thermal/thermal_zone0/temp")
		h.SensorsName = b.Kind + ":" + strconv.Itoa(n)
	default:
		return errors.New("backend: unknown sensors backend " + strconv.Quote(b.Kind))
	}
	h.Sensors = set
	return nil
}
