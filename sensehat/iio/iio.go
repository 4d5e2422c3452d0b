package iio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Device is one IIO device. It is safe for concurrent use.
type Device struct {
	// Name is the device's name, as in its "name" file.
	Name string
	// Dir is the device's sysfs directory.
	Dir string

	mu    sync.Mutex
	chans map[string]*channel
	buf   [64]byte
}

// channel is an opened channel: its value file and constant conversion.
type channel struct {
	f      *os.File
	offset float64
	scale  float64
}

// Find returns the IIO device named name under the sysfs root root. When
// several match, the lowest-numbered is returned.
func Find(root, name string) (*Device, error) {
	base := filepath.Join(root, "bus", "iio", "devices")
	dirs, err := filepath.Glob(filepath.Join(base, "iio:device*"))
	if err != nil {
		return nil, fmt.Errorf("iio: listing %s: %w", base, err)
	}
	best, bestN := "", -1
	for _, dir := range dirs {
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "iio:device"))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "name"))
		if err != nil || strings.TrimSpace(string(b)) != name {
			continue
		}
		if bestN < 0 || n < bestN {
			best, bestN = dir, n
		}
	}
	if best == "" {
		return nil, fmt.Errorf("iio: no device named %q in %s (is its kernel driver loaded?): %w", name, base, fs.ErrNotExist)
	}
	return Open(best)
}

// Open returns the IIO device in sysfs directory dir.
func Open(dir string) (*Device, error) {
	b, err := os.ReadFile(filepath.Join(dir, "name"))
	if err != nil {
		return nil, fmt.Errorf("iio: %w", err)
	}
	return &Device{Name: strings.TrimSpace(string(b)), Dir: dir, chans: map[string]*channel{}}, nil
}

// String returns the device name and directory.
func (d *Device) String() string { return fmt.Sprintf("%s (%s)", d.Name, d.Dir) }

// Read returns the current value of channel ch ("pressure", "temp",
// "accel_x", ...) in the IIO ABI's units. The first read of a channel opens
// its files; later reads allocate nothing.
func (d *Device) Read(ch string) (float64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.chans[ch]
	if c == nil {
		if d.chans == nil {
			d.chans = map[string]*channel{}
		}
		var err error
		if c, err = d.open(ch); err != nil {
			return 0, err
		}
		d.chans[ch] = c
	}
	n, err := c.f.ReadAt(d.buf[:], 0)
	if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		return 0, fmt.Errorf("iio: reading %s: %w", c.f.Name(), err)
	}
	v, err := parseNumber(d.buf[:n])
	if err != nil {
		return 0, fmt.Errorf("iio: reading %s: %w", c.f.Name(), err)
	}
	return (v + c.offset) * c.scale, nil
}

// SetFastest sets the device's sampling frequency to the highest its
// driver offers in sampling_frequency_available, and returns it as
// written. The Sense HAT's IIO drivers read one-shot: they power the chip
// up and sleep for a few samples at the current rate, and at the rate they
// pick at probe that is seconds per reading (st_pressure at 1 Hz sleeps
// 2 s per channel); at the fastest rate it is milliseconds. The error
// wraps fs.ErrNotExist when the driver offers no choice, and
// fs.ErrPermission, with what to do, when the file is not writable.
func (d *Device) SetFastest() (string, error) {
	b, err := os.ReadFile(filepath.Join(d.Dir, "sampling_frequency_available"))
	if err != nil {
		return "", fmt.Errorf("iio: %s: %w", d.Name, err)
	}
	best, bestV := "", -1.0
	for _, f := range strings.Fields(string(b)) {
		if v, err := strconv.ParseFloat(f, 64); err == nil && v > bestV {
			best, bestV = f, v
		}
	}
	if best == "" {
		return "", fmt.Errorf("iio: %s: no rate in sampling_frequency_available %q", d.Name, strings.TrimSpace(string(b)))
	}
	p := filepath.Join(d.Dir, "sampling_frequency")
	cur, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("iio: %s: %w", d.Name, err)
	}
	now := strings.TrimSpace(string(cur))
	if v, err := strconv.ParseFloat(now, 64); err == nil && v >= bestV {
		return now, nil
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err == nil {
		_, err = f.WriteString(best)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if errors.Is(err, fs.ErrPermission) {
		return "", fmt.Errorf("iio: %s stays at %s Hz, where every read waits for several samples: %w; "+
			"as root: echo %s > %s, or for every boot a udev rule: "+
			`ACTION=="add", SUBSYSTEM=="iio", ATTR{name}=="%s", ATTR{sampling_frequency}="%s"`,
			d.Name, now, err, best, p, d.Name, best)
	}
	if err != nil {
		return "", fmt.Errorf("iio: setting %s to %s: %w", p, best, err)
	}
	return best, nil
}

// rateErr is SetFastest's error worth telling the user: a driver without
// a rate choice is fine as it is.
func rateErr(devs ...*Device) error {
	var errs []error
	for _, d := range devs {
		if _, err := d.SetFastest(); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes the device's open channel files; a later Read opens them
// again.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for name, c := range d.chans {
		errs = append(errs, c.f.Close())
		delete(d.chans, name)
	}
	return errors.Join(errs...)
}

// open finds channel ch's value file and reads its constant conversion:
// in_<ch>_raw with its offset and scale, or else the processed
// in_<ch>_input.
func (d *Device) open(ch string) (*channel, error) {
	c := &channel{scale: 1}
	f, err := os.Open(filepath.Join(d.Dir, "in_"+ch+"_raw"))
	if errors.Is(err, fs.ErrNotExist) {
		if f, err = os.Open(filepath.Join(d.Dir, "in_"+ch+"_input")); err == nil {
			c.f = f
			return c, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("iio: %s has no channel %q (neither in_%s_raw nor in_%s_input): %w", d.Name, ch, ch, ch, err)
		}
	}
	if err != nil {
		return nil, openErr(err)
	}
	if c.scale, err = d.attr(ch, "scale", 1); err != nil {
		f.Close()
		return nil, err
	}
	if c.offset, err = d.attr(ch, "offset", 0); err != nil {
		f.Close()
		return nil, err
	}
	c.f = f
	return c, nil
}

// attr reads in_<ch>_<attr>, falling back to the attribute shared by the
// channel's type (in_accel_scale for accel_x, in_voltage_scale for
// voltage0), and to def when neither exists.
func (d *Device) attr(ch, attr string, def float64) (float64, error) {
	for _, name := range sharedNames(ch) {
		b, err := os.ReadFile(filepath.Join(d.Dir, "in_"+name+"_"+attr))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, openErr(err)
		}
		v, err := parseNumber(b)
		if err != nil {
			return 0, fmt.Errorf("iio: %s in_%s_%s: %w", d.Name, name, attr, err)
		}
		return v, nil
	}
	return def, nil
}

// sharedNames lists the names an attribute of channel ch may be filed
// under, most specific first: the channel, its type with the modifier
// dropped, and the type with the index dropped.
func sharedNames(ch string) []string {
	names := []string{ch}
	typ := ch
	if i := strings.IndexByte(typ, '_'); i > 0 {
		typ = typ[:i]
		names = append(names, typ)
	}
	if t := strings.TrimRight(typ, "0123456789"); t != typ && t != "" {
		names = append(names, t)
	}
	return names
}

func openErr(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("iio: %w (the user needs read access to the sensor's sysfs files)", err)
	}
	return fmt.Errorf("iio: %w", err)
}

// parseNumber parses a sysfs value: an integer on the fast path, which
// allocates nothing, or a decimal such as "0.000024414".
func parseNumber(b []byte) (float64, error) {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return 0, errors.New("empty value")
	}
	neg := false
	digits := b
	if digits[0] == '-' || digits[0] == '+' {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	if len(digits) > 0 && len(digits) < 19 {
		var n int64
		ok := true
		for _, c := range digits {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if ok {
			if neg {
				n = -n
			}
			return float64(n), nil
		}
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, fmt.Errorf("value %q is not a number", b)
	}
	return v, nil
}
