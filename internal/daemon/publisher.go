package daemon

import (
	"context"
	"image/color"
	"sync"
	"time"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/publish"
	"github.com/sensehat/sensehat/internal/sensors"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat"
)

// sensing runs the joystick and the sensor poller and hands what they
// produce to the wire publisher; it owns their goroutines, not the
// payloads.
type sensing struct {
	d      *Daemon
	out    *publish.Publisher
	poller *sensors.Poller
}

func newSensing(d *Daemon) *sensing {
	p := &sensing{d: d, out: publish.New(d.nc, wire.Subjects{Prefix: d.Config.Prefix, ID: d.Config.ID}, &d.errs)}
	p.out.SetResendWindow(d.Config.ResendWindow)
	if d.hw.Sensors != nil {
		poller, err := sensors.NewPoller(*d.hw.Sensors, sensors.Opts{
			EnvInterval:    d.Config.EnvInterval,
			MotionInterval: d.Config.MotionInterval,
			ColourInterval: d.Config.ColourInterval,
			TempFactor:     d.Config.TempFactor,
			StateDir:       d.Config.StateDir,
			Log:            d.Log,
			Errors:         &d.errs,
		})
		if err != nil {
			d.Log.Error("sensors disabled", "err", err)
			d.errs.Record("sensors", err)
		} else {
			p.poller = poller
		}
	}
	return p
}

func (p *sensing) run(ctx context.Context) {
	var wg sync.WaitGroup
	if js := p.d.hw.Joystick; js != nil {
		events := make(chan sensehat.Event, 64)
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := js.Run(ctx, events); err != nil && ctx.Err() == nil {
				p.d.Log.Error("joystick stopped", "err", err)
				p.d.errs.Record("joystick", err)
			}
		}()
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case ev := <-events:
					p.joystick(ev)
				}
			}
		}()
	}
	if p.poller != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.poller.Run(ctx, p.out)
		}()
	}
	wg.Wait()
}

// joystick publishes one event and answers a middle press.
func (p *sensing) joystick(ev sensehat.Event) {
	p.out.Joystick(ev)
	if ev.Key == sensehat.KeyMiddle && ev.Action == sensehat.Pressed {
		p.whoAmI()
	}
}

// whoAmI shows the device id and address on a middle press when the matrix
// has nothing else to do, so someone holding the Pi can find it on the
// network.
func (p *sensing) whoAmI() {
	st := p.d.player.Status()
	if st.QueueLen > 0 || st.Showing != "" {
		return
	}
	server := ""
	if p.d.nc.IsConnected() {
		server = p.d.nc.ConnectedAddr()
	}
	text := p.d.Config.ID + " " + localIP(server, systemAddrSources)
	if _, err := p.d.player.Submit(display.TextItem(text, display.ScrollOpts{Fg: colorCyan, Speed: 12, Repeat: 1}), display.Queue); err != nil {
		p.d.Log.Debug("who-am-I text", "err", err)
	}
}

// published counts what went out, for the status reply.
func (p *sensing) published() wire.PublishedStatus {
	if p.out == nil {
		return wire.PublishedStatus{}
	}
	return p.out.Published()
}

// last returns the last payloads for the status reply.
func (p *sensing) last() wire.LastReadings {
	if p.out == nil {
		return wire.LastReadings{}
	}
	return p.out.Last()
}

func (p *sensing) sensorStates() map[string]string {
	if p.poller == nil {
		return nil
	}
	return p.poller.States()
}

// stuck reports whether the sensor loop has stopped making progress.
func (p *sensing) stuck(now time.Time, within time.Duration) bool {
	if p.poller == nil {
		return false
	}
	return now.Sub(p.poller.Heartbeat()) > within
}

// colorCyan tells the who-am-I text apart from messages users send.
var colorCyan = color.RGBA{0, 200, 255, 255}
