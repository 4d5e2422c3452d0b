package payload

import (
	"encoding/json"
	"image/color"
	"unicode/utf8"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/wire"
)

// Limits and defaults of led.text.
const (
	// MaxTextRunes caps a text: at 10 columns a second and about 6 columns
	// a letter, 1000 letters already scroll for ten minutes. What a text
	// may take on the matrix is capped too, by MaxDuration (checked by the
	// display's player).
	MaxTextRunes = 1000
	// DefaultSpeed is the scroll speed in columns per second: the
	// display's own default.
	DefaultSpeed float64 = display.DefaultSpeed
	// MinSpeed and MaxSpeed bound Text.Speed: slower is a still picture,
	// faster is a blur on the matrix (the display's own cap).
	MinSpeed         = 1.0
	MaxSpeed float64 = display.MaxSpeed
	// DefaultRepeat is how many times a text scrolls by.
	DefaultRepeat = 1
	// MaxRepeat bounds Text.Repeat. It does not bound the time on its own:
	// MaxDuration does.
	MaxRepeat = 100
)

// Text is a parsed led.text request, in the display's own terms.
type Text struct {
	// Text is valid UTF-8, non-empty, with no control characters: newlines
	// and tabs inside it have become spaces.
	Text string
	// ScrollOpts has Fg and Bg opaque (default white on black), Speed in
	// columns per second, MinSpeed..MaxSpeed (default DefaultSpeed), and
	// Repeat, 1..MaxRepeat passes (default 1).
	display.ScrollOpts
	// Mode is display.Replace for mode "replace" (drop the queue and
	// interrupt the scroll), display.Queue otherwise.
	Mode display.Mode
}

// Default colours of led.text.
var (
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
	black = color.RGBA{0, 0, 0, 0xff}
)

// textFields are the members of a led.text JSON object.
var textFields = []string{"text", "color", "background", "speed", "repeat", "mode"}

// ParseText parses a led.text payload: plain UTF-8 text, or a JSON object
// with the fields text, color, background, speed, repeat and mode. A payload
// whose first non-space byte is '{' is always read as JSON; if it is not a
// valid object the reply says so, and a text that really starts with '{' is
// sent as {"text":"{..."}. Errors are *wire.Error with code wire.Invalid.
// How long the text plays is checked where the queue is known, by
// display.Player.Submit.
func ParseText(data []byte) (Text, error) {
	if len(data) > MaxPayload {
		return Text{}, tooLarge("led.text", len(data), MaxPayload)
	}
	t := Text{ScrollOpts: display.ScrollOpts{Fg: white, Bg: black, Speed: DefaultSpeed, Repeat: DefaultRepeat}}
	var err error
	if firstNonSpace(data) == '{' {
		if ft, ok := textFast(data, t); ok {
			return ft, nil
		}
		t, err = parseTextJSON(data, t)
	} else {
		t.Text, err = cleanText(data)
	}
	if err != nil {
		return Text{}, err
	}
	return t, nil
}

func parseTextJSON(data []byte, t Text) (Text, error) {
	// An object whose colours are [r,g,b] arrays is two levels deep.
	if jsonTooDeep(data, 2) {
		return Text{}, errorf(`led.text: JSON nested too deep; send one object like {"text":"hi","color":[255,0,0]}`)
	}
	m, err := decodeObject("led.text", data, textFields,
		`a payload starting with '{' is read as JSON options: to show text starting with '{', send {"text":"{..."}`)
	if err != nil {
		return Text{}, err
	}
	raw, ok := m["text"]
	if !ok {
		return Text{}, errorf(`led.text: the JSON object has no "text"; send e.g. {"text":"hello","color":"red"}`)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return Text{}, errorf(`led.text: "text" must be a JSON string, got %s`, quote(raw))
	}
	if t.Text, err = cleanText([]byte(s)); err != nil {
		return Text{}, err
	}
	if raw, ok := m["color"]; ok {
		if t.Fg, err = parseColour("led.text: color", raw); err != nil {
			return Text{}, err
		}
	}
	if raw, ok := m["background"]; ok {
		if t.Bg, err = parseColour("led.text: background", raw); err != nil {
			return Text{}, err
		}
	}
	if raw, ok := m["speed"]; ok {
		if err := json.Unmarshal(raw, &t.Speed); err != nil || t.Speed < MinSpeed || t.Speed > MaxSpeed {
			return Text{}, errorf("led.text: speed %s is not accepted; send a number of columns per second from %g to %g (default %g)", quote(raw), MinSpeed, MaxSpeed, DefaultSpeed)
		}
	}
	if raw, ok := m["repeat"]; ok {
		if err := json.Unmarshal(raw, &t.Repeat); err != nil || t.Repeat < 1 || t.Repeat > MaxRepeat {
			return Text{}, errorf("led.text: repeat %s is not accepted; send a whole number of passes from 1 to %d (default %d)", quote(raw), MaxRepeat, DefaultRepeat)
		}
	}
	if raw, ok := m["mode"]; ok {
		var mode string
		_ = json.Unmarshal(raw, &mode)
		switch mode {
		case wire.ModeQueue:
			t.Mode = display.Queue
		case wire.ModeReplace:
			t.Mode = display.Replace
		default:
			return Text{}, errorf(`led.text: mode %s is unknown; send "queue" (the default) or "replace"`, quote(raw))
		}
	}
	return t, nil
}

// cleanText validates a text to scroll and returns it as a string. Line
// endings at the end are dropped (a file piped to `nats pub` ends in one);
// other newlines and tabs become spaces, since the matrix has one line.
// Any other control character is refused: it is never what the user meant
// to show, and NUL in particular breaks whatever logs the text.
// When nothing is replaced the only allocation is the returned string.
func cleanText(b []byte) (string, error) {
	// A byte order mark from a Windows editor is not part of the text.
	if len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf {
		b = b[3:]
	}
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	runes, spaces, replace := 0, 0, false
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n' || c == '\r' || c == '\t':
				replace = true
				spaces++
			case c == ' ':
				spaces++
			case c < 0x20 || c == 0x7f:
				return "", errorf("led.text: control character U+%04X at byte %d; send printable text (newlines and tabs are shown as spaces)", c, i)
			}
			i++
			runes++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return "", errorf("led.text: invalid UTF-8 at byte %d; send text encoded as UTF-8", i)
		}
		if r >= 0x80 && r < 0xa0 {
			return "", errorf("led.text: control character U+%04X at byte %d; send printable text (newlines and tabs are shown as spaces)", r, i)
		}
		i += size
		runes++
	}
	if runes > MaxTextRunes {
		return "", errorf("led.text: text of %d characters is too long; at most %d are accepted", runes, MaxTextRunes)
	}
	if runes == spaces {
		return "", errorf(`led.text: no text to show; send some UTF-8 text, or a JSON object like {"text":"hello"}`)
	}
	if !replace {
		return string(b), nil
	}
	out := make([]byte, 0, len(b))
	for i, c := range b {
		switch {
		case c == '\r' && i+1 < len(b) && b[i+1] == '\n':
			// A Windows line ending is one break, so one space.
		case c == '\n' || c == '\r' || c == '\t':
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return string(out), nil
}
