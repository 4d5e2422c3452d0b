package payload

import (
	"fmt"
	"image/color"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/display"
)

func TestParseClear(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want color.RGBA
	}{
		{"empty is black", "", color.RGBA{0, 0, 0, 255}},
		{"white space is black", " \r\n", color.RGBA{0, 0, 0, 255}},
		{"name", "red", color.RGBA{255, 0, 0, 255}},
		{"name with newline", "Orange\n", color.RGBA{255, 0xa5, 0, 255}},
		{"hex", "#ff8800", color.RGBA{255, 0x88, 0, 255}},
		{"short hex", "#0f0", color.RGBA{0, 255, 0, 255}},
		{"JSON string", `"blue"`, color.RGBA{0, 0, 255, 255}},
		{"JSON array", `[1, 2, 3]`, color.RGBA{1, 2, 3, 255}},
		{"off", "off", color.RGBA{0, 0, 0, 255}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseClear([]byte(tc.in))
			if err != nil {
				t.Fatalf("ParseClear(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("ParseClear(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseClearErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		phrases []string
	}{
		{"unknown name", "blurple", []string{`led.clear: unknown colour "blurple"`, "#rrggbb", "an empty payload is black"}},
		{"bad hex", "#12345", []string{"led.clear: unknown colour"}},
		{"array too short", "[1,2]", []string{"led.clear: unknown colour"}},
		{"array out of range", "[0,0,300]", []string{"led.clear: unknown colour"}},
		{"malformed JSON", `"red`, []string{"led.clear:", "no colour", "#rrggbb"}},
		{"nested", "[[1,2,3]]", []string{"led.clear:", "no colour"}},
		{"invalid UTF-8", "r\xffd", []string{"led.clear: invalid UTF-8"}},
		{"long", strings.Repeat("x", 200), []string{"led.clear: 200 bytes is too long for a colour"}},
		{"too large", strings.Repeat(" ", MaxPayload+1), []string{"led.clear: payload of 65537 bytes is too large"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseClear([]byte(tc.in))
			if err == nil {
				t.Fatalf("ParseClear(%q) = %v, want an error", tc.in, got)
			}
			wantError(t, err, tc.phrases...)
		})
	}
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

func TestParseConfig(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`{"rotation":0}`, "rotation=0 low_light=- flip_h=- flip_v=- brightness=-"},
		{`{"rotation":90}`, "rotation=90 low_light=- flip_h=- flip_v=- brightness=-"},
		{`{"rotation":180}`, "rotation=180 low_light=- flip_h=- flip_v=- brightness=-"},
		{`{"rotation":270}`, "rotation=270 low_light=- flip_h=- flip_v=- brightness=-"},
		{`{"low_light":true}`, "rotation=- low_light=true flip_h=- flip_v=- brightness=-"},
		{`{"low_light":false}`, "rotation=- low_light=false flip_h=- flip_v=- brightness=-"},
		{`{"flip":"h"}`, "rotation=- low_light=- flip_h=true flip_v=false brightness=-"},
		{`{"flip":"v"}`, "rotation=- low_light=- flip_h=false flip_v=true brightness=-"},
		{`{"flip":"hv"}`, "rotation=- low_light=- flip_h=true flip_v=true brightness=-"},
		{`{"flip":"vh"}`, "rotation=- low_light=- flip_h=true flip_v=true brightness=-"},
		{`{"flip":""}`, "rotation=- low_light=- flip_h=false flip_v=false brightness=-"},
		{`{"flip":"none"}`, "rotation=- low_light=- flip_h=false flip_v=false brightness=-"},
		{`{"brightness":0}`, "rotation=- low_light=- flip_h=- flip_v=- brightness=0"},
		{`{"brightness":0.25}`, "rotation=- low_light=- flip_h=- flip_v=- brightness=0.25"},
		{`{"brightness":1}`, "rotation=- low_light=- flip_h=- flip_v=- brightness=1"},
		{` {"rotation":180, "low_light":true, "flip":"h", "brightness":0.5}`, "rotation=180 low_light=true flip_h=true flip_v=false brightness=0.5"},
		{`{"rotation":90,"brightness":null}`, "rotation=90 low_light=- flip_h=- flip_v=- brightness=-"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseConfig([]byte(tc.in))
			if err != nil {
				t.Fatalf("ParseConfig(%s): %v", tc.in, err)
			}
			if s := show(got); s != tc.want {
				t.Errorf("ParseConfig(%s) = %s, want %s", tc.in, s, tc.want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		phrases []string
	}{
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(tc.in))
			if err == nil {
				t.Fatalf("ParseConfig(%q) = %s, want an error", tc.in, show(got))
			}
			wantError(t, err, tc.phrases...)
		})
	}
}
