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
	d *Device
}

var _ conn.Resource = (*LPS25HDev)(nil)

// NewLPS25H finds the LPS25H's IIO device under the sysfs root root and
// reads it once, so a channel the driver lacks fails here and not at the
// first poll.
func NewLPS25H(root string) (*LPS25HDev, error) {
	d, err := Find(root, "lps25h")
	if err != nil {
		return nil, err
	}
	l := &LPS25HDev{d: d}
	var r lps25h.Reading
	if err := l.Sense(&r); err != nil {
		d.Close()
		return nil, err
	}
	return l, nil
}

// Sense reads pressure (the ABI's kPa, converted to hPa) and temperature
// (milli °C, converted to °C) into r. It allocates nothing.
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

// String implements conn.Resource.
func (l *LPS25HDev) String() string { return fmt.Sprintf("LPS25H{iio %s}", l.d.Dir) }

// Halt implements conn.Resource. The kernel driver powers the chip between
// reads on its own; Halt closes the open sysfs files.
func (l *LPS25HDev) Halt() error { return l.d.Close() }

// HTS221Dev reads an HTS221 held by the kernel's hts221 driver, offering the
// same Sense as the I2C driver in package hts221.
type HTS221Dev struct {
	d *Device
}

var _ conn.Resource = (*HTS221Dev)(nil)

// NewHTS221 finds the HTS221's IIO device under the sysfs root root and
// reads it once.
func NewHTS221(root string) (*HTS221Dev, error) {
	d, err := Find(root, "hts221")
	if err != nil {
		return nil, err
	}
	h := &HTS221Dev{d: d}
	var r hts221.Reading
	if err := h.Sense(&r); err != nil {
		d.Close()
		return nil, err
	}
	return h, nil
}

// Sense reads temperature (milli °C) and relative humidity (milli percent)
// into r, converted to °C and percent, humidity clamped to 0..100. It
// allocates nothing.
func (h *HTS221Dev) Sense(r *hts221.Reading) error {
	mC, err := h.d.Read("temp")
	if err != nil {
		return err
	}
	mPct, err := h.d.Read("humidityrelative")
	if err != nil {
		return err
	}
	r.TemperatureC = mC / 1000
	r.HumidityPct = min(max(mPct/1000, 0), 100)
	return nil
}

// String implements conn.Resource.
func (h *HTS221Dev) String() string { return fmt.Sprintf("HTS221{iio %s}", h.d.Dir) }

// Halt implements conn.Resource: it closes the open sysfs files.
func (h *HTS221Dev) Halt() error { return h.d.Close() }
