package payload

import (
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/wire"
)

func TestParseFrame(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", wire.FormatRaw},
		{"  \n", wire.FormatRaw},
		{"raw", wire.FormatRaw},
		{"RGB888", wire.FormatRaw},
		{"png", wire.FormatPNG},
		{" PNG\n", wire.FormatPNG},
		{`{"format":"png"}`, wire.FormatPNG},
		{`{"format":"raw"}`, wire.FormatRaw},
		{`{}`, wire.FormatRaw},
		{`{"format":null}`, wire.FormatRaw},
	} {
		got, err := ParseFrame([]byte(tc.in))
		if err != nil || got.Format != tc.want {
			t.Errorf("ParseFrame(%q) = %+v, %v; want format %s", tc.in, got, err, tc.want)
		}
	}
}

// The refusals go through the strict JSON path and quote input cut
// between whole runes (the old frame parser cut "é" in half at byte 32).
func TestParseFrameErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		phrases  []string
	}{
		{"unknown format", "gif", []string{`led.frame: unknown format "gif"`, `"png" for a PNG`}},
		{"long name cut between runes", strings.Repeat("é", 40), []string{`"` + strings.Repeat("é", 16) + `"…`}},
		{"unknown field", `{"format":"png","size":1}`, []string{`unknown field "size"; accepted fields are format`}},
		{"field twice", `{"format":"png","format":"raw"}`, []string{`field "format" appears twice`}},
		{"not a string", `{"format":3}`, []string{`format "3" is not a string`}},
		{"malformed", `{"format":`, []string{"led.frame: malformed JSON", `{"format":"png"}`}},
		{"nested", `{"format":{"a":1}}`, []string{"nested too deep"}},
		{"too large", strings.Repeat(" ", MaxPayload+1), []string{"too large"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFrame([]byte(tc.in))
			wantError(t, err, tc.phrases...)
		})
	}
}

func TestParseFrameWatch(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", wire.DefaultLease},
		{"30", 30 * time.Second},
		{" 0.5\n", 500 * time.Millisecond},
		{`{"seconds":60}`, wire.MaxLease},
	} {
		got, err := ParseFrameWatch([]byte(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("ParseFrameWatch(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, phrase string }{
		{"0", "out of range"},
		{"61", "out of range"},
		{"NaN", "out of range"},
		{"-5", "out of range"},
		{"soon", `"soon" is not a number of seconds`},
		{`{"secs":5}`, `unknown field "secs"`},
		{`{}`, `has no "seconds"`},
		{`{"seconds":"5"}`, "is not a number"},
		{`{"seconds":1e-400}`, "too small for a 64-bit float"},
	} {
		_, err := ParseFrameWatch([]byte(tc.in))
		wantError(t, err, "led.frame.watch: ", tc.phrase)
	}
}
