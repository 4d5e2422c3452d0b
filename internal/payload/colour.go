package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"strings"

	"github.com/sensehat/sensehat/internal/echo"
	"github.com/sensehat/sensehat/internal/wire"
)

// Colours are parsed here and nowhere else: led.text's color and
// background, led.clear, the elements of a led.pixels array.

// ErrUnknownColor is wrapped by every error from ParseColor and
// ParseColorJSON. Its code is wire.Invalid.
var ErrUnknownColor = wire.NewError(wire.Invalid, "unknown colour")

// colourForms is what every colour error says is accepted, in one text.
const colourForms = "a name like red, #rrggbb, #rgb or [r,g,b] with 0..255"

// colourHint ends the errors of ParseColor and ParseColorJSON.
const colourHint = "use " + colourForms

// namedColor is one entry of the name table.
type namedColor struct {
	name string
	c    color.RGBA
}

// colorNames is a slice rather than a map so lookups can use
// strings.EqualFold without lower-casing (and allocating) the input.
var colorNames = []namedColor{
	{"black", color.RGBA{0, 0, 0, 0xff}},
	{"off", color.RGBA{0, 0, 0, 0xff}},
	{"white", color.RGBA{0xff, 0xff, 0xff, 0xff}},
	{"red", color.RGBA{0xff, 0, 0, 0xff}},
	{"green", color.RGBA{0, 0xff, 0, 0xff}},
	{"lime", color.RGBA{0, 0xff, 0, 0xff}},
	{"blue", color.RGBA{0, 0, 0xff, 0xff}},
	{"yellow", color.RGBA{0xff, 0xff, 0, 0xff}},
	{"cyan", color.RGBA{0, 0xff, 0xff, 0xff}},
	{"aqua", color.RGBA{0, 0xff, 0xff, 0xff}},
	{"magenta", color.RGBA{0xff, 0, 0xff, 0xff}},
	{"fuchsia", color.RGBA{0xff, 0, 0xff, 0xff}},
	{"orange", color.RGBA{0xff, 0xa5, 0, 0xff}},
	{"purple", color.RGBA{0x80, 0, 0x80, 0xff}},
	{"pink", color.RGBA{0xff, 0xc0, 0xcb, 0xff}},
	{"grey", color.RGBA{0x80, 0x80, 0x80, 0xff}},
	{"gray", color.RGBA{0x80, 0x80, 0x80, 0xff}},
	{"brown", color.RGBA{0xa5, 0x2a, 0x2a, 0xff}},
	{"gold", color.RGBA{0xff, 0xd7, 0, 0xff}},
	{"navy", color.RGBA{0, 0, 0x80, 0xff}},
	{"teal", color.RGBA{0, 0x80, 0x80, 0xff}},
	{"violet", color.RGBA{0xee, 0x82, 0xee, 0xff}},
	{"indigo", color.RGBA{0x4b, 0, 0x82, 0xff}},
}

// ColorNames returns the colour names ParseColor accepts, for help texts.
func ColorNames() []string {
	names := make([]string, len(colorNames))
	for i, n := range colorNames {
		names[i] = n.name
	}
	return names
}

// ParseColor parses a colour name (case-insensitive, CSS names such as red,
// orange or pink, plus "off" for black), "#rrggbb" or "#rgb". Surrounding
// spaces are ignored. The result is always opaque.
func ParseColor(s string) (color.RGBA, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "#") {
		if c, ok := parseHex(t[1:]); ok {
			return c, nil
		}
		return color.RGBA{}, fmt.Errorf("%w %s; %s", ErrUnknownColor, echo.Quote(s), colourHint)
	}
	for _, n := range colorNames {
		if strings.EqualFold(t, n.name) {
			return n.c, nil
		}
	}
	return color.RGBA{}, fmt.Errorf("%w %s; %s", ErrUnknownColor, echo.Quote(s), colourHint)
}

// parseHex decodes "rrggbb" or "rgb" (without the '#').
func parseHex(h string) (color.RGBA, bool) {
	var v [6]uint8
	if len(h) != 3 && len(h) != 6 {
		return color.RGBA{}, false
	}
	for i := 0; i < len(h); i++ {
		d, ok := hexDigit(h[i])
		if !ok {
			return color.RGBA{}, false
		}
		v[i] = d
	}
	if len(h) == 3 {
		// #rgb is #rrggbb with each digit doubled, as in CSS.
		return color.RGBA{v[0] * 17, v[1] * 17, v[2] * 17, 0xff}, true
	}
	return color.RGBA{v[0]<<4 | v[1], v[2]<<4 | v[3], v[4]<<4 | v[5], 0xff}, true
}

func hexDigit(c byte) (uint8, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ParseColorJSON parses a colour as it appears in a JSON request: a string
// holding anything ParseColor accepts, or an array [r,g,b] of three integers
// 0..255. The array is parsed by hand: it is the common case for programs
// and needs no reflection.
func ParseColorJSON(raw []byte) (color.RGBA, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return color.RGBA{}, fmt.Errorf("%w: empty value; %s", ErrUnknownColor, colourHint)
	}
	switch t[0] {
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return color.RGBA{}, fmt.Errorf("%w %s: bad JSON string; %s", ErrUnknownColor, echo.QuoteBytes(t), colourHint)
		}
		return ParseColor(s)
	case '[':
		if c, ok := parseArray(t); ok {
			return c, nil
		}
	}
	return color.RGBA{}, fmt.Errorf("%w %s; %s", ErrUnknownColor, echo.QuoteBytes(t), colourHint)
}

// parseArray decodes exactly "[r,g,b]" with optional JSON whitespace and
// integer components 0..255.
func parseArray(t []byte) (color.RGBA, bool) {
	var v [3]uint8
	i := 1 // past '['
	for k := 0; k < 3; k++ {
		i = skipSpace(t, i)
		start := i
		n := 0
		for i < len(t) && '0' <= t[i] && t[i] <= '9' {
			n = n*10 + int(t[i]-'0')
			if n > 255 {
				return color.RGBA{}, false
			}
			i++
		}
		// JSON forbids leading zeros ("007"), so do we.
		if i == start || (i-start > 1 && t[start] == '0') {
			return color.RGBA{}, false
		}
		v[k] = uint8(n)
		i = skipSpace(t, i)
		want := byte(',')
		if k == 2 {
			want = ']'
		}
		if i >= len(t) || t[i] != want {
			return color.RGBA{}, false
		}
		i++
	}
	if skipSpace(t, i) != len(t) {
		return color.RGBA{}, false
	}
	return color.RGBA{v[0], v[1], v[2], 0xff}, true
}

func skipSpace(t []byte, i int) int {
	for i < len(t) && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r') {
		i++
	}
	return i
}
