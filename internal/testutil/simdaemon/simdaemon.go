// Package simdaemon runs sensehatd in the test's process on a simulated
// Sense HAT, the way every package that tests against a device starts one
// (the command line tool, the fleet hub, Home Assistant). It lives apart
// from package testutil because it imports the daemon: the daemon's own
// in-package tests cannot use it without an import cycle, and start their
// daemons themselves (internal/daemon's startWith).
package simdaemon

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/daemon"
	"github.com/sensehat/sensehat/internal/emulator"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/sim"
)

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
	run    *testutil.Task
}

// Start runs a daemon with cfg on a new simulated HAT, waits until its
// service is registered, and stops it when the test ends, wanting a clean
// stop. A nil opts means the zero Opts.
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
	dev := &Device{ID: cfg.ID, HAT: sim.NewHAT()}
	dev.Daemon = &daemon.Daemon{
		Config:   cfg,
		Log:      slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: o.Level})),
		HAT:      dev.HAT,
		Notifier: o.Notifier,
		Ready:    make(chan struct{}),
	}
	dev.run = testutil.GoReady(t, "daemon "+cfg.ID, dev.Daemon.Ready, dev.Daemon.Run)
	return dev
}

// Stop stops the daemon as systemd does (its context cancelled) and fails
// the test unless Run returns nil in time. Stopping twice is harmless.
func (d *Device) Stop() {
	if err := d.run.Stop(); err != nil {
		d.run.Fail(err)
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

// OnServer checks the test for leaked goroutines (testutil.CheckLeaks, so
// call it first), starts a NATS server and, on it, a daemon for each of
// ids (StartOn); it returns the server and the devices in the order of
// ids.
func OnServer(t testing.TB, ids ...string) (*testutil.Server, []*Device) {
	t.Helper()
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	devs := make([]*Device, len(ids))
	for i, id := range ids {
		devs[i] = StartOn(t, srv.URL(), id)
	}
	return srv, devs
}
