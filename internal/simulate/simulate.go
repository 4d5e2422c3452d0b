// Package simulate runs a fleet of simulated Sense HATs in one process, for
// sizing a hub and for load tests (`sensehat simulate --devices N`).
//
// Each device is the real daemon (internal/daemon) on a simulated board
// (sensehat/sim): its own NATS connection, its own micro service, its own
// readings at the daemon's rates. So a simulated fleet speaks exactly the
// contract a real one does, and a change to the contract needs no change
// here. A device costs a handful of goroutines and a few hundred kilobytes
// (docs/hub-cluster.md, "Sizing with a simulated fleet").
package simulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/daemon"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// MaxDevices bounds one process's fleet: past it, the file descriptors and
// the two cores of a small machine run out before the hub does.
const MaxDevices = 5000

// Opts says how many devices to simulate and how they join the bus.
type Opts struct {
	// Devices is how many boards to run, 1 to MaxDevices.
	Devices int
	// First is the number of the first device (DefaultOpts: 1), so two
	// processes can share a hub: sim-0001..sim-0500 and sim-0501...
	First int

	// Config is the daemon configuration every device starts from: the
	// NATS URL and credentials, the prefix and the reading intervals.
	// ID, the backends and StateDir are set per device.
	Config config.Config

	// JoystickEvery, if above 0, presses and releases a joystick key on
	// every device that often, so joystick events flow too.
	JoystickEvery time.Duration

	// Leaf, if set, puts every device behind a leaf node of its own with
	// its own stream, for store-and-forward tests; Config.NATS is then
	// not used.
	Leaf *LeafOpts

	// StartSpread is the time over which the devices start, so a large
	// fleet does not hit the server with every connection in the same
	// millisecond (a real fleet never does); 0 starts them all at once.
	StartSpread time.Duration

	// StateDir keeps each device's calibration state in a subdirectory;
	// "" makes a temporary directory removed at the end.
	StateDir string

	// Log receives the fleet's messages; each device's lines carry its
	// id. Nil discards them.
	Log *slog.Logger

	// Ready, if set, is closed once every device serves.
	Ready chan struct{}
}

// DefaultOpts are the options `sensehat simulate` starts from: the
// daemon's default rates, Home Assistant discovery off (hundreds of
// simulated entities would flood a real Home Assistant).
var DefaultOpts = Opts{
	Devices:     10,
	First:       1,
	Config:      defaultConfig(),
	StartSpread: 0,
}

func defaultConfig() config.Config {
	c := config.DefaultConfig()
	c.HAPrefix = "none"
	// The simulated chips are not warmed by a CPU underneath.
	c.TempFactor = 0
	return c
}

// ID is the id of device number n: sim-0001, sim-0002...
func ID(n int) string { return fmt.Sprintf("sim-%04d", n) }

// Fleet is a running simulated fleet; Run runs it.
type Fleet struct {
	opts Opts
}

// New checks opts and returns a fleet ready to Run.
func New(opts *Opts) (*Fleet, error) {
	if opts == nil {
		o := DefaultOpts
		opts = &o
	}
	o := *opts
	if o.Devices < 1 || o.Devices > MaxDevices {
		return nil, fmt.Errorf("simulate: %d devices; give 1 to %d (run several processes with --first for more)", o.Devices, MaxDevices)
	}
	if o.First < 1 {
		return nil, fmt.Errorf("simulate: first device number %d; give 1 or more", o.First)
	}
	if o.JoystickEvery < 0 || o.StartSpread < 0 {
		return nil, errors.New("simulate: negative joystick interval or start spread; give 0 (off) or a duration")
	}
	// Every device's config must hold: check the first one's, the others
	// differ only by id.
	c := o.deviceConfig(o.First, "")
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	if _, err := wire.NewSubjects(c.Prefix, ID(o.First+o.Devices-1)); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	if o.Leaf != nil && len(o.Leaf.HubURLs) == 0 {
		return nil, errors.New("simulate: leaf nodes need the hub's leaf node URL (nats-leaf://user:password@hub:7422)")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Fleet{opts: o}, nil
}

// deviceConfig is the daemon configuration of device number n.
func (o *Opts) deviceConfig(n int, stateDir string) config.Config {
	c := o.Config
	c.ID = ID(n)
	// "sim" is always a valid backend: the errors cannot happen.
	_ = c.Display.Set("sim")
	_ = c.Joystick.Set("sim")
	_ = c.Sensors.Set("sim")
	c.StateDir = stateDir
	return c
}

// Run starts every device and runs them until ctx is cancelled, then stops
// them all (each as sensehatd stops: service stopped, matrix cleared, NATS
// drained) and returns once the last has stopped. An error of one device
// stops the whole fleet.
func (f *Fleet) Run(ctx context.Context) error {
	o := f.opts
	stateRoot := o.StateDir
	if stateRoot == "" {
		dir, err := os.MkdirTemp("", "sensehat-simulate-")
		if err != nil {
			return fmt.Errorf("simulate: state directory: %w (set --state-dir)", err)
		}
		defer os.RemoveAll(dir)
		stateRoot = dir
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		ready sync.WaitGroup
		mu    sync.Mutex
		errs  []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
		cancel()
	}
	var step time.Duration
	if o.Devices > 1 {
		step = o.StartSpread / time.Duration(o.Devices-1)
	}
	started := 0
	for i := 0; i < o.Devices; i++ {
		if i > 0 && step > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(step):
			}
		}
		if ctx.Err() != nil {
			break
		}
		n := o.First + i
		dir := fmt.Sprintf("%s/%s", stateRoot, ID(n))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			fail(fmt.Errorf("simulate: %s: state directory: %w", ID(n), err))
			break
		}
		cfg := o.deviceConfig(n, dir)
		var leaf *leafNode
		if o.Leaf != nil {
			l, err := startLeaf(ctx, o.Leaf, cfg.Prefix, cfg.ID, dir)
			if err != nil {
				fail(err)
				break
			}
			leaf = l
			cfg.NATS = l.url()
		}
		hat := sim.NewHAT()
		setConditions(hat, n)
		devReady := make(chan struct{})
		d := &daemon.Daemon{
			Config:   cfg,
			Log:      o.Log.With("id", ID(n)),
			HAT:      hat,
			Notifier: quiet{},
			Ready:    devReady,
		}
		started++
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.Run(ctx); err != nil {
				fail(fmt.Errorf("simulate: %s: %w", d.Config.ID, err))
			}
			// After the daemon: it drains what it published into its leaf
			// node's stream first.
			if leaf != nil {
				leaf.stop()
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-devReady:
				ready.Done()
			case <-ctx.Done():
				ready.Done()
				return
			}
			if o.JoystickEvery > 0 {
				pressKeys(ctx, hat, n, o.JoystickEvery)
			}
		}()
	}
	allReady := make(chan struct{})
	go func() {
		ready.Wait()
		close(allReady)
	}()
	select {
	case <-allReady:
		if ctx.Err() == nil {
			o.Log.Info("simulated fleet serving", "devices", started, "first", ID(o.First), "last", ID(o.First+started-1))
			if o.Ready != nil {
				close(o.Ready)
			}
		}
	case <-ctx.Done():
	}
	<-ctx.Done()
	wg.Wait()
	<-allReady
	mu.Lock()
	defer mu.Unlock()
	return errors.Join(errs...)
}

// setConditions gives device n conditions of its own, so plots of a
// simulated fleet tell the devices apart: a spread of temperatures,
// humidities and pressures within what the chips measure.
func setConditions(hat *sim.HAT, n int) {
	t := 18 + float64(n%10)*0.5
	hat.HTS221.Set(t, 40+float64(n%20))
	hat.LPS25H.Set(1000+float64(n%30), t)
	hat.LSM9DS1.SetAttitude(float64(n%7)*5, float64(n%5)*3, float64(n%36)*10)
}

// keys are the joystick keys pressKeys takes turns with.
var keys = [...]sensehat.Key{sensehat.KeyUp, sensehat.KeyRight, sensehat.KeyDown, sensehat.KeyLeft}

// pressKeys presses and releases a key every period, starting at an offset
// that depends on n so the fleet's presses do not all fall together. The
// middle key is never pressed: it makes the daemon scroll its id.
func pressKeys(ctx context.Context, hat *sim.HAT, n int, every time.Duration) {
	offset := every * time.Duration(n%16) / 16
	select {
	case <-ctx.Done():
		return
	case <-time.After(offset):
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for i := 0; ; i++ {
		k := keys[i%len(keys)]
		hat.ATtiny.Press(k)
		select {
		case <-ctx.Done():
			hat.ATtiny.Release(k)
			return
		case <-time.After(50 * time.Millisecond):
		}
		hat.ATtiny.Release(k)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// quiet is a Notifier for devices that are not systemd services.
type quiet struct{}

func (quiet) Notify(string) error             { return nil }
func (quiet) WatchdogInterval() time.Duration { return 0 }
