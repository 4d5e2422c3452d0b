package daemon

import (
	"context"
	"encoding/json"
	"image/color"
	"sync"
	"time"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/sensors"
	"github.com/sensehat/sensehat/sensehat"
)

// publisher sends what the board senses: joystick events as they happen,
// sensor readings at their intervals. Payload buffers are reused so the
// steady state allocates nothing per reading.
type publisher struct {
	d      *Daemon
	poller *sensors.Poller

	mu      sync.Mutex
	lastEnv []byte
	lastMov []byte
	lastJoy []byte
	lastCol []byte

	joySubj [sensehat.KeyMiddle + 1]string
	envSubj string
	movSubj string
	colSubj string
	joyBuf  []byte

	// ids numbers what goes out, per kind, so a JetStream stream that
	// stores it drops a copy forwarded twice (msgid.go); resend sends the
	// last readings again after a lost connection (resend.go). pubMu
	// serialises the sensor and joystick loops' publishes around both.
	pubMu  sync.Mutex
	ids    msgIDs
	resend resender
}

func newPublisher(d *Daemon) *publisher {
	base := d.Config.Prefix + "." + d.Config.ID
	p := &publisher{d: d, envSubj: base + ".sensors.env", movSubj: base + ".sensors.motion", colSubj: base + ".sensors.colour"}
	p.ids.init(d.Config.ID)
	p.resend.init(d.Config.ResendWindow)
	for k := sensehat.KeyUp; k <= sensehat.KeyMiddle; k++ {
		p.joySubj[k] = base + ".joystick." + k.String()
	}
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

func (p *publisher) run(ctx context.Context) {
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
			p.poller.Run(ctx, p.sensor)
		}()
	}
	wg.Wait()
}

// joystick publishes one event: {"key":"up","action":"pressed","time":...}.
func (p *publisher) joystick(ev sensehat.Event) {
	if ev.Key < sensehat.KeyUp || ev.Key > sensehat.KeyMiddle {
		return
	}
	b := p.joyBuf[:0]
	b = append(b, `{"key":"`...)
	b = append(b, ev.Key.String()...)
	b = append(b, `","action":"`...)
	b = append(b, ev.Action.String()...)
	b = append(b, `","time":"`...)
	b = ev.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"}`...)
	p.joyBuf = b
	p.publish(kindJoystick, p.joySubj[ev.Key], b)
	p.keep(&p.lastJoy, b)
	if ev.Key == sensehat.KeyMiddle && ev.Action == sensehat.Pressed {
		p.whoAmI()
	}
}

// whoAmI shows the device id and address on a middle press when the matrix
// has nothing else to do, so someone holding the Pi can find it on the
// network.
func (p *publisher) whoAmI() {
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

// sensor publishes one reading of kind "env", "motion" or "colour".
func (p *publisher) sensor(kind string, payload []byte) {
	k, subj, last := kindEnv, p.envSubj, &p.lastEnv
	switch kind {
	case "motion":
		k, subj, last = kindMotion, p.movSubj, &p.lastMov
	case "colour":
		k, subj, last = kindColour, p.colSubj, &p.lastCol
	}
	p.publish(k, subj, payload)
	p.keep(last, payload)
}

// publish sends one reading or event with its Nats-Msg-Id and counts it
// once the client has taken it. A failed publish keeps its sequence number
// for the next message, so the ids a stream holds have no gap that is not
// a reading lost here (and counted in errors).
func (p *publisher) publish(k kind, subj string, data []byte) {
	p.pubMu.Lock()
	defer p.pubMu.Unlock()
	p.resend.before(p.d.nc)
	m := p.ids.next(k, subj, data)
	if err := p.d.nc.PublishMsg(m); err != nil {
		p.d.errs.Record("nats", err)
		return
	}
	p.ids.sent(k)
	p.resend.after(m)
}

func (p *publisher) keep(dst *[]byte, b []byte) {
	p.mu.Lock()
	*dst = append((*dst)[:0], b...)
	p.mu.Unlock()
}

// last returns copies of the last payloads for the status reply.
func (p *publisher) last() LastReadings {
	p.mu.Lock()
	defer p.mu.Unlock()
	raw := func(b []byte) any {
		if len(b) == 0 {
			return nil
		}
		return json.RawMessage(append([]byte(nil), b...))
	}
	return LastReadings{Env: raw(p.lastEnv), Motion: raw(p.lastMov), Joystick: raw(p.lastJoy), Colour: raw(p.lastCol)}
}

func (p *publisher) sensorStates() map[string]string {
	if p.poller == nil {
		return nil
	}
	return p.poller.States()
}

// stuck reports whether the sensor loop has stopped making progress.
func (p *publisher) stuck(now time.Time, within time.Duration) bool {
	if p.poller == nil {
		return false
	}
	return now.Sub(p.poller.Heartbeat()) > within
}

// colorCyan tells the who-am-I text apart from messages users send.
var colorCyan = color.RGBA{0, 200, 255, 255}
