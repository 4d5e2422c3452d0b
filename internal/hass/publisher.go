package hass

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// AvailabilityPeriod is how often "online" is repeated, and how often the
// board is looked at again (a magnetometer calibrated since adds the
// heading). One small message a minute: nothing next to the readings.
const AvailabilityPeriod = time.Minute

// Settle is how long after a discovery message "online" is sent again:
// Home Assistant subscribes to the availability topic only once it has set
// the entities up, so the first "online" can come too early.
const Settle = 2 * time.Second

// Publisher keeps one device announced to Home Assistant. Start it after
// connecting; call Resend after every (re)connect and Stop on a clean stop.
type Publisher struct {
	nc    *nats.Conn
	dev   Device
	board func() Board
	log   *slog.Logger

	period time.Duration
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	sub    *nats.Subscription

	mu   sync.Mutex
	last []byte
	sent int
}

// Start subscribes to Home Assistant's birth messages and sends discovery
// and "online" now. board is called each time discovery is built, so it
// can tell what the board has at that moment. It returns an error when the
// device or the subscription is not valid.
func Start(nc *nats.Conn, dev Device, board func() Board, log *slog.Logger) (*Publisher, error) {
	return start(nc, dev, board, log, AvailabilityPeriod)
}

// start is Start with the period of "online" and of the board's second
// look, which tests shorten.
func start(nc *nats.Conn, dev Device, board func() Board, log *slog.Logger, period time.Duration) (*Publisher, error) {
	if _, err := Message(dev, board()); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Publisher{nc: nc, dev: dev, board: board, log: log, period: period, kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	sub, err := nc.Subscribe(dev.HA.Status(), func(m *nats.Msg) {
		if isBirth(m.Data) {
			p.Resend()
		}
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("hass: subscribing to Home Assistant's birth messages on %s: %w", dev.HA.Status(), err)
	}
	p.sub = sub
	p.Resend()
	go p.run(ctx)
	return p, nil
}

// isBirth tells Home Assistant's birth message ("online") from its last
// will ("offline") on the same topic.
func isBirth(data []byte) bool { return string(bytes.TrimSpace(data)) == Online }

// Resend asks for discovery and "online" to be sent again soon. It never
// blocks; call it from a reconnect handler.
func (p *Publisher) Resend() {
	if p == nil {
		return
	}
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Sent is how many discovery messages were published.
func (p *Publisher) Sent() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent
}

func (p *Publisher) run(ctx context.Context) {
	defer close(p.done)
	tick := time.NewTicker(p.period)
	defer tick.Stop()
	settle := time.NewTimer(Settle)
	settle.Stop()
	defer settle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
			p.announce(true)
			settle.Reset(Settle)
		case <-settle.C:
			p.online()
		case <-tick.C:
			// A board that changed (a calibrated magnetometer) is
			// announced again; otherwise only "online".
			if p.announce(false) {
				settle.Reset(Settle)
			}
		}
	}
}

// announce publishes discovery (always when force, else only if it
// changed) and "online". It reports whether discovery was published.
func (p *Publisher) announce(force bool) bool {
	msg, err := Message(p.dev, p.board())
	if err != nil {
		p.log.Warn("home assistant discovery", "err", err)
		return false
	}
	p.mu.Lock()
	changed := !bytes.Equal(msg, p.last)
	p.mu.Unlock()
	sent := false
	if force || changed {
		if !p.nc.IsConnected() {
			// Sent again on reconnect: a buffered copy would only
			// repeat it.
			return false
		}
		if err := p.nc.Publish(p.dev.ConfigSubject(), msg); err != nil {
			p.log.Warn("publishing home assistant discovery", "subject", p.dev.ConfigSubject(), "err", err)
			return false
		}
		p.mu.Lock()
		p.last, p.sent = msg, p.sent+1
		p.mu.Unlock()
		sent = true
	}
	p.online()
	return sent
}

func (p *Publisher) online() {
	if !p.nc.IsConnected() {
		return
	}
	if err := p.nc.Publish(p.dev.Subjects.Availability(), []byte(Online)); err != nil {
		p.log.Debug("publishing availability", "err", err)
	}
	// The state is not retained either: Home Assistant started after the
	// last change gets it here.
	if p.dev.State != nil {
		if b := p.dev.State(); b != nil {
			if err := p.nc.Publish(p.dev.Subjects.State(), b); err != nil {
				p.log.Debug("publishing the reported state", "err", err)
			}
		}
	}
}

// Stop stops re-sending and says "offline", flushed so it leaves before
// the connection is drained. It is safe to call once.
func (p *Publisher) Stop() error {
	p.cancel()
	<-p.done
	var errs []error
	if err := p.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		errs = append(errs, fmt.Errorf("hass: unsubscribing from birth messages: %w", err))
	}
	if p.nc.IsConnected() {
		if err := p.nc.Publish(p.dev.Subjects.Availability(), []byte(Offline)); err != nil {
			errs = append(errs, fmt.Errorf("hass: publishing offline: %w", err))
		} else if err := p.nc.FlushTimeout(2 * time.Second); err != nil {
			errs = append(errs, fmt.Errorf("hass: flushing offline: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Remove takes a device out of Home Assistant: an empty discovery message
// removes the device and every entity (Home Assistant's MQTT docs,
// "Discovery payload"), then "offline". It is what `sensehat ha-remove`
// sends; the daemon must be stopped first, or it announces itself again on
// the next birth message or reconnect.
func Remove(nc *nats.Conn, dev Device) error {
	if err := nc.Publish(dev.ConfigSubject(), nil); err != nil {
		return fmt.Errorf("hass: publishing the empty discovery message on %s: %w", dev.ConfigSubject(), err)
	}
	if err := nc.Publish(dev.Subjects.Availability(), []byte(Offline)); err != nil {
		return fmt.Errorf("hass: publishing offline: %w", err)
	}
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		return fmt.Errorf("hass: flushing to the server: %w", err)
	}
	return nil
}
