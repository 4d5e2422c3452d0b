package iio

import (
	"fmt"

	"periph.io/x/conn/v3"

	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/lps25h"
)

// LPS25HDev reads an LPS25H held by the kernel's st_pressure driver,
// offering the same Sense as the I2C driver in package lps25h.
type LPS25HDev struct {
	d       *Device
	rateErr error
}

var _ conn.Resource = (*LPS25HDev)(nil)

// NewLPS25H finds the LPS25H's IIO device under the sysfs root root and
// reads it once, so a channel the driver lacks fails here and not at the
// first poll.
func NewLPS25H(root string) (*LPS25HDev, error) {
	d, err := Find(root, NameLPS25H)
	if err != nil {
		return nil, err
	}
	l := &LPS25HDev{d: d, rateErr: rateErr(d)}
	var r lps25h.Reading
	if err := l.Sense(&r); err != nil {
		d.Close()
		return nil, err
	}
	return l, nil
}

// Sense reads pressure (st_pressure's kPa, converted to hPa) and
// temperature (m°C, converted to °C) into r. It allocates nothing.
func (l *LPS25HDev) Sense(r *lps25h.Reading) error {
	kPa, err := l.d.Read("pressure")
	if err != nil {
		return err
	}
	mC, err := l.d.Read("temp")
	if err != nil {
		return err
	}
	r.PressureHPa = kPa * 10
	r.TemperatureC = mC / 1000
	return nil
}

// RateErr says why the device was left at a slow sampling rate (see
// Device.SetFastest), or nil.
func (l *LPS25HDev) RateErr() error { return l.rateErr }

// String implements conn.Resource.
func (l *LPS25HDev) String() string { return fmt.Sprintf("LPS25H{iio %s}", l.d.Dir) }

// Halt implements conn.Resource. The kernel driver powers the chip between
// reads on its own; Halt closes the open sysfs files.
func (l *LPS25HDev) Halt() error { return l.d.Close() }

// HTS221Dev reads an HTS221 held by the kernel's hts221 driver, offering the
// same Sense as the I2C driver in package hts221.
type HTS221Dev struct {
	d       *Device
	rateErr error
}

var _ conn.Resource = (*HTS221Dev)(nil)

// NewHTS221 finds the HTS221's IIO device under the sysfs root root and
// reads it once.
func NewHTS221(root string) (*HTS221Dev, error) {
	d, err := Find(root, NameHTS221)
	if err != nil {
		return nil, err
	}
	h := &HTS221Dev{d: d, rateErr: rateErr(d)}
	var r hts221.Reading
	if err := h.Sense(&r); err != nil {
		d.Close()
		return nil, err
	}
	return h, nil
}

// Sense reads temperature and relative humidity into r, humidity clamped
// to 0..100 as the datasheet's interpolation asks. Unlike the IIO ABI's
// milli-units, the hts221 driver's (raw + offset) × scale is already °C
// and %RH: its scale is slope/(2^6·1000) and slope/(2^4·1000) with the
// slope in thousandths (hts221_get_sensor_scale). It allocates nothing.
func (h *HTS221Dev) Sense(r *hts221.Reading) error {
	c, err := h.d.Read("temp")
	if err != nil {
		return err
	}
	pct, err := h.d.Read("humidityrelative")
	if err != nil {
		return err
	}
	r.TemperatureC = c
	r.HumidityPct = min(max(pct, 0), 100)
	return nil
}

// RateErr says why the device was left at a slow sampling rate, or nil.
func (h *HTS221Dev) RateErr() error { return h.rateErr }

// String implements conn.Resource.
func (h *HTS221Dev) String() string { return fmt.Sprintf("HTS221{iio %s}", h.d.Dir) }

// Halt implements conn.Resource: it closes the open sysfs files.
func (h *HTS221Dev) Halt() error { return h.d.Close() }
