// Package fb drives the Sense HAT's LED matrix through the kernel's
// framebuffer (the rpi-sense-fb driver, "RPi-Sense FB"; find its /dev/fbN
// with sysfs.FindFramebuffer, never assume fb1).
//
// Facts it relies on:
//   - The framebuffer is 8x8, 16 bpp RGB565 little endian, 128 bytes; pixel
//     (x, y) is at byte 2*(8*y+x). A frame is one pwrite of all 128 bytes.
//   - The driver maps each 5-bit channel through a 32-entry gamma table
//     before the ATtiny sees it. ioctl 0xF100 reads the table, 0xF101 sets
//     it, 0xF102 resets it (0 default, 1 low light).
//   - Deferred I/O flushes ~10 ms after a write: about 100 frames/s at most.
//
// A regular file works as the path too: that is how tests and end-to-end
// checks watch the output. There is no kernel gamma after a file, so low
// light is then done in software.
package fb

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/sensehat/sensehat/display"
)

// The rpi-sense-fb ioctls.
const (
	ioctlGetGamma   = 0xF100
	ioctlSetGamma   = 0xF101
	ioctlResetGamma = 0xF102

	resetDefault  = 0
	resetLowLight = 1
)

// Opts configure Open. The zero value is fine.
type Opts struct{}

// Dev is the LED matrix behind a framebuffer node or a regular file.
type Dev struct {
	path string
	f    *os.File
	// kernel is true for a character device: gamma lives in the driver.
	kernel bool

	mu       sync.Mutex
	lowLight bool
	buf      [display.RGB565Bytes]byte
	last     [display.RGB565Bytes]byte
	sent     bool
	soft     *display.Frame
	writes   uint64
}

var _ display.Device = (*Dev)(nil)

// Open opens the framebuffer at path. A path that does not exist is created
// as a regular file (for tests and dry runs); a regular file is sized to
// one frame.
func Open(path string, _ *Opts) (*Dev, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, openError(path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fb: %s: %w", path, err)
	}
	d := &Dev{path: path, f: f, soft: display.NewFrame()}
	switch {
	case fi.Mode()&os.ModeCharDevice != 0:
		d.kernel = true
	case fi.Mode().IsRegular():
		if err := f.Truncate(display.RGB565Bytes); err != nil {
			f.Close()
			return nil, fmt.Errorf("fb: sizing %s to one frame: %w", path, err)
		}
	default:
		f.Close()
		return nil, fmt.Errorf("fb: %s is neither a framebuffer device nor a regular file", path)
	}
	return d, nil
}

func openError(path string, err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("fb: opening %s: %w; add the user to the video group (sudo usermod -aG video $USER)", path, err)
	}
	return fmt.Errorf("fb: opening %s: %w; is the rpi-sense overlay loaded (dtoverlay=rpi-sense)?", path, err)
}

// Show writes f as one 128-byte RGB565 frame, unless it is the frame
// already there. It allocates nothing.
func (d *Dev) Show(f *display.Frame) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lowLight && !d.kernel {
		d.soft.CopyFrom(f)
		display.ApplyLowLight(d.soft)
		f = d.soft
	}
	display.EncodeRGB565(&d.buf, f)
	if d.sent && d.buf == d.last {
		return nil
	}
	if _, err := d.f.WriteAt(d.buf[:], 0); err != nil {
		return fmt.Errorf("fb: writing frame to %s: %w", d.path, err)
	}
	d.last, d.sent = d.buf, true
	d.writes++
	return nil
}

// Writes returns how many frames were written to the node.
func (d *Dev) Writes() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writes
}

// SetLowLight switches the kernel's low-light gamma table, or the software
// curve for a regular file. The next Show uses it.
func (d *Dev) SetLowLight(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.kernel {
		arg := resetDefault
		if on {
			arg = resetLowLight
		}
		if err := unix.IoctlSetInt(int(d.f.Fd()), ioctlResetGamma, arg); err != nil {
			return fmt.Errorf("fb: setting low light on %s: %w", d.path, err)
		}
	}
	d.lowLight = on
	d.sent = false // re-send the current picture with the new curve
	return nil
}

// Gamma reads the driver's gamma table (character devices only).
func (d *Dev) Gamma() (display.Gamma, error) {
	var g display.Gamma
	if !d.kernel {
		return g, fmt.Errorf("fb: %s is not a framebuffer device; it has no gamma table", d.path)
	}
	if err := ioctlPtr(d.f, ioctlGetGamma, &g); err != nil {
		return g, fmt.Errorf("fb: reading gamma of %s: %w", d.path, err)
	}
	return g, nil
}

// SetGamma sets the driver's gamma table (character devices only).
func (d *Dev) SetGamma(g *display.Gamma) error {
	if !d.kernel {
		return fmt.Errorf("fb: %s is not a framebuffer device; it has no gamma table", d.path)
	}
	if err := ioctlPtr(d.f, ioctlSetGamma, g); err != nil {
		return fmt.Errorf("fb: setting gamma of %s: %w", d.path, err)
	}
	return nil
}

// Halt blanks the matrix and closes the node.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	clear(d.buf[:])
	_, werr := d.f.WriteAt(d.buf[:], 0)
	cerr := d.f.Close()
	d.f = nil
	return errors.Join(werr, cerr)
}

// String implements display.Device.
func (d *Dev) String() string { return "fb:" + d.path }
