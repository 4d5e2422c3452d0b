// Package publish sends what the board senses on the subjects of the
// contract (package wire): joystick events and sensor readings, each with
// a Nats-Msg-Id that stays the same however often it is forwarded (so a
// JetStream stream stores it once), counted per kind, and sent again after
// a lost connection within a resend window (store and forward).
package publish

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat"
)

// Errors counts failed publishes by subsystem; *health.Registry
// implements it.
type Errors interface {
	Record(subsystem string, err error)
}

// Publisher sends what the board senses: joystick events as they happen,
// sensor readings as the poller makes them (it is the poller's
// sensors.Sink). Payload buffers are reused so
// the steady state allocates nothing per message. It keeps the last
// payload of each kind for the status reply.
type Publisher struct {
	nc   *nats.Conn
	errs Errors

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
	joyEv   wire.JoystickEvent // reused: an event costs no allocation
	sensBuf []byte

	// ids numbers what goes out, per kind, so a JetStream stream that
	// stores it drops a copy forwarded twice (msgid.go); resend sends the
	// last readings again after a lost connection (resend.go). pubMu
	// serialises the sensor and joystick loops' publishes around both.
	pubMu  sync.Mutex
	ids    msgIDs
	resend resender
}

// New returns a publisher on nc under s, counting failed publishes in errs
// (which may be nil).
func New(nc *nats.Conn, s wire.Subjects, errs Errors) *Publisher {
	p := &Publisher{nc: nc, errs: errs, envSubj: s.Env(), movSubj: s.Motion(), colSubj: s.Colour()}
	p.ids.init(s.ID)
	p.resend.init(0)
	for k := sensehat.KeyUp; k <= sensehat.KeyMiddle; k++ {
		p.joySubj[k] = s.Joystick(k.String())
	}
	return p
}

// SetResendWindow turns on sending the readings of the last window again
// after a lost connection (store and forward: see resend.go); 0 turns it
// off. Call it before the first publish.
func (p *Publisher) SetResendWindow(window time.Duration) {
	p.pubMu.Lock()
	defer p.pubMu.Unlock()
	p.resend.init(window)
}

// Published counts what was handed to NATS, per kind, with the boot nonce
// of the message ids.
func (p *Publisher) Published() wire.PublishedStatus { return p.ids.status() }

// Joystick publishes one event: {"key":"up","action":"pressed","time":...}.
// Events of keys outside the joystick's five are dropped. It is called
// from one goroutine.
func (p *Publisher) Joystick(ev sensehat.Event) {
	if ev.Key < sensehat.KeyUp || ev.Key > sensehat.KeyMiddle {
		return
	}
	p.joyEv = wire.JoystickEvent{Key: ev.Key.String(), Action: ev.Action.String(), Time: ev.Time}
	b := wire.AppendJoystick(p.joyBuf[:0], &p.joyEv)
	p.joyBuf = b
	p.publish(kindJoystick, p.joySubj[ev.Key], b)
	p.keep(&p.lastJoy, b)
}

// Env publishes one sensors.env reading. Env, Motion and Colour are
// called from one goroutine, the poller's: they share a buffer.
func (p *Publisher) Env(r *wire.Env) {
	p.sensBuf = wire.AppendEnv(p.sensBuf[:0], r)
	p.publish(kindEnv, p.envSubj, p.sensBuf)
	p.keep(&p.lastEnv, p.sensBuf)
}

// Motion publishes one sensors.motion reading.
func (p *Publisher) Motion(r *wire.Motion) {
	p.sensBuf = wire.AppendMotion(p.sensBuf[:0], r)
	p.publish(kindMotion, p.movSubj, p.sensBuf)
	p.keep(&p.lastMov, p.sensBuf)
}

// Colour publishes one sensors.colour reading.
func (p *Publisher) Colour(r *wire.Colour) {
	p.sensBuf = wire.AppendColour(p.sensBuf[:0], r)
	p.publish(kindColour, p.colSubj, p.sensBuf)
	p.keep(&p.lastCol, p.sensBuf)
}

// publish sends one reading or event with its Nats-Msg-Id and counts it
// once the client has taken it. A failed publish keeps its sequence number
// for the next message, so the ids a stream holds have no gap that is not
// a reading lost here (and counted in errors).
func (p *Publisher) publish(k kind, subj string, b []byte) {
	p.pubMu.Lock()
	defer p.pubMu.Unlock()
	p.resend.before(p.nc)
	m := p.ids.next(k, subj, b)
	if err := p.nc.PublishMsg(m); err != nil {
		if p.errs != nil {
			p.errs.Record("nats", err)
		}
		return
	}
	p.ids.sent(k)
	p.resend.after(m)
}

func (p *Publisher) keep(dst *[]byte, b []byte) {
	p.mu.Lock()
	*dst = append((*dst)[:0], b...)
	p.mu.Unlock()
}

// Last returns copies of the last payloads for the status reply.
func (p *Publisher) Last() wire.LastReadings {
	p.mu.Lock()
	defer p.mu.Unlock()
	raw := func(b []byte) json.RawMessage {
		if len(b) == 0 {
			return nil
		}
		return append(json.RawMessage(nil), b...)
	}
	return wire.LastReadings{Env: raw(p.lastEnv), Motion: raw(p.lastMov), Joystick: raw(p.lastJoy), Colour: raw(p.lastCol)}
}
