package payload

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/display"
)

// textDefaults is what ParseText starts a JSON text from.
func textDefaults() Text {
	return Text{ScrollOpts: display.ScrollOpts{Fg: white, Bg: black, Speed: DefaultSpeed, Repeat: DefaultRepeat}}
}

// checkTextFast holds textFast to its promise on data: whatever it accepts,
// the general path accepts as the same Text.
func checkTextFast(t *testing.T, data []byte) (fast bool) {
	t.Helper()
	got, ok := textFast(data, textDefaults())
	if !ok {
		return false
	}
	want, err := parseTextJSON(data, textDefaults())
	if err != nil {
		t.Fatalf("textFast accepted %q as %+v; the general path refuses it: %v", data, got, err)
	}
	if got != want {
		t.Fatalf("textFast read %q as %+v; the general path as %+v", data, got, want)
	}
	return true
}

func TestTextFast(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fast bool // the fast path takes it (else the general path does)
	}{
		// The shapes of the docs, the CLI and the flood.
		{`{"text":"hello","color":"red"}`, true},
		{`{"text":"hi","color":[255,0,0]}`, true},
		{` { "text" : "hi" , "color" : [ 255 , 128 , 0 ] , "background" : "#001020" , "speed" : 20.5 , "repeat" : 3 , "mode" : "replace" } ` + "\n", true},
		{fmt.Sprintf(`{"text":%q,"speed":100}`, strings.Repeat("flood ", 166)), true},
		{`{"mode":"queue","text":"é€°"}`, true},
		{`{"text":"0","speed":0.5}`, false}, // too slow: refused by the general path
		// Valid but for the general path: escapes, nulls, exponents.
		{`{"text":"a\"b"}`, false},
		{`{"text":"\u00e9"}`, false},
		{`{"te\u0078t":"a"}`, false},
		{`{"text":"a","color":null}`, false},
		{`{"text":"a","speed":1e1}`, false},
		{`{"text":"a","color":[1e0,0,0]}`, false},
		{`{"text":"a","color":{"r":1}}`, false},
		// Refused, in the general path's words.
		{`{"text":"a","speed":-5}`, false},
		{`{"text":"a","speed":05}`, false},
		{`{"text":"a","speed":5.}`, false},
		{`{"text":"a","repeat":2.0}`, false},
		{`{"text":"a","repeat":0}`, false},
		{`{"text":"a","repeat":101}`, false},
		{`{"text":"a","text":"b"}`, false},
		{`{"text":"a","colour":"red"}`, false},
		{`{"text":"a","color":[1e-400,0,0]}`, false},
		{`{"text":"a","color":[1,2]}`, false},
		{`{"text":"a","color":"nocolour"}`, false},
		{`{"text":"a","mode":"later"}`, false},
		{"{\"text\":\"a\tb\"}", false},
		{"{\"text\":\"a\nb\"}", false},
		{"{\"text\":\"a\x01b\"}", false},
		{"{\"text\":\"a\xffb\"}", false},
		{`{"text":"   "}`, false},
		{`{"text":"a",}`, false},
		{`{"text":"a"} x`, false},
		{`{"text":"a"`, false},
		{`{"speed":5}`, false},
		{`{}`, false},
		{`{"text":5}`, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if fast := checkTextFast(t, []byte(tc.in)); fast != tc.fast {
				t.Errorf("textFast took it: %v, want %v", fast, tc.fast)
			}
		})
	}
}

// FuzzTextFast looks for a payload textFast reads otherwise than the
// general path.
func FuzzTextFast(f *testing.F) {
	for _, s := range []string{
		`{"text":"hi","color":[1,2,3],"speed":5,"repeat":2,"mode":"replace"}`,
		`{"text":"hello","color":"red","background":"#abc"}`,
		` {"speed":100.25, "text":"x y"}`,
		`{"text":"a","repeat":10,"mode":"queue"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) <= MaxPayload {
			checkTextFast(t, data)
		}
	})
}

// BenchmarkParseTextFlood is ParseText on a text of a flood: about 1 KiB
// of JSON, the longest text accepted.
func BenchmarkParseTextFlood(b *testing.B) {
	benchParse(b, []byte(fmt.Sprintf(`{"text":%q,"speed":100}`, strings.Repeat("flood ", 166))), ParseText)
}
