package payload

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStrictJSON: what encoding/json accepts without a word and every
// endpoint now refuses. The first case of each kind is the issue's.
func TestStrictJSON(t *testing.T) {
	// What encoding/json itself makes of these inputs, so the tests show
	// the behaviour they refuse is real: \ud800 becomes U+FFFD, 1e-400
	// becomes 0, and the last of two members wins.
	var s string
	if err := json.Unmarshal([]byte(`"\ud800"`), &s); err != nil || s != "\ufffd" {
		t.Fatalf("encoding/json gave %q, %v for a lone surrogate", s, err)
	}
	var f float64
	if err := json.Unmarshal([]byte(`1e-400`), &f); err != nil || f != 0 {
		t.Fatalf("encoding/json gave %v, %v for 1e-400", f, err)
	}
	var m map[string]int
	if err := json.Unmarshal([]byte(`{"a":1,"a":2}`), &m); err != nil || m["a"] != 2 {
		t.Fatalf("encoding/json gave %v, %v for a duplicate", m, err)
	}

	text := func(b []byte) error { _, err := ParseText(b); return err }
	pixels := func(b []byte) error { _, err := ParsePixels(b); return err }
	clearer := func(b []byte) error { _, err := ParseClear(b); return err }
	config := func(b []byte) error { _, err := ParseConfig(b); return err }
	json64 := func(last string) string { return "[" + strings.Repeat(`"red",`, 63) + last + "]" }

	tests := []struct {
		name    string
		parse   func([]byte) error
		in      string
		phrases []string
	}{
		{"text lone high surrogate", text, `{"text":"\ud800"}`,
			[]string{`led.text: "text": the escape \ud800 at byte 9 is half of a UTF-16 surrogate pair, not a character`}},
		{"text lone low surrogate", text, `{"text":"a\udc00b"}`, []string{`\udc00 at byte 10`}},
		{"text high surrogate then a letter", text, `{"text":"\ud83dx"}`, []string{`\ud83d at byte 9`}},
		{"text high surrogate then a high one", text, `{"text":"\ud83d\ud83d"}`, []string{`\ud83d at byte 9`}},
		{"text surrogate upper case", text, `{"text":"\uD800"}`, []string{`\uD800 at byte 9`}},
		{"text surrogate in mode", text, `{"text":"a","mode":"\ud800"}`, []string{`"mode": the escape \ud800`}},
		{"config surrogate in a member name", config, `{"flip\udfff":"h"}`, []string{`\udfff at byte 6`}},
		{"text surrogate in the second member name", text, `{"text":"a","x\ud800":1}`, []string{`led.text: the escape \ud800 at byte 14`}},
		{"config brightness 1e-400", config, `{"brightness":1e-400}`,
			[]string{`led.config: "brightness": the number "1e-400" at byte 14 is too small for a 64-bit float and would read as 0`}},
		// The number is quoted cut short like any other input.
		{"config brightness of 60000 digits", config, `{"brightness":0.` + strings.Repeat("0", 60000) + `1}`,
			[]string{`the number "0.` + strings.Repeat("0", 30) + `"… at byte 14`}},
		{"config brightness 0.1e-323", config, `{"brightness":0.1e-323}`, []string{"0.1e-323", "would read as 0"}},
		{"text speed 1e-400", text, `{"text":"a","speed":1e-400}`, []string{`"speed": the number "1e-400"`}},
		{"config duplicate", config, `{"rotation":90,"rotation":180}`,
			[]string{`led.config: field "rotation" appears twice (again at byte 15); send each field once`}},
		{"config duplicate through an escape", config, `{"flip":"h","\u0066lip":"v"}`, []string{`field "flip" appears twice`}},
		{"text duplicate text", text, `{"text":"a","text":"b"}`, []string{`field "text" appears twice`}},
		{"text duplicate null", text, `{"text":"a","color":null,"color":"red"}`, []string{`field "color" appears twice`}},
		{"text duplicate inside a colour object", text, `{"text":"a","color":{"r":1,"r":2}}`, []string{`field "r" appears twice`}},
		// Colours need no extra check: names are ASCII and arrays hold
		// integers 0..255 only, so the colour parser refuses these itself.
		{"clear lone surrogate", clearer, ` "\ud800"`, []string{`led.clear: unknown colour`}},
		{"clear 1e-400", clearer, `[1e-400,0,0]`, []string{`led.clear: unknown colour`}},
		{"pixels lone surrogate", pixels, json64(`"\ud800"`), []string{"colour 63 (x 7, y 7): unknown colour"}},
		{"pixels 1e-400", pixels, json64(`[0,1e-400,0]`), []string{"colour 63 (x 7, y 7): unknown colour"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse([]byte(tc.in))
			if err == nil {
				t.Fatal("accepted")
			}
			wantError(t, err, tc.phrases...)
		})
	}

	// What strictness must not refuse.
	accepted := []struct {
		name  string
		parse func([]byte) error
		in    string
	}{
		{"a surrogate pair", text, `{"text":"\ud83d\ude00"}`},
		{"escaped backslash before u", text, `{"text":"\\ud800"}`},
		{"zero written long", config, `{"brightness":0.000e-400}`},
		{"negative zero", config, `{"brightness":-0}`},
		{"smallest subnormal", config, `{"brightness":5e-324}`},
		{"large exponent of a small number", text, `{"text":"a","speed":1000e-3}`},
		{"escape in a colour name", clearer, `"\u0072ed"`},
		{"same name in two objects", text, `{"text":"a","color":"red","background":"red"}`},
	}
	for _, tc := range accepted {
		t.Run("accepted: "+tc.name, func(t *testing.T) {
			if err := tc.parse([]byte(tc.in)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
