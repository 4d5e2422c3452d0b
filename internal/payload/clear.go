package payload

import (
	"bytes"
	"image/color"
	"unicode/utf8"
)

// ParseClear parses a led.clear payload into the colour to fill the matrix
// with. An empty payload (or only white space) is black. Otherwise it is a
// colour, as plain text ("red", "#ff0000") or as JSON ("\"red\"",
// [255,0,0]). Errors are *wire.Error with code wire.Invalid.
func ParseClear(data []byte) (color.RGBA, error) {
	if len(data) > MaxPayload {
		return color.RGBA{}, tooLarge("led.clear", len(data), MaxPayload)
	}
	s := bytes.TrimSpace(data)
	if len(s) == 0 {
		return black, nil
	}
	if !utf8.Valid(s) {
		return color.RGBA{}, errorf("led.clear: invalid UTF-8; send nothing for black, or a colour: %s", colourForms)
	}
	if len(s) > maxColourBytes {
		return color.RGBA{}, errorf("led.clear: %d bytes is too long for a colour; send nothing for black, or a colour: %s", len(s), colourForms)
	}
	if s[0] == '"' || s[0] == '[' {
		// No strictJSON needed: colour names are ASCII, so a surrogate
		// escape is an unknown colour, and ParseColorJSON reads arrays as
		// integers 0..255 only (no 1e-400) and refuses objects.
		return parseColour("led.clear", s)
	}
	c, err := ParseColor(string(s))
	if err != nil {
		return color.RGBA{}, errorf("led.clear: %w; an empty payload is black", err)
	}
	return c, nil
}
