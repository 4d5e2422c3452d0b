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
			if d.Rotation = setting(raw, func(r int) bool { return r == 0 || r == 90 || r == 180 || r == 270 }); d.Rotation == nil {
				refuse(f, raw, "give 0, 90, 180 or 270")
			}
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
			if d.LowLight = setting[bool](raw, nil); d.LowLight == nil {
				refuse(f, raw, "give true or false")
			}
		case "brightness":
			if d.Brightness = setting(raw, func(b float64) bool { return b >= 0 && b <= MaxBrightness }); d.Brightness == nil {
				refuse(f, raw, "give a number from 0 to 1")
			}
		case "gamma":
			if d.Gamma = setting(raw, func(s string) bool { return s == "default" || s == "full" }); d.Gamma == nil {
				refuse(f, raw, `give "default" or "full"`)
			}
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
			if d.ColourGain = setting(raw, func(g int) bool { return g == 1 || g == 4 || g == 16 || g == 60 || g == 64 }); d.ColourGain == nil {
				refuse(f, raw, "give 1, 4, 16, and 64 (TCS3400) or 60 (TCS34725)")
			}
		case "colour_cycles":
			if d.ColourCycles = setting(raw, func(n int) bool { return n >= 1 && n <= 256 }); d.ColourCycles == nil {
				refuse(f, raw, "give an integer from 1 to 256")
			}
		case "temp_factor":
			if d.TempFactor = setting(raw, func(x float64) bool { return x >= 0 && x <= 100 }); d.TempFactor == nil {
				refuse(f, raw, "give 0 (off) or a factor up to 100, such as 1.6")
			}
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

// setting decodes one setting's value as a T that ok (when not nil)
// accepts, or returns nil: the setting is then refused alone.
func setting[T any](raw json.RawMessage, ok func(T) bool) *T {
	var v T
	if json.Unmarshal(raw, &v) != nil || (ok != nil && !ok(v)) {
		return nil
	}
	return &v
}
