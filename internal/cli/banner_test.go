package cli

import (
	"strings"
	"testing"

	"github.com/sensehat/sensehat/internal/config"
)

// The banner's MQTT topics are the subjects in nats-server's MQTT form
// ('.' for '/', '>' for '#'), as wire.Topic maps them.
func TestMQTTBannerTopics(t *testing.T) {
	cfg := config.DefaultConfig()
	cfg.Prefix, cfg.ID = "sensehat", "emu"
	var b strings.Builder
	mqttBanner(&b, "127.0.0.1:1883", cfg)
	for _, want := range []string{
		"topic sensehat/emu/led/text is subject sensehat.emu.led.text",
		"-t 'sensehat/emu/#' -v",
		"-t sensehat/emu/led/text -m 'hello'",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, b.String())
		}
	}
}
