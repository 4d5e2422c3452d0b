package payload

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"strings"
	"unicode/utf8"

	"github.com/sensehat/sensehat/internal/echo"
	"github.com/sensehat/sensehat/internal/wire"
)

// MaxPayload is the largest led.text, led.clear or led.config payload
// accepted. A scrolling text is capped at MaxTextRunes anyway; 64 KiB leaves
// room for JSON escapes (\u00e9 is six bytes for one letter) while keeping a
// hostile client from making the daemon parse megabytes.
const MaxPayload = 64 * 1024

// MaxPixelsPayload is the largest led.pixels payload accepted. It fits a
// 256-frame 8x8 GIF with a local palette per frame many times over, and keeps
// a decoder bomb small enough for a Raspberry Pi.
const MaxPixelsPayload = 1 << 20

// errorf builds the refusal of a request: a *wire.Error with code
// wire.Invalid, which the service answers 400. The format starts with the
// endpoint name so the user knows which request it answers; its message
// says what was wrong and what is accepted, because it is all the user of
// `nats req` gets to see. A %w keeps the cause for errors.Is.
func errorf(format string, args ...any) *wire.Error {
	return wire.Errorf(wire.Invalid, format, args...)
}

// tooLarge refuses a payload before anything is parsed.
func tooLarge(endpoint string, n, limit int) *wire.Error {
	return errorf("%s: payload of %d bytes is too large; at most %d bytes are accepted", endpoint, n, limit)
}

// quote repeats user input in an error message, escaped and cut short
// (echo.Max bytes of escaped text) between whole runes, so an error reply
// never echoes a whole hostile payload nor splits a letter. Every error of
// this package quotes input through it.
func quote(b []byte) string { return echo.QuoteBytes(b) }

// jsonTooDeep reports whether data nests arrays and objects deeper than max.
// It runs before encoding/json so that a payload of 10000 '[' is refused
// with a clear message and without the decoder building its state stack.
// Brackets inside strings are skipped; the scan does not validate the JSON.
func jsonTooDeep(data []byte, max int) bool {
	depth := 0
	inString, escaped := false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > max {
				return true
			}
		case ']', '}':
			depth--
		}
	}
	return false
}

// jsonProblem turns an encoding/json error into words for the user, with the
// byte offset when the decoder knows it.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("malformed JSON: a %s where %s was expected", typ.Value, typ.Type)
	}
	return "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}

// flatRequest reads a request that is a JSON object of scalars, or
// nothing: empty reports a payload of white space alone, for the caller to
// give its meaning; anything else than an object is refused, ending with
// what to send instead.
func flatRequest(endpoint string, data []byte, accepted []string, send, deepHint string) (m map[string]json.RawMessage, empty bool, err error) {
	if len(data) > MaxPayload {
		return nil, false, tooLarge(endpoint, len(data), MaxPayload)
	}
	switch firstNonSpace(data) {
	case 0:
		return nil, true, nil
	case '{':
	default:
		return nil, false, errorf("%s: payload is not a JSON object; send %s", endpoint, send)
	}
	m, err = decodeFlatObject(endpoint, data, accepted, "", deepHint)
	return m, false, err
}

// decodeFlatObject is decodeObject for an object whose members are all
// scalars: deeper JSON is refused first, ending with deepHint.
func decodeFlatObject(endpoint string, data []byte, accepted []string, hint, deepHint string) (map[string]json.RawMessage, error) {
	if jsonTooDeep(data, 1) {
		return nil, errorf("%s: JSON nested too deep; %s", endpoint, deepHint)
	}
	return decodeObject(endpoint, data, accepted, hint)
}

// decodeObject decodes a JSON object payload into its members, refusing any
// member name not in accepted. Names are matched exactly (encoding/json would
// match "Color" to color; the contract spells names in lower case). What
// encoding/json lets pass silently (duplicate members, lone surrogate
// escapes, numbers that underflow to 0) is refused too: see strictJSON.
// Every JSON request of every endpoint goes through it. hint, when not
// empty, ends the refusal of a payload that is not JSON at all.
func decodeObject(endpoint string, data []byte, accepted []string, hint string) (map[string]json.RawMessage, error) {
	// encoding/json would turn invalid UTF-8 into U+FFFD without a word.
	if i := invalidUTF8(data); i >= 0 {
		return nil, errorf("%s: invalid UTF-8 at byte %d; send JSON encoded as UTF-8", endpoint, i)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		if hint != "" {
			return nil, errorf("%s: %s; %s", endpoint, jsonProblem(err), hint)
		}
		return nil, errorf("%s: %s", endpoint, jsonProblem(err))
	}
	if p := strictJSON(data); p != "" {
		return nil, errorf("%s: %s", endpoint, p)
	}
	if m == nil {
		return nil, errorf("%s: payload is JSON null; send an object with the fields %s", endpoint, strings.Join(accepted, ", "))
	}
	var unknown []string
	for name := range m {
		if !contains(accepted, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		// Report the smallest name so the reply does not depend on map order.
		first := unknown[0]
		for _, n := range unknown[1:] {
			if n < first {
				first = n
			}
		}
		return nil, errorf("%s: unknown field %s; accepted fields are %s", endpoint, quote([]byte(first)), strings.Join(accepted, ", "))
	}
	// An explicit null means "not given": that is what most JSON encoders
	// write for an unset optional field.
	for name, raw := range m {
		if string(raw) == "null" {
			delete(m, name)
		}
	}
	return m, nil
}

// invalidUTF8 returns the offset of the first byte of b that is not valid
// UTF-8, or -1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// firstNonSpace returns the first byte of data that is not JSON white space,
// or 0 when there is none.
func firstNonSpace(data []byte) byte {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return c
		}
	}
	return 0
}

// maxColourBytes bounds one JSON colour: [255, 255, 255] even pretty-printed
// is far shorter, and the colour parser quotes its input in errors.
const maxColourBytes = 128

// parseColour parses one JSON colour (a string or [r,g,b]) for the request
// part named by where, such as "led.text: color".
func parseColour(where string, raw []byte) (color.RGBA, error) {
	if len(raw) > maxColourBytes {
		return color.RGBA{}, errorf("%s: %d bytes is too long for a colour; send %s", where, len(raw), colourForms)
	}
	// A colour is at most one array deep; the check also keeps a nested
	// value away from the JSON decoder.
	if jsonTooDeep(raw, 1) || !json.Valid(raw) {
		return color.RGBA{}, errorf("%s: %s is no colour; send %s", where, quote(raw), colourForms)
	}
	c, err := ParseColorJSON(raw)
	if err != nil {
		return color.RGBA{}, errorf("%s: %w", where, err)
	}
	return c, nil
}
