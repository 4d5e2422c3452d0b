package daemon

import (
	"context"
	"image/color"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/backend"
	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/publish"
	"github.com/sensehat/sensehat/internal/sensors"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat"
)

// sensing runs the joystick and the sensor poller and hands what they
// produce to the wire publisher; it owns their goroutines, not the
// payloads. Its methods accept a nil receiver (a Daemon that never ran),
// which has published nothing.
type sensing struct {
	out      *publish.Publisher
	joystick backend.Joystick // nil: none
	poller   *sensors.Poller  // nil: no sensors
	who      whoAmI
	errs     *health.Registry
	log      *slog.Logger
	heading  atomic.Bool // the last motion reading carried a heading
}

func newSensing(nc *nats.Conn, hw *backend.Hardware, cfg config.Config, who whoAmI, errs *health.Registry, log *slog.Logger) *sensing {
	p := &sensing{out: publish.New(nc, wire.Subjects{Prefix: cfg.Prefix, ID: cfg.ID}, errs), joystick: hw.Joystick, who: who, errs: errs, log: log}
	p.out.SetResendWindow(cfg.ResendWindow)
	if hw.Sensors != nil {
		poller, err := sensors.NewPoller(*hw.Sensors, sensors.Opts{
			EnvInterval:    cfg.EnvInterval,
			MotionInterval: cfg.MotionInterval,
			ColourInterval: cfg.ColourInterval,
			TempFactor:     cfg.TempFactor,
			StateDir:       cfg.StateDir,
			Log:            log,
			Errors:         errs,
		})
		if err != nil {
			log.Error("sensors disabled", "err", err)
			errs.Record("sensors", err)
		} else {
			p.poller = poller
		}
	}
	return p
}

func (p *sensing) run(ctx context.Context) {
	var wg sync.WaitGroup
	if js := p.joystick; js != nil {
		events := make(chan sensehat.Event, 64)
		wg.Go(func() {
			if err := js.Run(ctx, events); err != nil && ctx.Err() == nil {
				p.log.Error("joystick stopped", "err", err)
				p.errs.Record("joystick", err)
			}
		})
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case ev := <-events:
					p.joystickEvent(ev)
				}
			}
		})
	}
	if p.poller != nil {
		wg.Go(func() { p.poller.Run(ctx, p) })
	}
	wg.Wait()
}

// Env implements sensors.Sink.
func (p *sensing) Env(r *wire.Env) { p.out.Env(r) }

// Motion implements sensors.Sink, noting whether the reading has a
// heading: Home Assistant lists one only then.
func (p *sensing) Motion(r *wire.Motion) {
	p.heading.Store(r.HasYaw)
	p.out.Motion(r)
}

// Colour implements sensors.Sink.
func (p *sensing) Colour(r *wire.Colour) { p.out.Colour(r) }

// headingKnown reports whether the last motion reading carried a heading
// (the magnetometer is calibrated).
func (p *sensing) headingKnown() bool {
	return p != nil && p.heading.Load()
}

// joystickEvent publishes one event and answers a middle press.
func (p *sensing) joystickEvent(ev sensehat.Event) {
	p.out.Joystick(ev)
	if ev.Key == sensehat.KeyMiddle && ev.Action == sensehat.Pressed {
		p.who.show()
	}
}

// whoAmI is what a middle press needs to show who the device is.
type whoAmI struct {
	player *display.Player
	id     string
	server func() string // the server's address, "" while not connected
	log    *slog.Logger
}

// show shows the device id and address on a middle press when the matrix
// has nothing else to do, so someone holding the Pi can find it on the
// network.
func (w whoAmI) show() {
	st := w.player.Status()
	if st.QueueLen > 0 || st.Showing != "" {
		return
	}
	text := w.id + " " + localIP(w.server(), systemAddrSources)
	if _, err := w.player.Submit(display.TextItem(text, display.ScrollOpts{Fg: colorCyan, Speed: 12, Repeat: 1}), display.Queue); err != nil {
		w.log.Debug("who-am-I text", "err", err)
	}
}

// published counts what went out, for the status reply.
func (p *sensing) published() wire.PublishedStatus {
	if p == nil || p.out == nil {
		return wire.PublishedStatus{}
	}
	return p.out.Published()
}

// last returns the last payloads for the status reply.
func (p *sensing) last() wire.LastReadings {
	if p == nil || p.out == nil {
		return wire.LastReadings{}
	}
	return p.out.Last()
}

func (p *sensing) sensorStates() map[string]string {
	if p == nil || p.poller == nil {
		return nil
	}
	return p.poller.States()
}

// stuck reports whether the sensor loop has stopped making progress.
func (p *sensing) stuck(now time.Time, within time.Duration) bool {
	if p == nil || p.poller == nil {
		return false
	}
	return now.Sub(p.poller.Heartbeat()) > within
}

// colorCyan tells the who-am-I text apart from messages users send.
var colorCyan = color.RGBA{0, 200, 255, 255}
