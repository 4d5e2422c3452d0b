package payload

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/wire"
)

// LED is a parsed request for the matrix: the display's item to show and
// how to queue it. The service submits it as it is.
type LED struct {
	Item display.Item
	Mode display.Mode
}

// LEDText parses a led.text payload (see ParseText) into its item: the
// text scrolled with its options, queued or replacing as its mode says.
func LEDText(data []byte) (LED, error) {
	t, err := ParseText(data)
	if err != nil {
		return LED{}, err
	}
	return LED{Item: display.TextItem(t.Text, t.ScrollOpts), Mode: t.Mode}, nil
}

// LEDPixels parses a led.pixels payload (see ParsePixels) into its item:
// a picture or an animation, queued.
func LEDPixels(data []byte) (LED, error) {
	a, err := ParsePixels(data)
	if err != nil {
		return LED{}, err
	}
	return LED{Item: display.AnimationItem(a.Frames, a.Delays, a.Loops), Mode: display.Queue}, nil
}

// LEDClear parses a led.clear payload (see ParseClear) into its item. It
// replaces whatever is queued: someone who asks for a blank matrix wants
// it now.
func LEDClear(data []byte) (LED, error) {
	c, err := ParseClear(data)
	if err != nil {
		return LED{}, err
	}
	return LED{Item: display.ClearItem(c), Mode: display.Replace}, nil
}

// frameFields are the members of a led.frame JSON object.
var frameFields = []string{"format"}

// ParseFrame parses a led.frame request: empty, a format name ("raw",
// "rgb888", "png", any case), or {"format": one of those}. The result's
// Format is wire.FormatRaw or wire.FormatPNG. Errors are *wire.Error with
// code wire.Invalid.
func ParseFrame(data []byte) (wire.Frame, error) {
	const forms = `send nothing or "raw" for 192 bytes of RGB888, "png" for a PNG, or {"format":"png"}`
	if len(data) > MaxPayload {
		return wire.Frame{}, tooLarge("led.frame", len(data), MaxPayload)
	}
	name := bytes.TrimSpace(data)
	if firstNonSpace(data) == '{' {
		m, err := decodeFlatObject("led.frame", data, frameFields, forms, forms)
		if err != nil {
			return wire.Frame{}, err
		}
		name = nil
		if raw, ok := m["format"]; ok {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return wire.Frame{}, errorf("led.frame: format %s is not a string; %s", quote(raw), forms)
			}
			name = []byte(s)
		}
	}
	switch strings.ToLower(string(name)) {
	case "", wire.FormatRaw, "rgb888":
		return wire.Frame{Format: wire.FormatRaw}, nil
	case wire.FormatPNG:
		return wire.Frame{Format: wire.FormatPNG}, nil
	}
	return wire.Frame{}, errorf("led.frame: unknown format %s; %s", quote(name), forms)
}

// frameWatchFields are the members of a led.frame.watch JSON object.
var frameWatchFields = []string{"seconds"}

// ParseFrameWatch parses a led.frame.watch request into the lease asked
// for: empty for wire.DefaultLease, a number of seconds, or
// {"seconds":N}; more than 0 and at most wire.MaxLease. Errors are
// *wire.Error with code wire.Invalid.
func ParseFrameWatch(data []byte) (time.Duration, error) {
	if len(data) > MaxPayload {
		return 0, tooLarge("led.frame.watch", len(data), MaxPayload)
	}
	t := bytes.TrimSpace(data)
	if len(t) == 0 {
		return wire.DefaultLease, nil
	}
	var secs float64
	if t[0] == '{' {
		const forms = `send {"seconds":N} or nothing`
		m, err := decodeFlatObject("led.frame.watch", t, frameWatchFields, forms, forms)
		if err != nil {
			return 0, err
		}
		raw, ok := m["seconds"]
		if !ok {
			return 0, errorf(`led.frame.watch: the JSON object has no "seconds"; send {"seconds":N} or nothing for %v`, wire.DefaultLease)
		}
		if err := json.Unmarshal(raw, &secs); err != nil {
			return 0, errorf("led.frame.watch: seconds %s is not a number; send N seconds up to %v", quote(raw), wire.MaxLease)
		}
	} else {
		v, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return 0, errorf("led.frame.watch: %s is not a number of seconds; send nothing for %v, or N seconds up to %v", quote(t), wire.DefaultLease, wire.MaxLease)
		}
		secs = v
	}
	if !(secs > 0) || secs > wire.MaxLease.Seconds() {
		return 0, errorf("led.frame.watch: %v seconds is out of range; ask for more than 0 and at most %v", secs, wire.MaxLease)
	}
	return time.Duration(secs * float64(time.Second)), nil
}
