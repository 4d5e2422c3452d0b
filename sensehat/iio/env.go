package iio

import (
	"fmt"

	"periph.io/x/conn/v3"

	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/lps25h"
)

// LPS25HDev reads an LPS25H held by the kernel's st_pressure driver,
// offering the same Sense as the I2C driver in package lps25h.
type LPS25HDev struct{ chip }

var _ conn.Resource = (*LPS25HDev)(nil)

// NewLPS25H finds the LPS25H's IIO device under the sysfs root root and
// reads it once, so a channel the driver lacks fails here and not at the
// first poll.
func NewLPS25H(root string) (*LPS25HDev, error) {
	c, err := findChip(root, NameLPS25H)
	if err != nil {
		return nil, err
	}
	return readOnce[lps25h.Reading](&LPS25HDev{c})
}

// Sense reads pressure (st_pressure's kPa, converted to hPa) and
// temperature (m°C, converted to °C) into r. It allocates nothing.
func (l *LPS25HDev) Sense(r *lps25h.Reading) error {
	kPa, mC, err := l.readPair("pressure", "temp")
	if err != nil {
		return err
	}
	r.PressureHPa = kPa * 10
	r.TemperatureC = mC / 1000
	return nil
}

// String implements conn.Resource.
func (l *LPS25HDev) String() string { return fmt.Sprintf("LPS25H{iio %s}", l.d.Dir) }

// HTS221Dev reads an HTS221 held by the kernel's hts221 driver, offering the
// same Sense as the I2C driver in package hts221.
type HTS221Dev struct{ chip }

var _ conn.Resource = (*HTS221Dev)(nil)

// NewHTS221 finds the HTS221's IIO device under the sysfs root root and
// reads it once.
func NewHTS221(root string) (*HTS221Dev, error) {
	c, err := findChip(root, NameHTS221)
	if err != nil {
		return nil, err
	}
	return readOnce[hts221.Reading](&HTS221Dev{c})
}

// Sense reads temperature and relative humidity into r, humidity clamped
// to 0..100 as the datasheet's interpolation asks. Unlike the IIO ABI's
// milli-units, the hts221 driver's (raw + offset) × scale is already °C
// and %RH: its scale is slope/(2^6·1000) and slope/(2^4·1000) with the
// slope in thousandths (hts221_get_sensor_scale). It allocates nothing.
func (h *HTS221Dev) Sense(r *hts221.Reading) error {
	c, pct, err := h.readPair("temp", "humidityrelative")
	if err != nil {
		return err
	}
	r.TemperatureC = c
	r.HumidityPct = min(max(pct, 0), 100)
	return nil
}

// String implements conn.Resource.
func (h *HTS221Dev) String() string { return fmt.Sprintf("HTS221{iio %s}", h.d.Dir) }

// chip is what the readers of one IIO device share: the device, and why
// it was left at a slow sampling rate.
type chip struct {
	d       *Device
	rateErr error
}

// findChip finds the IIO device called name under the sysfs root root and
// asks it for its fastest rate.
func findChip(root, name string) (chip, error) {
	d, err := Find(root, name)
	if err != nil {
		return chip{}, err
	}
	return chip{d: d, rateErr: rateErr(d)}, nil
}

// readPair reads the channels a and b, the two an environment chip has.
func (c *chip) readPair(a, b string) (va, vb float64, err error) {
	if va, err = c.d.Read(a); err != nil {
		return 0, 0, err
	}
	if vb, err = c.d.Read(b); err != nil {
		return 0, 0, err
	}
	return va, vb, nil
}

// RateErr says why the device was left at a slow sampling rate (see
// Device.SetFastest), or nil.
func (c *chip) RateErr() error { return c.rateErr }

// Halt implements conn.Resource. The kernel driver powers the chip between
// reads on its own; Halt closes the open sysfs files.
func (c *chip) Halt() error { return c.d.Close() }

// readOnce reads d once, so a channel the driver lacks fails when d is
// opened and not at the first poll; on error it halts d.
func readOnce[R any, D interface {
	Sense(*R) error
	Halt() error
}](d D) (D, error) {
	var r R
	if err := d.Sense(&r); err != nil {
		d.Halt()
		var none D
		return none, err
	}
	return d, nil
}
