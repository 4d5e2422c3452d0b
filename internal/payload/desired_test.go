package payload_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/wire"
)

func TestParseDesiredAcceptsEverySetting(t *testing.T) {
	d, refused, err := payload.ParseDesired([]byte(`{"rotation":180,"flip":"vh","low_light":true,"brightness":0.5,"gamma":"full",
		"env_interval":"2000ms","motion_interval":"50ms","colour_interval":"1s","colour_gain":16,"colour_cycles":64,
		"temp_factor":1.6,"ha_prefix":"ha/test"}`))
	if err != nil || len(refused) > 0 {
		t.Fatalf("err %v, refused %v", err, refused)
	}
	if *d.Rotation != 180 || *d.Flip != "hv" || !*d.LowLight || *d.Brightness != 0.5 || *d.Gamma != "full" ||
		*d.EnvInterval != "2s" || *d.MotionInterval != "50ms" || *d.ColourGain != 16 || *d.ColourCycles != 64 ||
		*d.TempFactor != 1.6 || *d.HAPrefix != "ha/test" {
		t.Errorf("decoded %v", d.Values())
	}
	if got := len(d.Values()); got != len(wire.DesiredFields) {
		t.Errorf("%d fields set, want all %d", got, len(wire.DesiredFields))
	}
}

// A value of the wrong type or out of range is refused alone; the rest of
// the document stands.
func TestParseDesiredRefusesFieldByField(t *testing.T) {
	d, refused, err := payload.ParseDesired([]byte(`{"rotation":45,"low_light":"yes","brightness":2,"env_interval":"1ms","colour_gain":3,"flip":"h"}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Flip == nil || *d.Flip != "h" || d.Rotation != nil || d.LowLight != nil || d.Brightness != nil || d.EnvInterval != nil || d.ColourGain != nil {
		t.Errorf("decoded %v, want flip alone", d.Values())
	}
	var names []string
	for _, r := range refused {
		names = append(names, r.Setting)
	}
	if got := strings.Join(names, ","); got != "rotation,low_light,brightness,env_interval,colour_gain" {
		t.Errorf("refused %s", got)
	}
}

// A document that is not a small flat JSON object is refused whole.
func TestParseDesiredRefusesHostileDocuments(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"1 MB", `{"ha_prefix":"` + strings.Repeat("a", 1<<20) + `"}`, "too large"},
		{"deeply nested", strings.Repeat(`{"rotation":`, 10000) + "0" + strings.Repeat("}", 10000), "too large"},
		{"nested a little", `{"rotation":{"a":[1]}}`, "nested too deep"},
		{"array", `[1,2]`, "not a JSON object"},
		{"unknown field", `{"rotation":90,"colour":"red"}`, "unknown field"},
		{"twice", `{"rotation":90,"rotation":180}`, "twice"},
		{"malformed", `{"rotation":`, "malformed JSON"},
		{"a NUL first", "\x00{}", "not a JSON object"},
		{"invalid UTF-8", "{\"flip\":\"\xff\"}", "invalid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := payload.ParseDesired([]byte(tc.doc))
			var we *wire.Error
			if !errors.As(err, &we) || we.Code != wire.Invalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want a wire.Invalid saying %q", err, tc.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("the refusal echoes %d bytes", len(err.Error()))
			}
		})
	}
	// Nested deep but under the size limit.
	_, _, err := payload.ParseDesired([]byte(strings.Repeat("[", 2000)))
	if err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("2000 '[': %v", err)
	}
	_, _, err = payload.ParseDesired([]byte(`{"a":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`))
	if err == nil || !strings.Contains(err.Error(), "nested too deep") {
		t.Errorf("1000 '[' in an object: %v", err)
	}
}

func TestParseDesiredEmptyIsNothingSet(t *testing.T) {
	for _, doc := range []string{"", " ", "{}", `{"rotation":null}`} {
		d, refused, err := payload.ParseDesired([]byte(doc))
		if err != nil || len(refused) > 0 || len(d.Values()) != 0 {
			t.Errorf("%q: %v %v %v", doc, d.Values(), refused, err)
		}
	}
}
