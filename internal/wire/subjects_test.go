package wire

import (
	"strings"
	"testing"

	"github.com/sensehat/sensehat/internal/testutil"
)

// The subjects are the contract's table (design.md, "Subjects"): every
// one is spelled out here, so a change to a builder shows as a change to
// the contract.
func TestSubjectsAreTheContract(t *testing.T) {
	s, err := NewSubjects("sensehat", "pi1")
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		s.Text():            "sensehat.pi1.led.text",
		s.Pixels():          "sensehat.pi1.led.pixels",
		s.Clear():           "sensehat.pi1.led.clear",
		s.Config():          "sensehat.pi1.led.config",
		s.Frame():           "sensehat.pi1.led.frame",
		s.FrameWatch():      "sensehat.pi1.led.frame.watch",
		s.FrameLive():       "sensehat.pi1.led.frame.live",
		s.Instance():        "sensehat.pi1.led.instance",
		s.Status():          "sensehat.pi1.status",
		s.Joystick("up"):    "sensehat.pi1.joystick.up",
		s.Joystick("*"):     "sensehat.pi1.joystick.*",
		s.Env():             "sensehat.pi1.sensors.env",
		s.Motion():          "sensehat.pi1.sensors.motion",
		s.Colour():          "sensehat.pi1.sensors.colour",
		s.Sensors("*"):      "sensehat.pi1.sensors.*",
		s.ColourConfig():    "sensehat.pi1.colour.config",
		s.All():             "sensehat.pi1.>",
		s.AllText():         "sensehat.all.led.text",
		s.AnyText():         "sensehat.any.led.text",
		s.For("pi2").Base(): "sensehat.pi2",
		s.Availability():    "sensehat.pi1.availability",
		s.State():           "sensehat.pi1.state",
		ServicePing():       "$SRV.PING.sensehat",
		ServiceInfo():       "$SRV.INFO.sensehat",
		ServiceStats():      "$SRV.STATS.sensehat",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestNewSubjectsRefusesBadTokens(t *testing.T) {
	for _, tc := range []struct{ prefix, id, want string }{
		{"", "pi1", "prefix is empty"},
		{"sensehat", "", "id is empty"},
		{"sense.hat", "pi1", `'.'`},
		{"sensehat", "pi*", `'*'`},
		{"sensehat", "p>", `'>'`},
		{"sensehat", "pi 1", `' '`},
		{"sensehat", "all", `id "all" is reserved`},
		{"sensehat", "any", `id "any" is reserved`},
	} {
		_, err := NewSubjects(tc.prefix, tc.id)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSubjects(%q, %q) = %v, want an error with %s", tc.prefix, tc.id, err, tc.want)
		}
	}
}

// Home Assistant's discovery topics: <prefix>/device/<object_id>/config and
// its birth topic <prefix>/status
// (https://www.home-assistant.io/integrations/mqtt/#discovery-topic,
// #birth-and-last-will-messages), as subjects.
func TestHomeAssistantSubjects(t *testing.T) {
	h, err := NewHomeAssistant("homeassistant")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Status(), "homeassistant.status"; got != want {
		t.Errorf("Status() = %q, want %q", got, want)
	}
	if got, want := h.DeviceConfig("sensehat_pi1"), "homeassistant.device.sensehat_pi1.config"; got != want {
		t.Errorf("DeviceConfig = %q, want %q", got, want)
	}
	h2, err := NewHomeAssistant("site/ha")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h2.Status(), "site.ha.status"; got != want {
		t.Errorf("two-level Status() = %q, want %q", got, want)
	}
	for _, bad := range []string{"", "a.b", "a//b", "ha/#", "a b"} {
		if _, err := NewHomeAssistant(bad); err == nil {
			t.Errorf("NewHomeAssistant(%q) accepted", bad)
		}
	}
}

// nats-server's MQTT listener: topic a/b/c is subject a.b.c, '+' is '*'
// and '#' is '>' (nats-server docs, "MQTT", topic and subject mapping).
func TestTopic(t *testing.T) {
	testutil.CheckMapping(t, "Topic", Topic, map[string]string{
		"sensehat.pi1.sensors.env":      "sensehat/pi1/sensors/env",
		"homeassistant.device.x.config": "homeassistant/device/x/config",
		"sensehat.pi1.>":                "sensehat/pi1/#",
		"sensehat.*.joystick.*":         "sensehat/+/joystick/+",
		">":                             "#",
	})
}
