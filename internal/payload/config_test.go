package payload

import (
	"fmt"
	"image/color"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/display"
)

func TestParseClear(t *testing.T) {
	checkParses(t, "ParseClear", ParseClear, []parseCase[color.RGBA]{
		{"empty is black", "", color.RGBA{0, 0, 0, 255}},
		{"white space is black", " \r\n", color.RGBA{0, 0, 0, 255}},
		{"name", "red", color.RGBA{255, 0, 0, 255}},
		{"name with newline", "Orange\n", color.RGBA{255, 0xa5, 0, 255}},
		{"hex", "#ff8800", color.RGBA{255, 0x88, 0, 255}},
		{"short hex", "#0f0", color.RGBA{0, 255, 0, 255}},
		{"JSON string", `"blue"`, color.RGBA{0, 0, 255, 255}},
		{"JSON array", `[1, 2, 3]`, color.RGBA{1, 2, 3, 255}},
		{"off", "off", color.RGBA{0, 0, 0, 255}},
	})
}

func TestParseClearErrors(t *testing.T) {
	checkRefuses(t, "ParseClear", ParseClear, []badCase[string]{
		{"unknown name", "blurple", []string{`led.clear: unknown colour "blurple"`, "#rrggbb", "an empty payload is black"}},
		{"bad hex", "#12345", []string{"led.clear: unknown colour"}},
		{"array too short", "[1,2]", []string{"led.clear: unknown colour"}},
		{"array out of range", "[0,0,300]", []string{"led.clear: unknown colour"}},
		{"malformed JSON", `"red`, []string{"led.clear:", "no colour", "#rrggbb"}},
		{"nested", "[[1,2,3]]", []string{"led.clear:", "no colour"}},
		{"invalid UTF-8", "r\xffd", []string{"led.clear: invalid UTF-8"}},
		{"long", strings.Repeat("x", 200), []string{"led.clear: 200 bytes is too long for a colour"}},
		{"too large", strings.Repeat(" ", MaxPayload+1), []string{"led.clear: payload of 65537 bytes is too large"}},
	})
}

// show prints a Config with its pointers followed, "-" for nil.
func show(c display.Config) string {
	var b strings.Builder
	field := func(name string, v any, set bool) {
		if set {
			fmt.Fprintf(&b, "%s=%v ", name, v)
		} else {
			fmt.Fprintf(&b, "%s=- ", name)
		}
	}
	deref := func(p any) (any, bool) {
		switch p := p.(type) {
		case *int:
			if p != nil {
				return *p, true
			}
		case *bool:
			if p != nil {
				return *p, true
			}
		case *float64:
			if p != nil {
				return *p, true
			}
		}
		return nil, false
	}
	for _, f := range []struct {
		name string
		p    any
	}{{"rotation", c.Rotation}, {"low_light", c.LowLight}, {"flip_h", c.FlipH}, {"flip_v", c.FlipV}, {"brightness", c.Brightness}} {
		v, ok := deref(f.p)
		field(f.name, v, ok)
	}
	return strings.TrimSpace(b.String())
}

// parseConfigShown is ParseConfig with its result shown as a string, to
// compare with a table's.
func parseConfigShown(b []byte) (string, error) {
	c, err := ParseConfig(b)
	return show(c), err
}

func TestParseConfig(t *testing.T) {
	checkParses(t, "ParseConfig", parseConfigShown, []parseCase[string]{
		{in: `{"rotation":0}`, want: "rotation=0 low_light=- flip_h=- flip_v=- brightness=-"},
		{in: `{"rotation":90}`, want: "rotation=90 low_light=- flip_h=- flip_v=- brightness=-"},
		{in: `{"rotation":180}`, want: "rotation=180 low_light=- flip_h=- flip_v=- brightness=-"},
		{in: `{"rotation":270}`, want: "rotation=270 low_light=- flip_h=- flip_v=- brightness=-"},
		{in: `{"low_light":true}`, want: "rotation=- low_light=true flip_h=- flip_v=- brightness=-"},
		{in: `{"low_light":false}`, want: "rotation=- low_light=false flip_h=- flip_v=- brightness=-"},
		{in: `{"flip":"h"}`, want: "rotation=- low_light=- flip_h=true flip_v=false brightness=-"},
		{in: `{"flip":"v"}`, want: "rotation=- low_light=- flip_h=false flip_v=true brightness=-"},
		{in: `{"flip":"hv"}`, want: "rotation=- low_light=- flip_h=true flip_v=true brightness=-"},
		{in: `{"flip":"vh"}`, want: "rotation=- low_light=- flip_h=true flip_v=true brightness=-"},
		{in: `{"flip":""}`, want: "rotation=- low_light=- flip_h=false flip_v=false brightness=-"},
		{in: `{"flip":"none"}`, want: "rotation=- low_light=- flip_h=false flip_v=false brightness=-"},
		{in: `{"brightness":0}`, want: "rotation=- low_light=- flip_h=- flip_v=- brightness=0"},
		{in: `{"brightness":0.25}`, want: "rotation=- low_light=- flip_h=- flip_v=- brightness=0.25"},
		{in: `{"brightness":1}`, want: "rotation=- low_light=- flip_h=- flip_v=- brightness=1"},
		{in: ` {"rotation":180, "low_light":true, "flip":"h", "brightness":0.5}`, want: "rotation=180 low_light=true flip_h=true flip_v=false brightness=0.5"},
		{in: `{"rotation":90,"brightness":null}`, want: "rotation=90 low_light=- flip_h=- flip_v=- brightness=-"},
	})
}

func TestParseConfigErrors(t *testing.T) {
	checkRefuses(t, "ParseConfig", parseConfigShown, []badCase[string]{
		{"empty payload", "", []string{"led.config: nothing to change", "rotation, low_light, flip, brightness"}},
		{"empty object", "{}", []string{"led.config: nothing to change"}},
		{"only nulls", `{"rotation":null}`, []string{"nothing to change"}},
		{"not an object", "180", []string{"led.config: payload is not a JSON object", `{"rotation":180`}},
		{"array", "[1]", []string{"not a JSON object"}},
		{"malformed", `{"rotation":}`, []string{"led.config: malformed JSON at byte 13"}},
		{"unknown field", `{"rotate":90}`, []string{`led.config: unknown field "rotate"; accepted fields are rotation, low_light, flip, brightness`}},
		{"rotation 45", `{"rotation":45}`, []string{`rotation "45" is not accepted; send 0, 90, 180 or 270`}},
		{"rotation 360", `{"rotation":360}`, []string{`rotation "360"`}},
		{"rotation negative", `{"rotation":-90}`, []string{`rotation "-90"`}},
		{"rotation string", `{"rotation":"90"}`, []string{`rotation "\"90\""`}},
		{"rotation fraction", `{"rotation":90.5}`, []string{`rotation "90.5"`}},
		{"low_light string", `{"low_light":"yes"}`, []string{`low_light "\"yes\"" is not accepted; send true or false`}},
		{"low_light number", `{"low_light":1}`, []string{"low_light"}},
		{"flip unknown", `{"flip":"x"}`, []string{`flip "\"x\"" is not accepted`, `"h", "v", "hv", or "none"`}},
		{"flip bool", `{"flip":true}`, []string{"flip"}},
		{"brightness high", `{"brightness":1.01}`, []string{`brightness "1.01" is not accepted; send a number from 0 to 1`}},
		{"brightness negative", `{"brightness":-0.1}`, []string{"brightness"}},
		{"brightness string", `{"brightness":"max"}`, []string{"brightness"}},
		{"nested value", `{"rotation":[90]}`, []string{"led.config: JSON nested too deep"}},
		{"too large", "{" + strings.Repeat(" ", MaxPayload) + "}", []string{"led.config: payload of 65538 bytes is too large"}},
	})
}
