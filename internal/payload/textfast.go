package payload

import (
	"bytes"
	"strconv"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/wire"
)

// Members of a led.text JSON object, in textFields' order: bits of the
// set textFast has seen.
const (
	fieldText = iota
	fieldColor
	fieldBackground
	fieldSpeed
	fieldRepeat
	fieldMode
)

// textFast reads a led.text JSON object of the common shape in one pass,
// allocating nothing but the text's string: members among textFields, each
// once; strings without escapes; colours as names, "#rrggbb" or arrays of
// plain integers; speed a plain decimal; repeat a plain integer; mode
// "queue" or "replace". ok is false for anything else, valid or not, and
// then ParseText reads the payload the general way (parseTextJSON), which
// also words every refusal: textFast only ever accepts, and only what
// parseTextJSON accepts as the same Text (FuzzTextFast). It exists for
// floods: parseTextJSON makes about ten passes over the payload and
// allocates a map, and a device that refuses texts slower than they come
// must hold the backlog in memory (RELIABILITY.md, "Memory and threads
// under floods").
func textFast(data []byte, t Text) (_ Text, ok bool) {
	i := skipJSONSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return t, false
	}
	i++
	var seen uint
	var text []byte
	for n := 0; ; n++ {
		i = skipJSONSpace(data, i)
		if i >= len(data) {
			return t, false
		}
		if data[i] == '}' {
			i++
			break
		}
		if n > 0 {
			if data[i] != ',' {
				return t, false
			}
			i = skipJSONSpace(data, i+1)
		}
		key, j, ok := plainString(data, i)
		if !ok {
			return t, false
		}
		field := fieldOf(key)
		if field < 0 || seen&(1<<field) != 0 {
			return t, false
		}
		seen |= 1 << field
		if i = skipJSONSpace(data, j); i >= len(data) || data[i] != ':' {
			return t, false
		}
		i = skipJSONSpace(data, i+1)
		switch field {
		case fieldText:
			text, i, ok = plainString(data, i)
			// JSON refuses raw tabs and line ends in strings, where
			// cleanText would turn them into spaces.
			ok = ok && bytes.IndexByte(text, '\t') < 0 && bytes.IndexByte(text, '\n') < 0 && bytes.IndexByte(text, '\r') < 0
		case fieldColor, fieldBackground:
			var raw []byte
			if raw, i, ok = plainColour(data, i); ok {
				c, err := parseColour("led.text: colour", raw)
				ok = err == nil
				if field == fieldColor {
					t.Fg = c
				} else {
					t.Bg = c
				}
			}
		case fieldSpeed:
			var raw []byte
			if raw, i, ok = plainDecimal(data, i); ok {
				v, err := strconv.ParseFloat(string(raw), 64)
				ok = err == nil && v >= MinSpeed && v <= MaxSpeed
				t.Speed = v
			}
		case fieldRepeat:
			var raw []byte
			if raw, i, ok = plainDecimal(data, i); ok {
				t.Repeat, ok = smallInt(raw)
				ok = ok && t.Repeat >= 1 && t.Repeat <= MaxRepeat
			}
		case fieldMode:
			var mode []byte
			if mode, i, ok = plainString(data, i); ok {
				switch string(mode) {
				case wire.ModeQueue:
					t.Mode = display.Queue
				case wire.ModeReplace:
					t.Mode = display.Replace
				default:
					ok = false
				}
			}
		}
		if !ok {
			return t, false
		}
	}
	if skipJSONSpace(data, i) != len(data) || seen&(1<<fieldText) == 0 {
		return t, false
	}
	s, err := cleanText(text)
	if err != nil {
		return t, false
	}
	t.Text = s
	return t, true
}

// fieldOf is the index of name in textFields, or -1.
func fieldOf(name []byte) int {
	for i, f := range textFields {
		if string(name) == f {
			return i
		}
	}
	return -1
}

// plainString reads the JSON string at data[i] when it has no escapes:
// its bytes between the quotes, and the index after the closing one.
func plainString(data []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, i, false
	}
	end := bytes.IndexByte(data[i+1:], '"')
	if end < 0 {
		return nil, i, false
	}
	s = data[i+1 : i+1+end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil, i, false
	}
	return s, i + end + 2, true
}

// plainColour reads the colour at data[i] when it is a string without
// escapes or an array of digits, commas and JSON white space: the JSON
// value, quotes or brackets included, for parseColour. Anything else (a
// number with an exponent, which strictJSON words, or a nested value) is
// for the general path.
func plainColour(data []byte, i int) (raw []byte, next int, ok bool) {
	if i < len(data) && data[i] == '"' {
		_, next, ok = plainString(data, i)
		return data[i:next], next, ok
	}
	if i >= len(data) || data[i] != '[' {
		return nil, i, false
	}
	for j := i + 1; j < len(data) && j-i <= maxColourBytes; j++ {
		switch c := data[j]; {
		case c == ']':
			return data[i : j+1], j + 1, true
		case c >= '0' && c <= '9', c == ',', c == ' ', c == '\t', c == '\r', c == '\n':
		default:
			return nil, i, false
		}
	}
	return nil, i, false
}

// plainDecimal reads the JSON number at data[i] when it has neither sign
// nor exponent: 0 or digits not starting with 0, then maybe a fraction.
func plainDecimal(data []byte, i int) (raw []byte, next int, ok bool) {
	j := i
	digits := func() int {
		k := j
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
		return j - k
	}
	n := digits()
	if n == 0 || (n > 1 && data[i] == '0') {
		return nil, i, false
	}
	if j < len(data) && data[j] == '.' {
		j++
		if digits() == 0 {
			return nil, i, false
		}
	}
	if j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		return nil, i, false
	}
	return data[i:j], j, j-i <= 32
}

// smallInt is raw, digits only, as an int below 10,000.
func smallInt(raw []byte) (int, bool) {
	if len(raw) > 4 {
		return 0, false
	}
	v := 0
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}
