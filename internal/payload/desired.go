package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sensehat/sensehat/internal/wire"
)

// desiredExample ends the desired-state errors about the document's shape.
const desiredExample = `e.g. {"rotation":180,"low_light":true,"env_interval":"2s"}`

// MinInterval is the shortest sensor interval a desired state may ask
// for, as the --env-interval and --motion-interval flags allow.
const MinInterval = 10 * time.Millisecond

// ParseDesired reads a desired-state document (a value of the
// wire.DesiredBucket): a JSON object with any of wire.DesiredFields.
// Empty data (a deleted key) is the empty document. A document that is not
// a JSON object of scalars, is larger than wire.MaxDesired, or is
// malformed in the ways strictJSON finds is refused as a whole (err, a
// *wire.Error with code wire.Invalid); a field of the wrong type or out of
// range is refused alone: it is left out of the result and listed in
// refused (with Key and Revision for the caller to fill), and the other
// fields still apply.
func ParseDesired(data []byte) (d wire.Desired, refused []wire.Refusal, err error) {
	const what = "desired state"
	if len(data) > wire.MaxDesired {
		return d, nil, tooLarge(what, len(data), wire.MaxDesired)
	}
	switch c := firstNonSpace(data); {
	case c == 0 && len(bytes.TrimSpace(data)) == 0:
		return d, nil, nil
	case c == '{':
	default:
		return d, nil, errorf("%s: value is not a JSON object; store %s", what, desiredExample)
	}
	if jsonTooDeep(data, 1) {
		return d, nil, errorf("%s: JSON nested too deep; every setting is a number, a boolean or a string, %s", what, desiredExample)
	}
	m, err := decodeObject(what, data, wire.DesiredFields, "")
	if err != nil {
		return d, nil, err
	}
	refuse := func(field string, raw json.RawMessage, accepted string) {
		refused = append(refused, wire.Refusal{Setting: field, Reason: fmt.Sprintf("%s %s is not accepted; %s", field, quote(raw), accepted)})
	}
	// Walk in the documented order so the refusals do not depend on map
	// order.
	for _, f := range wire.DesiredFields {
		raw, ok := m[f]
		if !ok {
			continue
		}
		switch f {
		case "rotation":
			var r int
			if json.Unmarshal(raw, &r) != nil || (r != 0 && r != 90 && r != 180 && r != 270) {
				refuse(f, raw, "give 0, 90, 180 or 270")
				continue
			}
			d.Rotation = &r
		case "flip":
			var s string
			if json.Unmarshal(raw, &s) != nil {
				refuse(f, raw, `give "h", "v", "hv" or "none"`)
				continue
			}
			switch s {
			case "h", "v", "hv", "none":
			case "vh":
				s = "hv"
			case "":
				s = "none"
			default:
				refuse(f, raw, `give "h", "v", "hv" or "none"`)
				continue
			}
			d.Flip = &s
		case "low_light":
			var b bool
			if json.Unmarshal(raw, &b) != nil {
				refuse(f, raw, "give true or false")
				continue
			}
			d.LowLight = &b
		case "brightness":
			var b float64
			if json.Unmarshal(raw, &b) != nil || b < 0 || b > MaxBrightness {
				refuse(f, raw, "give a number from 0 to 1")
				continue
			}
			d.Brightness = &b
		case "gamma":
			var s string
			if json.Unmarshal(raw, &s) != nil || (s != "default" && s != "full") {
				refuse(f, raw, `give "default" or "full"`)
				continue
			}
			d.Gamma = &s
		case "env_interval", "motion_interval", "colour_interval":
			var s string
			var dur time.Duration
			var perr error
			if perr = json.Unmarshal(raw, &s); perr == nil {
				dur, perr = time.ParseDuration(s)
			}
			if perr != nil || dur < MinInterval || dur > time.Hour {
				refuse(f, raw, `give a duration from "10ms" to "1h", such as "2s"`)
				continue
			}
			s = dur.String()
			switch f {
			case "env_interval":
				d.EnvInterval = &s
			case "motion_interval":
				d.MotionInterval = &s
			default:
				d.ColourInterval = &s
			}
		case "colour_gain":
			var g int
			if json.Unmarshal(raw, &g) != nil || (g != 1 && g != 4 && g != 16 && g != 60 && g != 64) {
				refuse(f, raw, "give 1, 4, 16, and 64 (TCS3400) or 60 (TCS34725)")
				continue
			}
			d.ColourGain = &g
		case "colour_cycles":
			var n int
			if json.Unmarshal(raw, &n) != nil || n < 1 || n > 256 {
				refuse(f, raw, "give an integer from 1 to 256")
				continue
			}
			d.ColourCycles = &n
		case "temp_factor":
			var x float64
			if json.Unmarshal(raw, &x) != nil || x < 0 || x > 100 {
				refuse(f, raw, "give 0 (off) or a factor up to 100, such as 1.6")
				continue
			}
			d.TempFactor = &x
		case "ha_prefix":
			var s string
			if json.Unmarshal(raw, &s) != nil {
				refuse(f, raw, `give a discovery prefix such as "homeassistant", or "none"`)
				continue
			}
			if s != "none" && s != "" {
				if _, herr := wire.NewHomeAssistant(s); herr != nil {
					refuse(f, raw, `give a discovery prefix such as "homeassistant", or "none"`)
					continue
				}
			} else {
				s = "none"
			}
			d.HAPrefix = &s
		}
	}
	return d, refused, nil
}
