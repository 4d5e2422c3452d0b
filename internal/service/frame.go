package service

import (
	"bytes"
	"fmt"
	"image/png"
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
// request asks for it (payload.ParseFrame).
type frameHandler struct {
	s   *Service
	src FrameSource
}

// snapshot answers a led.frame request with the frame now shown.
func (h *frameHandler) snapshot(req micro.Request, r wire.Frame) error {
	f := display.NewFrame()
	h.src.Snapshot(f)
	out := f.Pix
	var hdr micro.Headers
	if r.Format == wire.FormatPNG {
		var buf bytes.Buffer
		if err := png.Encode(&buf, f); err != nil {
			return fmt.Errorf("led.frame: encoding PNG: %w", err)
		}
		out = buf.Bytes()
		hdr = micro.Headers{"Content-Type": []string{"image/png"}}
	} else {
		hdr = micro.Headers{"Content-Type": []string{"application/octet-stream"}}
	}
	if err := req.Respond(out, micro.WithHeaders(hdr)); err != nil {
		h.s.log.Debug("frame reply", "err", err)
	}
	return nil
}

// watchHandler serves <prefix>.<id>.led.frame.watch: each request leases
// the live frames for the seconds it asks (payload.ParseFrameWatch).
type watchHandler struct {
	s    *Service
	src  FrameSource
	live string
}

// lease starts or extends the live frames for d and says where they go.
func (h *watchHandler) lease(req micro.Request, d time.Duration) error {
	lease, rate := h.src.Watch(d)
	h.s.answer(req, "watch reply", wire.WatchReply{Subject: h.live, LeaseS: int((lease + time.Second - 1) / time.Second), MaxRateHz: rate, Format: "rgb888"})
	return nil
}

// frameEndpoints returns the handlers of led.frame and led.frame.watch, or
// nils when the device has no frame to show.
func frameEndpoints(s *Service, src FrameSource, subj wire.Subjects) (frame, watch micro.Handler) {
	if src == nil {
		return nil, nil
	}
	return parsed(s, "led.frame", payload.ParseFrame, (&frameHandler{s: s, src: src}).snapshot),
		parsed(s, "led.frame.watch", payload.ParseFrameWatch, (&watchHandler{s: s, src: src, live: subj.FrameLive()}).lease)
}
