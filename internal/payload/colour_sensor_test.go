package payload

import (
	"errors"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/internal/wire"
)

func TestParseColourConfig(t *testing.T) {
	ip := func(v int) *int { return &v }
	ok := []struct {
		in          string
		gain, cycle *int
	}{
		{``, nil, nil},
		{" \n", nil, nil},
		{`{"gain":16}`, ip(16), nil},
		{`{"integration_cycles":256}`, nil, ip(256)},
		{`{"gain":60,"integration_cycles":1}`, ip(60), ip(1)},
		{`{"gain":4,"integration_cycles":null}`, ip(4), nil},
	}
	for _, tc := range ok {
		c, err := ParseColourConfig([]byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !eqPtr(c.Gain, tc.gain) || !eqPtr(c.IntegrationCycles, tc.cycle) {
			t.Errorf("%q: got %v %v", tc.in, c.Gain, c.IntegrationCycles)
		}
	}
	bad := []struct{ in, want string }{
		{`16`, "payload is not a JSON object"},
		{`{"gain":"16"}`, `gain "\"16\"" is not accepted`},
		{`{"gain":16.5}`, `gain "16.5" is not accepted`},
		{`{"gain":0}`, `gain "0" is not accepted`},
		{`{"integration_cycles":0}`, `integration_cycles "0" is not accepted; send an integer from 1 to 256`},
		{`{"integration_cycles":257}`, `integration_cycles "257"`},
		{`{"cycles":10}`, `unknown field "cycles"; accepted fields are gain, integration_cycles`},
		{`{}`, "nothing to change"},
		{`{"gain":{"x":1}}`, "nested too deep"},
		{`{"gain":`, "malformed JSON"},
		{strings.Repeat(" ", MaxPayload+1), "too large"},
	}
	for _, tc := range bad {
		_, err := ParseColourConfig([]byte(tc.in))
		var pe *wire.Error
		if !errors.As(err, &pe) || pe.Code != wire.Invalid || !strings.HasPrefix(err.Error(), "colour.config: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.40q: err = %v, want an invalid *wire.Error mentioning %q", tc.in, err, tc.want)
		}
	}
}

func eqPtr(a, b *int) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func FuzzParseColourConfig(f *testing.F) {
	fuzzParser(f, "colour.config: ", ParseColourConfig, [][]byte{
		[]byte(""),
		[]byte(`{"gain":16,"integration_cycles":64}`),
		[]byte(`{"gain":null}`),
	}, func(t *testing.T, data []byte, c wire.ColourConfig) {
		if c.Gain != nil && *c.Gain <= 0 {
			t.Fatalf("gain %d accepted", *c.Gain)
		}
		if n := c.IntegrationCycles; n != nil && (*n < 1 || *n > 256) {
			t.Fatalf("integration_cycles %d accepted", *n)
		}
		if c.Gain == nil && c.IntegrationCycles == nil && firstNonSpace(data) != 0 {
			t.Fatalf("%q changes nothing yet was accepted", data)
		}
	})
}
