package wire

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/sensehat"
)

// Publisher sends what the board senses: joystick events as they happen,
// sensor readings as the poller makes them (it is the poller's
// sensors.Sink). Payload buffers are reused so
// the steady state allocates nothing per message. It keeps the last
// payload of each kind for the status reply.
type Publisher struct {
	nc   *nats.Conn
	errs *health.Registry

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
	sensBuf []byte
}

// NewPublisher publishes on nc under s, counting failed publishes in errs
// (which may be nil).
func NewPublisher(nc *nats.Conn, s Subjects, errs *health.Registry) *Publisher {
	p := &Publisher{nc: nc, errs: errs, envSubj: s.Env(), movSubj: s.Motion(), colSubj: s.Colour()}
	for k := sensehat.KeyUp; k <= sensehat.KeyMiddle; k++ {
		p.joySubj[k] = s.Joystick(k.String())
	}
	return p
}

// Joystick publishes one event: {"key":"up","action":"pressed","time":...}.
// Events of keys outside the joystick's five are dropped. It is called
// from one goroutine.
func (p *Publisher) Joystick(ev sensehat.Event) {
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
	p.publish(p.joySubj[ev.Key], b)
	p.keep(&p.lastJoy, b)
}

// Env publishes one sensors.env reading. Env, Motion and Colour are
// called from one goroutine, the poller's: they share a buffer.
func (p *Publisher) Env(r *Env) {
	p.sensBuf = AppendEnv(p.sensBuf[:0], r)
	p.publish(p.envSubj, p.sensBuf)
	p.keep(&p.lastEnv, p.sensBuf)
}

// Motion publishes one sensors.motion reading.
func (p *Publisher) Motion(r *Motion) {
	p.sensBuf = AppendMotion(p.sensBuf[:0], r)
	p.publish(p.movSubj, p.sensBuf)
	p.keep(&p.lastMov, p.sensBuf)
}

// Colour publishes one sensors.colour reading.
func (p *Publisher) Colour(r *Colour) {
	p.sensBuf = AppendColour(p.sensBuf[:0], r)
	p.publish(p.colSubj, p.sensBuf)
	p.keep(&p.lastCol, p.sensBuf)
}

func (p *Publisher) publish(subj string, b []byte) {
	if err := p.nc.Publish(subj, b); err != nil && p.errs != nil {
		p.errs.Record("nats", err)
	}
}

func (p *Publisher) keep(dst *[]byte, b []byte) {
	p.mu.Lock()
	*dst = append((*dst)[:0], b...)
	p.mu.Unlock()
}

// Last returns copies of the last payloads for the status reply.
func (p *Publisher) Last() LastReadings {
	p.mu.Lock()
	defer p.mu.Unlock()
	raw := func(b []byte) json.RawMessage {
		if len(b) == 0 {
			return nil
		}
		return append(json.RawMessage(nil), b...)
	}
	return LastReadings{Env: raw(p.lastEnv), Motion: raw(p.lastMov), Joystick: raw(p.lastJoy), Colour: raw(p.lastCol)}
}
