package orientation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
)

// Thresholds for a calibration to be trusted. Turning the board through
// every direction sweeps each axis over twice the Earth's field, at least
// 50 µT anywhere on Earth; a smaller spread means the board was not turned
// enough for the centre of the box to mean anything.
const (
	MinCalibrationSamples = 20
	MinCalibrationSpread  = 20.0 // µT on every axis
)

// Calibration is a hard-iron calibration: the box (Min, Max, µT per board
// axis) that the magnetometer's readings filled while the board was turned
// through every direction, and how many readings went into it. The zero
// value is "not calibrated".
type Calibration struct {
	Min     [3]float64 `json:"min"`
	Max     [3]float64 `json:"max"`
	Samples int        `json:"samples"`
}

// calibrationAxes names, in the saved file, the axes Min and Max are in:
// python-sense-hat's. Files from before it was written hold the
// magnetometer in the earlier board frame, whose every axis is the
// opposite of these; LoadCalibration turns them round.
const calibrationAxes = "python-sense-hat"

// calibrationFile is the JSON a calibration is saved as.
type calibrationFile struct {
	Axes string `json:"axes,omitempty"`
	Calibration
}

// Observe widens the box to include reading m.
func (c *Calibration) Observe(m [3]float64) {
	if c.Samples == 0 {
		c.Min, c.Max = m, m
	}
	for i, v := range m {
		c.Min[i] = math.Min(c.Min[i], v)
		c.Max[i] = math.Max(c.Max[i], v)
	}
	c.Samples++
}

// Offset is the hard-iron offset: the centre of the box.
func (c *Calibration) Offset() [3]float64 {
	var o [3]float64
	for i := range o {
		o[i] = (c.Min[i] + c.Max[i]) / 2
	}
	return o
}

// Valid reports whether the calibration has seen enough readings spread
// wide enough on every axis (MinCalibrationSamples, MinCalibrationSpread).
func (c *Calibration) Valid() bool {
	if c.Samples < MinCalibrationSamples {
		return false
	}
	for i := range c.Min {
		if !(c.Max[i]-c.Min[i] >= MinCalibrationSpread) { // NaN fails too
			return false
		}
	}
	return true
}

// Apply subtracts the offset from m in place. An invalid calibration
// leaves m alone: half a turn's box would move the field somewhere worse.
func (c *Calibration) Apply(m *[3]float64) {
	if !c.Valid() {
		return
	}
	for i := range m {
		m[i] -= (c.Min[i] + c.Max[i]) / 2
	}
}

// Save writes the calibration to path as JSON, atomically: a temporary
// file in the same directory, synced, then renamed over path, so a power
// cut leaves either the old calibration or the new one.
func (c *Calibration) Save(path string) (err error) {
	data, err := json.MarshalIndent(calibrationFile{Axes: calibrationAxes, Calibration: *c}, "", "  ")
	if err != nil {
		return fmt.Errorf("orientation: encoding calibration: %w", err)
	}
	data = append(data, '\n')
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("orientation: saving calibration: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("orientation: saving calibration: %w", err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("orientation: saving calibration: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("orientation: saving calibration: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("orientation: saving calibration: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("orientation: saving calibration: %w", err)
	}
	// Make the rename itself durable; not every file system allows
	// syncing a directory, and the data is safe either way.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// LoadCalibration reads a calibration written by Save. A missing file is
// not an error: it returns the zero Calibration (not Valid), as on a board
// never calibrated. A file without "axes" comes from a version that kept
// the field with every axis reversed: its box is turned round.
func LoadCalibration(path string) (Calibration, error) {
	var f calibrationFile
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Calibration{}, nil
	}
	if err != nil {
		return Calibration{}, fmt.Errorf("orientation: loading calibration: %w", err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return Calibration{}, fmt.Errorf("orientation: calibration %s is corrupt (%w); delete it and calibrate again", path, err)
	}
	c := f.Calibration
	switch f.Axes {
	case calibrationAxes:
	case "":
		c.Min, c.Max = c.Max, c.Min
		for i := range c.Min {
			c.Min[i], c.Max[i] = -c.Min[i], -c.Max[i]
		}
	default:
		return Calibration{}, fmt.Errorf("orientation: calibration %s is for axes %q, not %q; delete it and calibrate again", path, f.Axes, calibrationAxes)
	}
	if c.Samples < 0 {
		return Calibration{}, fmt.Errorf("orientation: calibration %s has %d samples; delete it and calibrate again", path, c.Samples)
	}
	for i := range c.Min {
		if c.Samples > 0 && !(c.Min[i] <= c.Max[i]) {
			return Calibration{}, fmt.Errorf("orientation: calibration %s has min %g > max %g on axis %d; delete it and calibrate again", path, c.Min[i], c.Max[i], i)
		}
	}
	return c, nil
}
