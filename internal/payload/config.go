package payload

import (
	"encoding/json"
	"strings"

	"github.com/sensehat/sensehat/display"
)

// MaxBrightness is the largest Config.Brightness; 0 is dark, 1 is full.
const MaxBrightness = 1.0

// configFields are the members of a led.config JSON object.
var configFields = []string{"rotation", "low_light", "flip", "brightness"}

// configExample ends the led.config errors that are about the shape.
const configExample = `e.g. {"rotation":180,"low_light":true,"flip":"h","brightness":0.5}`

// ParseConfig parses a led.config payload: a JSON object with any of
// rotation (0, 90, 180, 270), low_light (true or false), flip ("h", "v",
// "hv" or "vh" for both, "" or "none" for neither) and brightness (0 to 1).
// Unknown fields are refused, and so is an object that changes nothing.
// Errors are *wire.Error with code wire.Invalid.
// The result is the display's own Config: a nil field was not in the
// request and keeps its current setting; FlipH and FlipV are both set or
// both nil, since "flip" names the whole mirroring.
func ParseConfig(data []byte) (display.Config, error) {
	m, empty, err := flatRequest("led.config", data, configFields, configExample, "every field is a number, a boolean or a string, "+configExample)
	if err != nil {
		return display.Config{}, err
	}
	if empty || len(m) == 0 {
		return display.Config{}, errorf("led.config: nothing to change; send a JSON object with one or more of %s, %s", strings.Join(configFields, ", "), configExample)
	}
	var c display.Config
	if raw, ok := m["rotation"]; ok {
		var r int
		if err := json.Unmarshal(raw, &r); err != nil || (r != 0 && r != 90 && r != 180 && r != 270) {
			return display.Config{}, errorf("led.config: rotation %s is not accepted; send 0, 90, 180 or 270", quote(raw))
		}
		c.Rotation = &r
	}
	if raw, ok := m["low_light"]; ok {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return display.Config{}, errorf("led.config: low_light %s is not accepted; send true or false", quote(raw))
		}
		c.LowLight = &b
	}
	if raw, ok := m["flip"]; ok {
		var s string
		err := json.Unmarshal(raw, &s)
		var h, v bool
		switch {
		case err != nil:
			return display.Config{}, errorf(`led.config: flip %s is not accepted; send "h", "v", "hv", or "none"`, quote(raw))
		case s == "h":
			h = true
		case s == "v":
			v = true
		case s == "hv" || s == "vh":
			h, v = true, true
		case s == "" || s == "none":
		default:
			return display.Config{}, errorf(`led.config: flip %s is not accepted; send "h", "v", "hv", or "none"`, quote(raw))
		}
		c.FlipH, c.FlipV = &h, &v
	}
	if raw, ok := m["brightness"]; ok {
		var b float64
		if err := json.Unmarshal(raw, &b); err != nil || b < 0 || b > MaxBrightness {
			return display.Config{}, errorf("led.config: brightness %s is not accepted; send a number from 0 to 1", quote(raw))
		}
		c.Brightness = &b
	}
	return c, nil
}
