package fb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sensehat/sensehat/display"
)

// The rpi-sense-fb gamma ioctls.
const (
	ioctlGetGamma   = 0xF100
	ioctlSetGamma   = 0xF101
	ioctlResetGamma = 0xF102

	resetDefault  = 0
	resetLowLight = 1
)

// Opts configures Open.
type Opts struct {
	// LowLight starts the matrix with the low-light curve.
	LowLight bool
}

// DefaultOpts is what Open uses for nil opts: the default curve.
var DefaultOpts = Opts{}

// Dev is the LED matrix behind a framebuffer node or a regular file. Its
// methods may be called from several goroutines.
type Dev struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	device bool // a character device: the driver applies the curves
	halted bool

	lowLight bool
	curve    display.Gamma // file mode: the curve being emulated
	remap    [32]uint8     // file mode: 5-bit channel -> value to write
	identity bool          // file mode: curve is the default, write as is

	frame   [display.RGB565Bytes]byte // last frame shown, before remapping
	out     [display.RGB565Bytes]byte // what goes to the node
	last    [display.RGB565Bytes]byte // what the node holds
	written bool                      // last is valid
	writes  uint64                    // pwrite calls
}

var _ display.Device = (*Dev)(nil)

// Open opens the matrix at path: the rpi-sense-fb character device, or a
// regular file, created if missing and sized to one frame.
func Open(path string, opts *Opts) (*Dev, error) {
	if opts == nil {
		opts = &DefaultOpts
	}
	d := &Dev{path: path, curve: display.DefaultGamma, identity: true}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, openError(path, err)
	case fi.Mode()&fs.ModeCharDevice != 0:
		d.device = true
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("fb: %s is a %v, want the framebuffer device or a regular file", path, fi.Mode().Type())
	}
	flag := os.O_RDWR
	if !d.device {
		flag |= os.O_CREATE
	}
	d.f, err = os.OpenFile(path, flag, 0o644)
	if err != nil {
		return nil, openError(path, err)
	}
	if d.device {
		// Asking for the gamma table tells the Sense HAT's framebuffer from
		// the HDMI one, which would take the write and show nothing useful.
		var g display.Gamma
		if err := d.gammaIoctl(ioctlGetGamma, &g); err != nil {
			d.f.Close()
			return nil, fmt.Errorf("fb: %s does not answer the rpi-sense-fb gamma ioctl, is it the Sense HAT framebuffer? (its /sys/class/graphics/fbN/name reads %q): %w", path, "RPi-Sense FB", err)
		}
	} else if err := d.f.Truncate(display.RGB565Bytes); err != nil {
		d.f.Close()
		return nil, fmt.Errorf("fb: sizing %s to %d bytes: %w", path, display.RGB565Bytes, err)
	}
	// A device keeps its curve across runs: set it either way so LowLight
	// tells the truth from the start.
	if opts.LowLight || d.device {
		if err := d.SetLowLight(opts.LowLight); err != nil {
			d.f.Close()
			return nil, err
		}
	}
	return d, nil
}

// openError says which group grants access when the node is not writable.
func openError(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("fb: opening %s: %w; add the user to the video group (sudo usermod -aG video $USER, then log in again)", path, err)
	}
	return fmt.Errorf("fb: opening %s: %w", path, err)
}

// String returns "fb(<path>)".
func (d *Dev) String() string { return "fb(" + d.path + ")" }

// Show puts f on the matrix with one 128-byte write, unless the matrix
// already shows it. It does not allocate.
func (d *Dev) Show(f *display.Frame) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halted {
		return fmt.Errorf("fb: %s: Show after Halt", d.path)
	}
	display.EncodeRGB565(&d.frame, f)
	return d.flush()
}

// flush writes d.frame through the emulated curve if the node does not hold
// it already. d.mu must be held.
func (d *Dev) flush() error {
	d.out = d.frame
	if !d.device && !d.identity {
		for i := 0; i < len(d.out); i += 2 {
			v := uint16(d.out[i]) | uint16(d.out[i+1])<<8
			r := uint16(d.remap[v>>11])
			g := uint16(d.remap[v>>6&0x1f]) // green's low bit is dropped by the driver too
			b := uint16(d.remap[v&0x1f])
			v = r<<11 | g<<6 | b
			d.out[i], d.out[i+1] = byte(v), byte(v>>8)
		}
	}
	if d.written && d.out == d.last {
		return nil
	}
	d.writes++
	if _, err := d.f.WriteAt(d.out[:], 0); err != nil {
		// What the node holds is unknown now: write in full next time.
		d.written = false
		return fmt.Errorf("fb: writing %s: %w", d.path, err)
	}
	d.last, d.written = d.out, true
	return nil
}

// Writes returns how many frames were written to the node: unchanged
// frames are not, so this stays well below the number of Show calls while
// the picture is still.
func (d *Dev) Writes() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writes
}

// LowLight reports whether the low-light curve is on.
func (d *Dev) LowLight() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lowLight
}

// SetLowLight switches between the low-light curve (on) and the default one.
// On a regular file the frame shown is rewritten through the new curve at
// once, as the driver would on its next refresh.
func (d *Dev) SetLowLight(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halted {
		return fmt.Errorf("fb: %s: SetLowLight after Halt", d.path)
	}
	if d.device {
		arg := resetDefault
		if on {
			arg = resetLowLight
		}
		if err := d.ioctl(ioctlResetGamma, arg); err != nil {
			return fmt.Errorf("fb: setting low light on %s: %w", d.path, err)
		}
		d.lowLight = on
		return nil
	}
	g := &display.DefaultGamma
	if on {
		g = &display.LowLightGamma
	}
	d.lowLight = on
	return d.emulate(g)
}

// SetGamma installs g as the driver's curve. Values are the ATtiny's PWM
// values, 0..display.MaxPWM (duty value/64): the driver's own tables stop
// at 31, but it passes a user table to the firmware as it is, so
// display.FullGamma lights the matrix twice as bright. A file (no driver)
// can only emulate a curve through the default table, so values above 31
// show as 31 there.
func (d *Dev) SetGamma(g *display.Gamma) error {
	if err := g.Check(); err != nil {
		return fmt.Errorf("fb: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halted {
		return fmt.Errorf("fb: %s: SetGamma after Halt", d.path)
	}
	if d.device {
		g := *g // the kernel reads it through a pointer; keep the caller's out of it
		if err := d.gammaIoctl(ioctlSetGamma, &g); err != nil {
			return fmt.Errorf("fb: setting gamma on %s: %w", d.path, err)
		}
	} else if err := d.emulate(g); err != nil {
		return err
	}
	d.lowLight = *g == display.LowLightGamma
	return nil
}

// Gamma returns the curve in use.
func (d *Dev) Gamma() (display.Gamma, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halted {
		return display.Gamma{}, fmt.Errorf("fb: %s: Gamma after Halt", d.path)
	}
	if !d.device {
		return d.curve, nil
	}
	var g display.Gamma
	if err := d.gammaIoctl(ioctlGetGamma, &g); err != nil {
		return g, fmt.Errorf("fb: reading gamma from %s: %w", d.path, err)
	}
	return g, nil
}

// emulate makes g the file's curve and rewrites the frame shown through it.
// d.mu must be held.
func (d *Dev) emulate(g *display.Gamma) error {
	d.curve = *g
	d.identity = *g == display.DefaultGamma
	d.remap = inverse(&display.DefaultGamma, g)
	if !d.written {
		return nil
	}
	return d.flush()
}

// inverse returns, for each 5-bit value v, the smallest u with
// def[u] >= want[v] (31 when none is): the value to hand a driver applying
// def for the LED to light as want says.
func inverse(def, want *display.Gamma) [32]uint8 {
	var t [32]uint8
	for v, target := range want {
		u := 0
		for u < 31 && def[u] < target {
			u++
		}
		t[v] = uint8(u)
	}
	return t
}

// Halt blanks the matrix and closes the node.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halted {
		return nil
	}
	d.halted = true
	var black [display.RGB565Bytes]byte
	_, werr := d.f.WriteAt(black[:], 0)
	if werr != nil {
		werr = fmt.Errorf("fb: blanking %s: %w", d.path, werr)
	}
	cerr := d.f.Close()
	if cerr != nil {
		cerr = fmt.Errorf("fb: closing %s: %w", d.path, cerr)
	}
	return errors.Join(werr, cerr)
}

// ioctl runs an ioctl taking an integer argument by value.
func (d *Dev) ioctl(req uint, arg int) error {
	rc, err := d.f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { ierr = unix.IoctlSetInt(int(fd), req, arg) }); err != nil {
		return err
	}
	return ierr
}

// gammaIoctl runs a gamma ioctl, which reads or fills the 32 bytes at g.
func (d *Dev) gammaIoctl(req uintptr, g *display.Gamma) error {
	rc, err := d.f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(g)))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
