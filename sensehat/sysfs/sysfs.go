// Package sysfs finds the Sense HAT's kernel interfaces under /sys: which
// driver holds an I2C chip, which /dev/fbN is the LED matrix, which
// /dev/input/eventN is the joystick. Every function takes the sysfs root so
// tests can point it at a directory tree of their own.
package sysfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Root is the real sysfs mount point.
const Root = "/sys"

// I2CDriver returns the name of the kernel driver bound to the chip at addr
// on I2C bus bus ("" when none is bound or the device node does not exist).
// Linux names the device "<bus>-<4 hex digits>", e.g. 1-0046.
func I2CDriver(root string, bus int, addr uint16) (string, error) {
	link := filepath.Join(root, "bus", "i2c", "devices", fmt.Sprintf("%d-%04x", bus, addr), "driver")
	target, err := os.Readlink(link)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		// A regular file or directory standing for the link, as test trees
		// made without symlinks have it, still means "bound".
		if fi, serr := os.Stat(link); serr == nil {
			return fi.Name(), nil
		}
		return "", fmt.Errorf("sysfs: reading %s: %w", link, err)
	}
	return filepath.Base(target), nil
}
