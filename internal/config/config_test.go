package config

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParsePrecedence(t *testing.T) {
	c := DefaultConfig()
	err := c.Parse("sensehatd", []string{"--id", "flagid", "--display", "fb:/tmp/fb.out"}, env(map[string]string{
		"SENSEHAT_ID":              "envid",
		"NATS_URL":                 "nats://10.0.0.1:4222",
		"SENSEHAT_ENV_INTERVAL":    "5s",
		"SENSEHAT_LOW_LIGHT":       "true",
		"SENSEHAT_JOYSTICK":        "evdev:/dev/input/event3",
		"SENSEHAT_ROTATION":        "180",
		"STATE_DIRECTORY":          "/var/lib/sensehatd:/var/lib/other",
		"SENSEHAT_MOTION_INTERVAL": "",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "flagid" {
		t.Errorf("ID = %q, want the flag to win over SENSEHAT_ID", c.ID)
	}
	if c.NATS != "nats://10.0.0.1:4222" {
		t.Errorf("NATS = %q, want NATS_URL", c.NATS)
	}
	if c.EnvInterval != 5*time.Second || !c.LowLight || c.Rotation != 180 {
		t.Errorf("env not applied: %+v", c)
	}
	if c.MotionInterval != 100*time.Millisecond {
		t.Errorf("MotionInterval = %v, want the default", c.MotionInterval)
	}
	if c.Display.Kind != "fb" || c.Display.Arg != "/tmp/fb.out" {
		t.Errorf("Display = %+v", c.Display)
	}
	if c.Joystick.String() != "evdev:/dev/input/event3" {
		t.Errorf("Joystick = %v", c.Joystick.String())
	}
	if c.StateDir != "/var/lib/sensehatd" {
		t.Errorf("StateDir = %q, want the first STATE_DIRECTORY entry", c.StateDir)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad display", []string{"--display", "hdmi"}, nil, `unknown backend "hdmi"`},
		{"sensors take no path", []string{"--sensors", "sim:/x"}, nil, "takes no argument"},
		{"bad bus", []string{"--display", "i2c:one"}, nil, "not a bus number"},
		{"fb on joystick", []string{"--joystick", "fb"}, nil, `unknown backend "fb"`},
		{"rotation", []string{"--rotation", "45"}, nil, "use 0, 90, 180 or 270"},
		{"reserved id", []string{"--id", "all"}, nil, "reserved"},
		{"dotted id", []string{"--id", "a.b"}, nil, "not a valid subject token"},
		{"bad env", nil, map[string]string{"SENSEHAT_ENV_INTERVAL": "soon"}, "SENSEHAT_ENV_INTERVAL"},
		{"half tls", []string{"--tlscert", "c.pem"}, nil, "--tlscert and --tlskey go together"},
		{"stray argument", []string{"hello"}, nil, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			err := c.Parse("sensehatd", tc.args, env(tc.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestSanitizeID(t *testing.T) {
	testutil.CheckMapping(t, "SanitizeID", SanitizeID, map[string]string{
		"raspberrypi":      "raspberrypi",
		"Pi-Kitchen.local": "pi-kitchen",
		"my pi*2":          "my-pi-2",
		"--x--":            "x",
	})
}

// --ha-prefix: default homeassistant (Home Assistant's own default
// discovery prefix), the environment sets it, "" or none turns it off.
func TestHAPrefix(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		on   bool
		subj string
	}{
		{"default", nil, nil, true, "homeassistant.status"},
		{"env", nil, map[string]string{"SENSEHAT_HA_PREFIX": "ha"}, true, "ha.status"},
		{"flag empty", []string{"--ha-prefix", ""}, map[string]string{"SENSEHAT_HA_PREFIX": "ha"}, false, ""},
		{"env none", nil, map[string]string{"SENSEHAT_HA_PREFIX": "none"}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			if err := c.Parse("sensehatd", tc.args, env(tc.env), io.Discard); err != nil {
				t.Fatal(err)
			}
			h, on, err := c.HADiscovery()
			if err != nil || on != tc.on || (on && h.Status() != tc.subj) {
				t.Errorf("HADiscovery() = %q, %v, %v; want %q, %v", h.Status(), on, err, tc.subj, tc.on)
			}
		})
	}
	c := DefaultConfig()
	if err := c.Parse("sensehatd", []string{"--ha-prefix", "ha/#"}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "--ha-prefix") {
		t.Errorf("--ha-prefix ha/# = %v, want an error naming --ha-prefix", err)
	}
}
