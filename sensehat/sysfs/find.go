package sysfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Names the rpi-sense drivers give their devices in sysfs.
const (
	// FramebufferName is the name of the LED matrix framebuffer
	// (rpi-sense-fb), as read from /sys/class/graphics/fbN/name.
	FramebufferName = "RPi-Sense FB"
	// JoystickName is the name of the joystick input device (rpisense-js),
	// as read from /sys/class/input/eventN/device/name.
	JoystickName = "Raspberry Pi Sense HAT Joystick"
)

// ErrNotFound is wrapped by FindFramebuffer and FindInput when no device
// carries the name: usually the rpi-sense overlay is not loaded.
var ErrNotFound = errors.New("sysfs: not found")

// FindFramebuffer returns the device node ("/dev/fbN") of the framebuffer
// called name, scanning <root>/class/graphics/fb*/name. The number is never
// assumed: fb0 is usually HDMI, but with a DSI or SPI screen the matrix moves.
func FindFramebuffer(root, name string) (string, error) {
	return findNode(root, "graphics", "fb", "name", name, "/dev/",
		"framebuffer", "drive the matrix over I2C with --display i2c")
}

// FindInput returns the device node ("/dev/input/eventN") of the input
// device called name, scanning <root>/class/input/event*/device/name.
func FindInput(root, name string) (string, error) {
	return findNode(root, "input", "event", filepath.Join("device", "name"), name, "/dev/input/",
		"input device", "read the joystick over I2C with --joystick i2c")
}

// findNode returns dev followed by the first entry prefixN of
// <root>/class/<class> whose file rel has a line equal to name, or an
// error wrapping ErrNotFound that names what was looked for and what to
// do instead.
func findNode(root, class, prefix, rel, name, dev, what, instead string) (string, error) {
	dir := filepath.Join(root, "class", class)
	node, err := find(dir, prefix, rel, name)
	if err != nil {
		return "", err
	}
	if node == "" {
		return "", fmt.Errorf("%w: no %s named %q under %s; the rpi-sense overlay may not be loaded "+
			"(add dtoverlay=rpi-sense to config.txt and reboot), or %s",
			ErrNotFound, what, name, dir, instead)
	}
	return dev + node, nil
}

// find returns the first entry prefixN of dir, in numeric order, whose file
// rel has a line equal to name; "" when none has.
func find(dir, prefix, rel, name string) (string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sysfs: listing %s: %w", dir, err)
	}
	type node struct {
		name string
		n    int
	}
	var nodes []node
	for _, e := range entries {
		s, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			continue
		}
		nodes = append(nodes, node{e.Name(), n})
	}
	// Numeric order, so fb2 comes before fb10 and the answer is stable.
	slices.SortFunc(nodes, func(a, b node) int { return a.n - b.n })
	for _, nd := range nodes {
		p := filepath.Join(dir, nd.name, rel)
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("sysfs: reading %s: %w", p, err)
		}
		if hasLine(b, name) {
			return nd.name, nil
		}
	}
	return "", nil
}

// hasLine reports whether b has a line equal to name, ignoring the trailing
// newline and spaces sysfs attributes end with.
func hasLine(b []byte, name string) bool {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if strings.TrimRight(sc.Text(), " \t\r") == name {
			return true
		}
	}
	return false
}
