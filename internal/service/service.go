// Package service is the device's face on NATS: a micro service named
// wire.ServiceName whose endpoints are the contract's request subjects
// (led.*, status, colour.config on boards with a colour sensor, and the
// all/any fan-out subjects), each a small handler holding what it needs.
// Requests are parsed by package payload, once; refusals carry a
// wire.Code from where they start, and microCode turns it into the micro
// error code, here and nowhere else.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/wire"
)

// Errors counts what the service refuses and keeps a flood of refusals
// out of the log; *health.Registry implements it.
type Errors interface {
	Record(subsystem string, err error)
	Warn(log *slog.Logger, kind, msg string, args ...any)
}

// Player is what the LED endpoints drive; *display.Player implements it.
type Player interface {
	Submit(it display.Item, mode display.Mode) (*display.Ticket, error)
	SetConfig(c display.Config) error
}

// Config describes the service to register.
type Config struct {
	Prefix  string
	ID      string
	Version string
	// Metadata is added to the micro service info (backend names).
	Metadata map[string]string
	// Status returns the status reply, which the handler encodes with
	// wire.AppendStatus.
	Status func() wire.Status
	// Colour, when set, serves <prefix>.<id>.colour.config; a board
	// without a colour sensor has no such endpoint.
	Colour ColourSetter
	// Frame, when set, serves <prefix>.<id>.led.frame (the matrix now) and
	// <prefix>.<id>.led.frame.watch (leases of the live frames).
	Frame FrameSource
	// OnConfig, if set, is told of every led.config request applied (the
	// desired state writes it back); OnColour of every colour.config one
	// that changed a setting.
	OnConfig func(c display.Config)
	OnColour func(gain, cycles *int)
	// PendingMsgs and PendingBytes cap what each endpoint holds unread
	// while its handler is busy; beyond them the client drops requests
	// (their requesters time out) and reports a slow consumer, which
	// status counts. Zero means the defaults (DefaultPendingMsgs and the
	// byte limit of each endpoint's class); a PendingBytes given lowers
	// every endpoint's byte limit to it, never raises one.
	PendingMsgs, PendingBytes int
}

// Pending limits per endpoint, in bytes of unread requests (nats.go counts
// payload and headers), and in messages for all of them. nats.go's own
// (512Ki messages, 64 MiB per subscription) let a flood across the ten
// endpoints hold over a gigabyte. Every request the server delivers is
// read and allocated before nats.go can drop it, so what a flood costs is
// what is held plus that garbage, and both shrink when the handler keeps
// up: these limits, PendingBudget in all, are what the handlers' pace
// needs (RELIABILITY.md, "Memory and threads under floods"):
//   - led.text, DefaultPendingBytes: the one endpoint a sender aims at one
//     device; it holds the backlog of 10,000 texts of 1 KiB sent in a
//     second to a handler that refuses them at the race detector's pace
//     on a loaded machine (TestHardeningTextFlood), so each of them gets
//     its 503;
//   - all.led.text, any.led.text and led.pixels, SharedPendingBytes: one
//     of the largest pixel requests (1 MiB) with room for smaller ones
//     come meanwhile, or 1,500 texts;
//   - clear, config, status, colour, frame and frame.watch,
//     SmallPendingBytes: requests of a few bytes, a few thousand of them.
const (
	// DefaultPendingMsgs caps the unread requests of every endpoint.
	DefaultPendingMsgs = 16 << 10
	// DefaultPendingBytes is led.text's limit.
	DefaultPendingBytes = 8 << 20
	// SharedPendingBytes is the limit of led.pixels, all.led.text and
	// any.led.text.
	SharedPendingBytes = 3 << 19
	// SmallPendingBytes is the limit of the endpoints of small requests.
	SmallPendingBytes = 256 << 10
	// PendingBudget is the sum of the endpoints' byte limits.
	PendingBudget = DefaultPendingBytes + 3*SharedPendingBytes + 6*SmallPendingBytes
)

// pendingClass says which limit an endpoint gets.
type pendingClass int

const (
	pendingDefault pendingClass = iota
	pendingShared
	pendingSmall
)

// pendingBytes is the byte limit of an endpoint of class c: the class's
// default, lowered to cfgBytes when that is set.
func pendingBytes(c pendingClass, cfgBytes int) int {
	b := DefaultPendingBytes
	switch c {
	case pendingShared:
		b = SharedPendingBytes
	case pendingSmall:
		b = SmallPendingBytes
	}
	if cfgBytes > 0 {
		b = min(b, cfgBytes)
	}
	return b
}

// Service is a running device service.
type Service struct {
	nc      *nats.Conn
	svc     micro.Service
	log     *slog.Logger
	errs    Errors
	pending sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

// Start registers the micro service on nc. nc may still be connecting: the
// subscriptions are sent when the connection comes up.
func Start(nc *nats.Conn, p Player, cfg Config, log *slog.Logger, errs Errors) (*Service, error) {
	if cfg.Prefix == "" || cfg.ID == "" {
		return nil, errors.New("service: prefix and id are required")
	}
	md := map[string]string{"id": cfg.ID}
	for k, v := range cfg.Metadata {
		md[k] = v
	}
	svc, err := micro.AddService(nc, micro.Config{
		Name:        wire.ServiceName,
		Version:     cfg.Version,
		Description: "Sense HAT on NATS: LED matrix, joystick and sensors of device " + cfg.ID,
		Metadata:    md,
		// micro calls this for an async error on one of its subscriptions
		// and then hands the same error to the connection's own handler,
		// which counts and logs every async error (slow consumer,
		// permission violation): counting it here too showed each one
		// twice. What only micro sees (a failed reply to $SRV.PING, INFO
		// or STATS) is kept at debug level.
		ErrorHandler: func(_ micro.Service, e *micro.NATSError) {
			log.Debug("service subscription error", "subject", e.Subject, "err", e.Description)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("service: registering micro service %q: %w", wire.ServiceName, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{nc: nc, svc: svc, log: log, errs: errs, ctx: ctx, cancel: cancel}

	subj := wire.Subjects{Prefix: cfg.Prefix, ID: cfg.ID}
	led := func(name string, parse func([]byte) (payload.LED, error)) micro.Handler {
		return parsed(s, name, parse, (&ledHandler{s: s, p: p, id: cfg.ID}).submit)
	}
	text := led("led.text", payload.LEDText)
	frame, watch := frameEndpoints(s, cfg.Frame, subj)
	eps := []struct {
		name, subject string
		h             micro.Handler
		pending       pendingClass
		opts          []micro.EndpointOpt
	}{
		{"led_text", subj.Text(), text, pendingDefault, nil},
		{"led_pixels", subj.Pixels(), led("led.pixels", payload.LEDPixels), pendingShared, nil},
		{"led_clear", subj.Clear(), led("led.clear", payload.LEDClear), pendingSmall, nil},
		{"led_config", subj.Config(), parsed(s, "led.config", payload.ParseConfig, (&configHandler{s: s, p: p, done: cfg.OnConfig}).set), pendingSmall, nil},
		{"status", subj.Status(), &statusHandler{s: s, status: cfg.Status}, pendingSmall, nil},
		// Every device must see "all": no queue group.
		{"all_led_text", subj.AllText(), text, pendingShared, []micro.EndpointOpt{micro.WithEndpointQueueGroupDisabled()}},
		{"any_led_text", subj.AnyText(), text, pendingShared, []micro.EndpointOpt{micro.WithEndpointQueueGroup(wire.AnyQueue)}},
		{"colour_config", subj.ColourConfig(), colourEndpoint(s, cfg.Colour, cfg.OnColour), pendingSmall, nil},
		{"led_frame", subj.Frame(), frame, pendingSmall, nil},
		{"led_frame_watch", subj.FrameWatch(), watch, pendingSmall, nil},
	}
	msgs := cfg.PendingMsgs
	if msgs <= 0 {
		msgs = DefaultPendingMsgs
	}
	for _, ep := range eps {
		if ep.h == nil {
			continue // the board lacks what the endpoint drives
		}
		b := pendingBytes(ep.pending, cfg.PendingBytes)
		opts := append([]micro.EndpointOpt{micro.WithEndpointSubject(ep.subject), micro.WithEndpointPendingLimits(msgs, b)}, ep.opts...)
		h := &notStored{s: s, name: ep.name, next: ep.h}
		if err := svc.AddEndpoint(ep.name, h, opts...); err != nil {
			_ = svc.Stop()
			cancel()
			return nil, fmt.Errorf("service: adding endpoint %s on %s: %w", ep.name, ep.subject, err)
		}
	}
	return s, nil
}

// Info returns the micro service's description (id, endpoints).
func (s *Service) Info() micro.Info { return s.svc.Info() }

// Stop drains the endpoints, then answers every request still waiting for
// its text to be shown with displayed=false, and waits for those replies.
func (s *Service) Stop() error {
	err := s.svc.Stop()
	s.cancel()
	s.pending.Wait()
	return err
}

// fail answers a request that could not be served, with the micro error
// code of the error's wire.Code (see microCode). Without a reply subject
// the error is logged.
func (s *Service) fail(req micro.Request, endpoint string, err error) {
	s.errs.Record("request", fmt.Errorf("%s: %w", endpoint, err))
	if req.Reply() == "" {
		// A flood of bad requests without a reply subject must not become
		// a flood of log lines: the count is in the status reply.
		s.errs.Warn(s.log, "request refused", "request refused", "endpoint", endpoint, "subject", req.Subject(), "err", err)
		return
	}
	if !s.canReply() {
		return
	}
	if rerr := req.Error(microCode(wire.ErrorCode(err)), err.Error(), nil); rerr != nil {
		s.errs.Warn(s.log, "error reply failed", "sending error reply", "endpoint", endpoint, "err", rerr)
	}
}

// canReply says whether a reply now can reach its requester. While the
// connection is down nats.go would keep the reply in the reconnect
// buffer, which is there for readings and joystick events: a flood that
// got the connection closed as a slow consumer filled it with refusals,
// megabytes of replies whose requesters had long given up.
func (s *Service) canReply() bool {
	if s.nc.IsConnected() {
		return true
	}
	s.log.Debug("reply dropped: not connected")
	return false
}

// microCode is the one place the contract's error codes become micro's
// (Nats-Service-Error-Code, HTTP's numbers): 400 for a request to fix, 503
// for one to send again later (the queue is full, a sensor does not
// answer), 500 for anything else.
func microCode(c wire.Code) string {
	switch c {
	case wire.Invalid:
		return "400"
	case wire.Busy, wire.Unavailable:
		return "503"
	}
	return "500"
}

// replyWhenShown answers req once the ticket completes, without holding up
// the endpoint's subscription while the text scrolls. The goroutine keeps
// the reply subject, not req: nats.go links each request it queues to the
// next one and never unlinks them, so a request kept for the ten minutes a
// text may wait kept every request handled after it, a flood's worth
// (51 MB of refused texts in RELIABILITY.md, "Memory and threads under
// floods"; TestShownReplyKeepsNoRequest).
func (s *Service) replyWhenShown(req micro.Request, id string, t *display.Ticket) {
	reply := req.Reply()
	if reply == "" {
		return
	}
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		r := wire.DisplayedReply{ID: id}
		select {
		case <-t.Done():
			res := t.Result()
			r.Displayed = res.Displayed
			r.DurationMS = res.Duration.Milliseconds()
			r.Reason = res.Reason
		case <-s.ctx.Done():
			r.Reason = "shutdown"
		}
		b, err := json.Marshal(r)
		if err == nil {
			err = s.nc.Publish(reply, b)
		}
		if err != nil {
			s.log.Debug("reply after display", "err", err)
		}
	}()
}

// parsedHandler serves an endpoint whose requests carry a payload: every
// one goes through the same steps, parse then serve, and a refusal from
// either goes back through fail under the endpoint's name.
type parsedHandler[T any] struct {
	s     *Service
	name  string
	parse func(data []byte) (T, error)
	serve func(req micro.Request, v T) error
}

// parsed returns the handler of endpoint name: parse reads a request's
// payload, serve acts on what it read and answers.
func parsed[T any](s *Service, name string, parse func([]byte) (T, error), serve func(micro.Request, T) error) micro.Handler {
	return &parsedHandler[T]{s: s, name: name, parse: parse, serve: serve}
}

// Handle implements micro.Handler.
func (h *parsedHandler[T]) Handle(req micro.Request) {
	v, err := h.parse(req.Data())
	if err == nil {
		err = h.serve(req, v)
	}
	if err != nil {
		h.s.fail(req, h.name, err)
	}
}

// answer replies v as JSON when the request has a reply subject; a reply
// that cannot be sent (the requester has gone) is worth a debug line only,
// under what.
func (s *Service) answer(req micro.Request, what string, v any) {
	if req.Reply() == "" {
		return
	}
	if err := req.RespondJSON(v); err != nil {
		s.log.Debug(what, "err", err)
	}
}

// ledHandler serves the endpoints that put an item on the matrix
// (led.text, led.pixels, led.clear): submit the parsed item in its mode,
// answer once it has been shown.
type ledHandler struct {
	s  *Service
	p  Player
	id string
}

// submit puts the parsed item on the matrix and replies once it is shown.
func (h *ledHandler) submit(req micro.Request, led payload.LED) error {
	tk, err := h.p.Submit(led.Item, led.Mode)
	if err != nil {
		return err
	}
	h.s.replyWhenShown(req, h.id, tk)
	return nil
}

type configHandler struct {
	s    *Service
	p    Player
	done func(display.Config) // nil: nobody to tell
}

// set applies led.config and confirms it.
func (h *configHandler) set(req micro.Request, c display.Config) error {
	if err := h.p.SetConfig(c); err != nil {
		return fmt.Errorf("led.config: %w", err)
	}
	if h.done != nil {
		h.done(c)
	}
	h.s.answer(req, "config reply", wire.ConfigReply{OK: true})
	return nil
}

type statusHandler struct {
	s      *Service
	status func() wire.Status
	// buf is the reply, reused: micro runs an endpoint's handler on one
	// goroutine, one request at a time, and Respond copies the bytes
	// into the connection's buffer before it returns.
	buf []byte
}

// Handle implements micro.Handler. The request body is ignored: the
// documented way to ask sends an empty one (nats req <subject> "").
func (h *statusHandler) Handle(req micro.Request) {
	if !h.s.canReply() {
		return
	}
	st := h.status()
	h.buf = wire.AppendStatus(h.buf[:0], &st)
	if err := req.Respond(h.buf); err != nil {
		h.s.log.Debug("status reply", "err", err)
	}
}
