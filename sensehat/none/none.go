// Package none is the headless display: it accepts frames and drops them,
// so the daemon runs (and serves, and publishes) on a Pi without a matrix.
package none

import (
	"sync/atomic"

	"github.com/sensehat/sensehat/display"
)

// Dev discards frames, counting them.
type Dev struct {
	frames atomic.Uint64
}

var _ display.Device = (*Dev)(nil)

// New returns a headless display.
func New() *Dev { return &Dev{} }

// Show implements display.Device.
func (d *Dev) Show(*display.Frame) error {
	d.frames.Add(1)
	return nil
}

// Frames returns how many frames were shown.
func (d *Dev) Frames() uint64 { return d.frames.Load() }

// Halt implements display.Device.
func (d *Dev) Halt() error { return nil }

// String implements display.Device.
func (d *Dev) String() string { return "none" }
