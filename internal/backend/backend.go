// Package backend opens what --display, --joystick and --sensors name:
// the kernel framebuffer and input device, the chips on the I2C bus, the
// kernel's IIO sensors, or the simulated HAT. With "auto" it prefers the
// kernel drivers, which own the chips when loaded, and falls back to the bus.
package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/sensors"
	"github.com/sensehat/sensehat/sensehat"
	"github.com/sensehat/sensehat/sensehat/attiny"
	"github.com/sensehat/sensehat/sensehat/evdev"
	"github.com/sensehat/sensehat/sensehat/fb"
	"github.com/sensehat/sensehat/sensehat/none"
	"github.com/sensehat/sensehat/sensehat/sim"
	"github.com/sensehat/sensehat/sensehat/sysfs"
)

// Joystick is a source of key events; Run returns when ctx ends.
type Joystick interface {
	Run(ctx context.Context, out chan<- sensehat.Event) error
}

// Request says what to open.
type Request struct {
	Display, Joystick, Sensors config.Backend
	SysfsRoot                  string
	StateDir                   string
	// HAT is the simulated board for "sim" backends.
	HAT *sim.HAT
	Log *slog.Logger

	// ColourGain and ColourCycles configure the colour sensor, if the
	// board has one; 0 means python-sense-hat's default (1).
	ColourGain, ColourCycles int
}

// Hardware is what was opened. Close releases all of it.
type Hardware struct {
	Display      display.Device
	DisplayName  string
	Joystick     Joystick // nil for none
	JoystickName string
	Sensors      *sensors.Set // nil for none
	SensorsName  string

	closers []func() error
	buses   map[int]i2c.Bus
}

// Close halts the devices and closes the buses, in reverse order of opening.
func (h *Hardware) Close() error {
	var errs []error
	for i := len(h.closers) - 1; i >= 0; i-- {
		errs = append(errs, h.closers[i]())
	}
	h.closers = nil
	return errors.Join(errs...)
}

// Open opens the hardware r asks for. On error, what was opened is closed.
func Open(r Request) (_ *Hardware, err error) {
	if r.SysfsRoot == "" {
		r.SysfsRoot = sysfs.Root
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	h := &Hardware{buses: map[int]i2c.Bus{}}
	defer func() {
		if err != nil {
			_ = h.Close()
		}
	}()
	if err := h.openDisplay(r); err != nil {
		return nil, err
	}
	if err := h.openJoystick(r); err != nil {
		return nil, err
	}
	if err := h.openSensors(r); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Hardware) openDisplay(r Request) error {
	b := r.Display
	switch b.Kind {
	case config.KindNone:
		h.Display, h.DisplayName = none.New(), "none"
		return nil
	case config.KindSim:
		if r.HAT == nil {
			return errors.New("backend: --display sim needs a simulated HAT")
		}
		return h.attinyDisplay(r.HAT.Bus, "sim", attiny.Opts{SkipKernelCheck: true})
	case config.KindFB:
		return h.fbDisplay(r, b.Arg)
	case config.KindI2C:
		bus, err := h.bus(b.Bus())
		if err != nil {
			return err
		}
		return h.attinyDisplay(bus, "i2c:"+strconv.Itoa(b.Bus()), attiny.Opts{Bus: b.Bus(), SysfsRoot: r.SysfsRoot})
	case config.KindAuto:
		fbErr := h.fbDisplay(r, "")
		if fbErr == nil {
			return nil
		}
		bus, err := h.bus(1)
		if err == nil {
			err = h.attinyDisplay(bus, "i2c:1", attiny.Opts{Bus: 1, SysfsRoot: r.SysfsRoot})
		}
		if err == nil {
			return nil
		}
		return fmt.Errorf("backend: no LED matrix found (framebuffer: %v; I2C: %v); use --display none to run without one, or sim for a simulated one", fbErr, err)
	}
	return fmt.Errorf("backend: unknown display backend %q", b.Kind)
}

// devPath is path, or when path is "" the node find finds for the device
// called name in the sysfs tree at root.
func devPath(path string, find func(root, name string) (string, error), root, name string) (string, error) {
	if path != "" {
		return path, nil
	}
	return find(root, name)
}

func (h *Hardware) fbDisplay(r Request, path string) error {
	path, err := devPath(path, sysfs.FindFramebuffer, r.SysfsRoot, sysfs.FramebufferName)
	if err != nil {
		return err
	}
	d, err := fb.Open(path, nil)
	if err != nil {
		return err
	}
	h.Display, h.DisplayName = d, "fb:"+path
	h.closers = append(h.closers, d.Halt)
	return nil
}

func (h *Hardware) attinyDisplay(bus i2c.Bus, name string, opts attiny.Opts) error {
	d, err := attiny.New(bus, &opts)
	if err != nil {
		return err
	}
	h.Display, h.DisplayName = d, name
	h.closers = append(h.closers, d.Halt)
	return nil
}

func (h *Hardware) openJoystick(r Request) error {
	b := r.Joystick
	switch b.Kind {
	case config.KindNone:
		h.JoystickName = "none"
		return nil
	case config.KindSim:
		if r.HAT == nil {
			return errors.New("backend: --joystick sim needs a simulated HAT")
		}
		j, err := attiny.NewJoystick(r.HAT.Bus, r.HAT.ATtiny.Interrupt(), nil)
		if err != nil {
			return err
		}
		h.Joystick, h.JoystickName = j, "sim"
		return nil
	case config.KindEvdev:
		return h.evdevJoystick(r, b.Arg)
	case config.KindI2C:
		return h.i2cJoystick(r, b.Bus())
	case config.KindAuto:
		evErr := h.evdevJoystick(r, "")
		if evErr == nil {
			return nil
		}
		if err := h.i2cJoystick(r, 1); err != nil {
			r.Log.Warn("no joystick found; running without", "evdev", evErr, "i2c", err)
			h.JoystickName = "none"
		}
		return nil
	}
	return fmt.Errorf("backend: unknown joystick backend %q", b.Kind)
}

func (h *Hardware) evdevJoystick(r Request, path string) error {
	path, err := devPath(path, sysfs.FindInput, r.SysfsRoot, sysfs.JoystickName)
	if err != nil {
		return err
	}
	j, err := evdev.Open(path, nil)
	if err != nil {
		return err
	}
	h.Joystick, h.JoystickName = j, "evdev:"+path
	h.closers = append(h.closers, j.Close)
	return nil
}

func (h *Hardware) i2cJoystick(r Request, n int) error {
	if err := attiny.CheckKernel(r.SysfsRoot, n); err != nil {
		return fmt.Errorf("backend: joystick over I2C: %w", err)
	}
	bus, err := h.bus(n)
	if err != nil {
		return err
	}
	// GPIO23 carries the joystick interrupt; without it the driver polls.
	var irq gpio.PinIn
	if p := gpioreg.ByName("GPIO23"); p != nil {
		irq = p
	}
	j, err := attiny.NewJoystick(bus, irq, nil)
	if err != nil {
		return err
	}
	h.Joystick, h.JoystickName = j, "i2c:"+strconv.Itoa(n)
	return nil
}

var hostInit = sync.OnceValue(func() error {
	_, err := host.Init()
	return err
})

// bus opens I2C bus n once and shares it between display, joystick and
// sensors.
func (h *Hardware) bus(n int) (i2c.Bus, error) {
	if b, ok := h.buses[n]; ok {
		return b, nil
	}
	if err := hostInit(); err != nil {
		return nil, fmt.Errorf("backend: initialising periph host drivers: %w", err)
	}
	b, err := i2creg.Open(strconv.Itoa(n))
	if err != nil {
		hint := "is I2C enabled (sudo raspi-config nonint do_i2c 0, then reboot)?"
		if errors.Is(err, os.ErrPermission) {
			hint = "add the user to the i2c group (sudo usermod -aG i2c $USER, then log in again)"
		}
		return nil, fmt.Errorf("backend: opening I2C bus %d: %w; %s", n, err, hint)
	}
	h.buses[n] = b
	h.closers = append(h.closers, b.Close)
	return b, nil
}
