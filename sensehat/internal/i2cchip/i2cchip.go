// Package i2cchip holds the start-up checks every Sense HAT chip driver
// makes the same way: is a kernel driver holding the chip, is the chip
// the one we expect, and what does a bus error mean for the user.
package i2cchip

import (
	"errors"
	"fmt"
	"io/fs"

	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/sensehat/sysfs"
)

// CheckKernel returns an error wrapping errKernel when a kernel driver is
// bound to the chip at addr on bus. root "" means sysfs.Root, as in every
// driver's Opts: a simulated bus has no kernel, and a driver skips the call
// when its Opts.SkipKernelCheck is set, never because root is "". pkg
// prefixes the other errors; instead says what the user can do other than
// unbinding the driver ("read it through IIO").
func CheckKernel(pkg string, errKernel error, root string, bus int, addr uint16, instead string) error {
	if root == "" {
		root = sysfs.Root
	}
	drv, err := sysfs.I2CDriver(root, bus, addr)
	if err != nil {
		return fmt.Errorf("%s: checking for a kernel driver (set SkipKernelCheck to claim the chip anyway): %w", pkg, err)
	}
	if drv == "" {
		return nil
	}
	dev := fmt.Sprintf("%d-%04x", bus, addr)
	return fmt.Errorf("%w: %q is bound to %s; %s, or unbind it: echo %s | sudo tee /sys/bus/i2c/drivers/%s/unbind",
		errKernel, drv, dev, instead, dev, drv)
}

// Chip is what the start-up checks need to know of one driver's chip.
type Chip struct {
	// Pkg prefixes errors ("hts221"); Name is what a chip with the wrong
	// who-am-I is not ("an HTS221").
	Pkg, Name string
	// Addr is the chip's address when the driver's Opts give none.
	Addr uint16
	// ErrKernel is the driver's ErrKernelDriver, and Instead what a user
	// can do instead of unbinding the kernel driver (see CheckKernel).
	ErrKernel error
	Instead   string
	// WhoAmIReg is the identity register, WhoAmI what it must read.
	WhoAmIReg, WhoAmI byte
}

// Open returns the chip at addr (0 means c.Addr) on b, once no kernel
// driver holds it (looked up in the sysfs tree at sysfsRoot, "" meaning
// /sys, for I2C bus bus; not looked up at all when skipKernelCheck is set,
// for a simulated bus) and its who-am-I register reads c.WhoAmI.
func (c Chip) Open(b i2c.Bus, addr uint16, bus int, sysfsRoot string, skipKernelCheck bool) (i2c.Dev, error) {
	if addr == 0 {
		addr = c.Addr
	}
	if !skipKernelCheck {
		if err := CheckKernel(c.Pkg, c.ErrKernel, sysfsRoot, bus, addr, c.Instead); err != nil {
			return i2c.Dev{}, err
		}
	}
	d := i2c.Dev{Bus: b, Addr: addr}
	if err := CheckWhoAmI(c.Pkg, &d, c.WhoAmIReg, c.WhoAmI, c.Name); err != nil {
		return i2c.Dev{}, err
	}
	return d, nil
}

// CheckWhoAmI reads register reg and requires want, so a wrong chip at the
// address is refused before anything is written to it. chip names what
// was expected ("an HTS221").
func CheckWhoAmI(pkg string, c *i2c.Dev, reg, want byte, chip string) error {
	var id [1]byte
	if err := c.Tx([]byte{reg}, id[:]); err != nil {
		return BusErr(pkg, "reading who-am-I", err)
	}
	if id[0] != want {
		return fmt.Errorf("%s: who-am-I %#02x at %#02x, want %#02x: not %s", pkg, id[0], c.Addr, want, chip)
	}
	return nil
}

// BusErr wraps a bus error with what was being done, and tells the user
// what to do about the one cause they can fix themselves.
func BusErr(pkg, what string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%s: %s: %w (add the user to the i2c group)", pkg, what, err)
	}
	return fmt.Errorf("%s: %s: %w", pkg, what, err)
}
