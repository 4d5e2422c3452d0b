package service

import (
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// ErrStoredMessage refuses a message that a JetStream stream sent, not a
// requester: see notStored.
var ErrStoredMessage = errors.New("a JetStream answer (Nats-Stream header), not a request: a reply subject pointed at this endpoint")

// notStored keeps JetStream's answers out of every endpoint. nats-server
// checks a request's subject against the requester's permissions, never
// its reply subject, so a device may ask the hub for a direct get of its
// own desired-state key with this device's led.text as the reply subject,
// and the hub's JetStream publishes the value there.
// Such an answer carries the stream's name: nats-server v2.15.2 writes
// "Nats-Stream: <stream>" first in the header of every direct-get answer
// (server/stream.go: the dg and dgb formats of getDirectRequest and
// getDirectMulti, or genHeader(hdr, JSStream, name) when the message has
// headers of its own), and so does a republish (server/stream.go, the ht
// and htho formats). No requester sends it, so a message that has it is
// dropped unanswered, counted and logged as a refusal.
//
// A message get through the API ($JS.API.STREAM.MSG.GET, jsMsgGetRequest
// in server/jetstream_api.go) is answered with JSON of a fixed shape, the
// stored message base64-encoded in it, and devices may not ask for one.
// But a direct get with "no_hdr": true in its body is answered without
// any header (getDirectRequest skips them), and that answer cannot be
// told from a request (docs/fleet.md, "What permissions cannot refuse").
type notStored struct {
	s    *Service
	name string
	next micro.Handler
}

// Handle implements micro.Handler.
func (h *notStored) Handle(req micro.Request) {
	if st := req.Headers().Get(nats.JSStream); st != "" {
		h.s.errs.Record("request", fmt.Errorf("%s: %w", h.name, ErrStoredMessage))
		h.s.errs.Warn(h.s.log, "request refused", "request refused", "endpoint", h.name, "subject", req.Subject(),
			"stream", st, "err", ErrStoredMessage)
		return
	}
	h.next.Handle(req)
}
