package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/wire"
)

// FrameSource is what the led.frame endpoints read. Snapshot copies the
// frame the LEDs show now (after rotation, flips, brightness and software
// low light: what the device was last sent). Watch extends the lease of the
// live frames to at least d from now and returns the lease's length and the
// most frames a second that will be published.
type FrameSource interface {
	Snapshot(dst *display.Frame)
	Watch(d time.Duration) (lease time.Duration, maxRate int)
}

// frameHandler serves <prefix>.<id>.led.frame: the current frame as raw
// RGB888 (192 bytes, row-major) by default, or as an 8x8 PNG when the
// request is "png" or {"format":"png"}.
type frameHandler struct {
	s   *Service
	src FrameSource
}

// frameFormat reads the request: empty, "raw", "rgb888", "png", or a JSON
// object {"format": one of those}.
func frameFormat(b []byte) (string, error) {
	t := strings.TrimSpace(string(b))
	if strings.HasPrefix(t, "{") {
		var req struct {
			Format string `json:"format"`
		}
		dec := json.NewDecoder(strings.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return "", &payload.Error{Msg: "led.frame: bad JSON request: " + err.Error() + `; send {"format":"png"} or {"format":"raw"}`}
		}
		t = req.Format
	}
	switch strings.ToLower(t) {
	case "", "raw", "rgb888":
		return "raw", nil
	case "png":
		return "png", nil
	}
	return "", &payload.Error{Msg: fmt.Sprintf("led.frame: unknown format %q; send nothing or \"raw\" for 192 bytes of RGB888, \"png\" for a PNG", truncateForError(t))}
}

func truncateForError(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// Handle implements micro.Handler.
func (h *frameHandler) Handle(req micro.Request) {
	format, err := frameFormat(req.Data())
	if err != nil {
		h.s.fail(req, "led.frame", err)
		return
	}
	f := display.NewFrame()
	h.src.Snapshot(f)
	out := f.Pix
	var hdr micro.Headers
	if format == "png" {
		var buf bytes.Buffer
		if err := png.Encode(&buf, f); err != nil {
			h.s.fail(req, "led.frame", fmt.Errorf("encoding PNG: %w", err))
			return
		}
		out = buf.Bytes()
		hdr = micro.Headers{"Content-Type": []string{"image/png"}}
	} else {
		hdr = micro.Headers{"Content-Type": []string{"application/octet-stream"}}
	}
	if err := req.Respond(out, micro.WithHeaders(hdr)); err != nil {
		h.s.log.Debug("frame reply", "err", err)
	}
}

// watchHandler serves <prefix>.<id>.led.frame.watch: each request leases
// the live frames for the seconds it asks (empty: wire.DefaultLease; a number or
// {"seconds":N}, at most wire.MaxLease).
type watchHandler struct {
	s    *Service
	src  FrameSource
	live string
}

func leaseLength(b []byte) (time.Duration, error) {
	t := strings.TrimSpace(string(b))
	if t == "" {
		return wire.DefaultLease, nil
	}
	var secs float64
	if strings.HasPrefix(t, "{") {
		var req struct {
			Seconds float64 `json:"seconds"`
		}
		dec := json.NewDecoder(strings.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return 0, &payload.Error{Msg: "led.frame.watch: bad JSON request: " + err.Error() + `; send {"seconds":N} or nothing`}
		}
		secs = req.Seconds
	} else {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return 0, &payload.Error{Msg: fmt.Sprintf("led.frame.watch: %q is not a number of seconds; send nothing for %v, or N seconds up to %v", truncateForError(t), wire.DefaultLease, wire.MaxLease)}
		}
		secs = v
	}
	if !(secs > 0) || secs > wire.MaxLease.Seconds() {
		return 0, &payload.Error{Msg: fmt.Sprintf("led.frame.watch: %v seconds is out of range; ask for more than 0 and at most %v", secs, wire.MaxLease)}
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// Handle implements micro.Handler.
func (h *watchHandler) Handle(req micro.Request) {
	d, err := leaseLength(req.Data())
	if err != nil {
		h.s.fail(req, "led.frame.watch", err)
		return
	}
	lease, rate := h.src.Watch(d)
	if req.Reply() == "" {
		return
	}
	if err := req.RespondJSON(wire.WatchReply{Subject: h.live, LeaseS: int((lease + time.Second - 1) / time.Second), MaxRateHz: rate, Format: "rgb888"}); err != nil {
		h.s.log.Debug("watch reply", "err", err)
	}
}

// frameEndpoints returns the handlers of led.frame and led.frame.watch, or
// nils when the device has no frame to show.
func frameEndpoints(s *Service, src FrameSource, subj wire.Subjects) (frame, watch micro.Handler) {
	if src == nil {
		return nil, nil
	}
	return &frameHandler{s: s, src: src}, &watchHandler{s: s, src: src, live: subj.FrameLive()}
}
