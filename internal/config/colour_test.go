package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestColourFlags(t *testing.T) {
	c := DefaultConfig()
	if c.ColourInterval != time.Second || c.ColourGain != 1 || c.ColourCycles != 1 {
		t.Fatalf("defaults = %v, gain %d, %d cycles; want 1s and python-sense-hat's gain 1, one cycle", c.ColourInterval, c.ColourGain, c.ColourCycles)
	}
	err := c.Parse("sensehatd", []string{"--colour-gain", "16"}, env(map[string]string{
		"SENSEHAT_COLOUR_INTERVAL": "2s",
		"SENSEHAT_COLOUR_GAIN":     "4",
		"SENSEHAT_COLOUR_CYCLES":   "256",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.ColourInterval != 2*time.Second || c.ColourGain != 16 || c.ColourCycles != 256 {
		t.Fatalf("got %v, gain %d, %d cycles; want 2s, the flag's 16, 256", c.ColourInterval, c.ColourGain, c.ColourCycles)
	}
}

func TestColourFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--colour-gain", "2"}, "--colour-gain 2; use 1, 4, 16, and 64 (TCS3400) or 60 (TCS34725)"},
		{[]string{"--colour-cycles", "0"}, "--colour-cycles 0; use 1 to 256"},
		{[]string{"--colour-cycles", "257"}, "--colour-cycles 257; use 1 to 256"},
		{[]string{"--colour-interval", "1ms"}, "--colour-interval 1ms is too short"},
		// 256 × 2.75 ms = 704 ms.
		{[]string{"--colour-cycles", "256", "--colour-interval", "700ms"}, "--colour-cycles 256 integrate for up to 704ms, longer than --colour-interval 700ms"},
	} {
		c := DefaultConfig()
		err := c.Parse("sensehatd", tc.args, env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	c := DefaultConfig()
	if err := c.Parse("sensehatd", []string{"--colour-cycles", "256", "--colour-interval", "704ms"}, env(nil), io.Discard); err != nil {
		t.Errorf("256 cycles in 704ms: %v", err)
	}
}
