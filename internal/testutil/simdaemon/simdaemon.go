// Package simdaemon runs sensehatd in the test's process on a simulated
// Sense HAT, the way every package that tests against a device starts one
// (the command line tool, the fleet hub, Home Assistant). It lives apart
// from package testutil because it imports the daemon: the daemon's own
// in-package tests cannot use it without an import cycle, and start their
// daemons themselves (internal/daemon's startWith).
package simdaemon

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/daemon"
	"github.com/sensehat/sensehat/internal/emulator"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// Timeout bounds how long a daemon may take to become ready and to stop:
// it bounds a hang, it does not measure speed.
const Timeout = 15 * time.Second

// Config is the configuration of device id on a simulated board joining
// the server at natsURL, with its state in a directory of the test's own:
// emulator.SimConfig, as `sensehat emulate` runs it.
func Config(t testing.TB, natsURL, id string) config.Config {
	t.Helper()
	return emulator.SimConfig(id, natsURL, t.TempDir())
}

// Opts is what tests vary beyond the configuration.
type Opts struct {
	// Log receives the daemon's text log; nil discards it.
	Log io.Writer
	// Level is the lowest level logged.
	Level slog.Level
	// Notifier stands in for systemd; nil is one that does nothing, so a
	// test run under systemd does not notify it.
	Notifier daemon.Notifier
}

// Device is a daemon running on a simulated HAT.
type Device struct {
	ID     string
	HAT    *sim.HAT
	Daemon *daemon.Daemon

	t       testing.TB
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// Start runs a daemon with cfg on a new simulated HAT, waits until its
// service is registered, and stops it when the test ends. A nil opts
// means the zero Opts.
func Start(t testing.TB, cfg config.Config, opts *Opts) *Device {
	t.Helper()
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Notifier == nil {
		o.Notifier = nopNotifier{}
	}
	dev := &Device{ID: cfg.ID, HAT: sim.NewHAT(), t: t, done: make(chan error, 1)}
	dev.Daemon = &daemon.Daemon{
		Config:   cfg,
		Log:      slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: o.Level})),
		HAT:      dev.HAT,
		Notifier: o.Notifier,
		Ready:    make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	dev.cancel = cancel
	go func() { dev.done <- dev.Daemon.Run(ctx) }()
	t.Cleanup(dev.Stop)
	select {
	case <-dev.Daemon.Ready:
	case err := <-dev.done:
		dev.stopped = true
		cancel()
		t.Fatalf("daemon %s exited before ready: %v", cfg.ID, err)
	case <-time.After(Timeout):
		t.Fatalf("daemon %s not ready in %v", cfg.ID, Timeout)
	}
	return dev
}

// Stop stops the daemon as systemd does (its context cancelled) and fails
// the test unless Run returns nil in time. Stopping twice is harmless.
func (d *Device) Stop() {
	d.t.Helper()
	if d.stopped {
		return
	}
	d.stopped = true
	d.cancel()
	select {
	case err := <-d.done:
		if err != nil {
			d.t.Errorf("daemon %s: Run = %v after a clean stop, want nil", d.ID, err)
		}
	case <-time.After(Timeout):
		d.t.Errorf("daemon %s did not stop in %v", d.ID, Timeout)
	}
}

type nopNotifier struct{}

func (nopNotifier) Notify(string) error             { return nil }
func (nopNotifier) WatchdogInterval() time.Duration { return 0 }

// StartOn starts device id with the simulated configuration (Config) on
// the server at natsURL, as Start does.
func StartOn(t testing.TB, natsURL, id string) *Device {
	t.Helper()
	return Start(t, Config(t, natsURL, id), nil)
}
