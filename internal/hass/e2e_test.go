package hass_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sensehat/sensehat/internal/hass"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
	"github.com/sensehat/sensehat/sensehat"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// mqttServer is an embedded nats-server with its MQTT listener on, which
// needs JetStream and a server name.
func mqttServer(t *testing.T) (*testutil.Server, int) {
	t.Helper()
	port := testutil.FreePort(t)
	srv := testutil.StartServer(t, &server.Options{
		ServerName: "hass-e2e",
		JetStream:  true,
		StoreDir:   t.TempDir(),
		MQTT:       server.MQTTOpts{Host: "127.0.0.1", Port: port},
	})
	return srv, port
}

// sub is a running mosquitto_sub: Debian's MQTT client, a real one.
type sub struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{}
}

func mosquittoSub(t *testing.T, port int, auth []string, topics ...string) *sub {
	t.Helper()
	args := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-v", "-i", "hass-e2e-sub"}, auth...)
	for _, tp := range topics {
		args = append(args, "-t", tp)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "mosquitto_sub", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("mosquitto_sub (apt-get install mosquitto-clients): %v", err)
	}
	s := &sub{more: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			s.mu.Lock()
			s.lines = append(s.lines, sc.Text())
			s.mu.Unlock()
			select {
			case s.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = cmd.Wait()
	})
	return s
}

// wait returns the payload of the first line from index from on that has
// topic and passes ok, failing the test after 15 s. It also returns the
// index after that line.
func (s *sub) wait(t *testing.T, from int, topic string, ok func(string) bool) (string, int) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		s.mu.Lock()
		lines := s.lines
		s.mu.Unlock()
		for i := from; i < len(lines); i++ {
			tp, payload, _ := strings.Cut(lines[i], " ")
			if tp == topic && (ok == nil || ok(payload)) {
				return payload, i + 1
			}
		}
		select {
		case <-s.more:
		case <-deadline:
			t.Fatalf("no message on %s in 15s; saw %d lines, last: %q", topic, len(lines), tail(lines))
		}
	}
}

func (s *sub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lines)
}

func tail(l []string) []string {
	if len(l) > 5 {
		return l[len(l)-5:]
	}
	return l
}

func mosquittoPub(t *testing.T, port int, auth []string, topic, msg string) {
	t.Helper()
	args := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-t", topic, "-m", msg}, auth...)
	out, err := exec.Command("mosquitto_pub", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("mosquitto_pub -t %s: %v: %s", topic, err, out)
	}
}

// Home Assistant's side of the contract, played by mosquitto over
// nats-server's MQTT listener: discovery after a birth message, readings
// the templates can read, a text that scrolls, a joystick event, and
// "offline" on a clean stop.
func TestHomeAssistantOverMQTT(t *testing.T) {
	testutil.CheckLeaks(t)
	srv, port := mqttServer(t)
	hat, stop := startDaemon(t, srv.URL(), "", "", io.Discard)

	s := mosquittoSub(t, port, nil, "homeassistant/#", "sensehat/pi1/#")
	// Readings arriving prove the subscription is in place.
	s.wait(t, 0, "sensehat/pi1/sensors/env", nil)

	// Home Assistant's birth message: discovery comes (again), whatever
	// was sent before.
	before := s.count()
	mosquittoPub(t, port, nil, "homeassistant/status", "online")
	disc, _ := s.wait(t, before, "homeassistant/device/sensehat_pi1/config", nil)
	s.wait(t, before, "sensehat/pi1/availability", func(p string) bool { return p == hass.Online })

	var msg struct {
		Device     map[string]any            `json:"device"`
		Components map[string]map[string]any `json:"components"`
	}
	if err := json.Unmarshal([]byte(disc), &msg); err != nil {
		t.Fatalf("discovery over MQTT is not JSON: %v\n%s", err, disc)
	}
	if msg.Device["serial_number"] != "pi1" {
		t.Errorf("device block %v", msg.Device)
	}
	// Every reading's value_template reads a value from what the daemon
	// really publishes on its state topic.
	checked := 0
	for key, c := range msg.Components {
		if c["platform"] != "sensor" {
			continue
		}
		topic := c["state_topic"].(string)
		payload, _ := s.wait(t, before, topic, nil)
		var vj map[string]any
		if err := json.Unmarshal([]byte(payload), &vj); err != nil {
			t.Fatalf("%s: payload on %s is not JSON: %v", key, topic, err)
		}
		v := hass.Render(t, c["value_template"].(string), map[string]any{"value_json": vj})
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			t.Errorf("%s: template %q on %s gives %q, not a number", key, c["value_template"], payload, v)
		}
		checked++
	}
	if checked < 6 {
		t.Errorf("checked %d sensor templates, want the simulated board's temperature, raw temperature, humidity, pressure, roll and pitch", checked)
	}

	// The light, rotation and low-light entities read what the daemon
	// applied from its reported state, rendered as Home Assistant would.
	for _, key := range []string{"matrix", "rotation", "low_light", "text"} {
		if _, ok := msg.Components[key]["optimistic"]; ok {
			t.Errorf("%s is still optimistic", key)
		}
	}
	if msg.Components["text"]["state_topic"] == nil || msg.Components["matrix"]["rgb_state_topic"] == nil {
		t.Errorf("the text entity reads no state (%v), or the light no colour (%v)", msg.Components["text"]["state_topic"], msg.Components["matrix"]["rgb_state_topic"])
	}
	rot, ll, light := msg.Components["rotation"], msg.Components["low_light"], msg.Components["matrix"]
	from := s.count()
	mosquittoPub(t, port, nil, "sensehat/pi1/led/config", `{"rotation":180,"low_light":true,"brightness":0.5}`)
	payload, _ := s.wait(t, from, rot["state_topic"].(string), func(p string) bool {
		return strings.Contains(p, `"rotation":180`) && strings.Contains(p, `"low_light":true`) && strings.Contains(p, `"brightness":0.5`)
	})
	var vj map[string]any
	if err := json.Unmarshal([]byte(payload), &vj); err != nil {
		t.Fatalf("the reported state is not JSON: %v", err)
	}
	vars := map[string]any{"value_json": vj}
	if got := hass.Render(t, rot["value_template"].(string), vars); got != "180" {
		t.Errorf("rotation select reads %q, want 180", got)
	}
	if got := hass.Render(t, ll["value_template"].(string), vars); got != ll["state_on"] {
		t.Errorf("low light switch reads %q, want its state_on %v", got, ll["state_on"])
	}
	if got := hass.Render(t, light["brightness_value_template"].(string), vars); got != "50" {
		t.Errorf("light brightness reads %q, want 50 of brightness_scale %v", got, light["brightness_scale"])
	}

	// A text published over MQTT scrolls on the matrix, and the light
	// reads on.
	from = s.count()
	mosquittoPub(t, port, nil, "sensehat/pi1/led/text", "hello")
	if !litWithin(hat, 10*time.Second) {
		t.Error("text published on sensehat/pi1/led/text never lit the matrix")
	}
	payload, _ = s.wait(t, from, light["state_topic"].(string), func(p string) bool { return strings.Contains(p, `"lit":true`) })
	if err := json.Unmarshal([]byte(payload), &vj); err != nil {
		t.Fatal(err)
	}
	if got := hass.Render(t, light["state_value_template"].(string), map[string]any{"value_json": vj}); got != light["payload_on"] {
		t.Errorf("light reads %q while lit, want its payload_on %v", got, light["payload_on"])
	}
	// The text entity reads the text the matrix shows
	// (https://www.home-assistant.io/integrations/text.mqtt/: state_topic
	// and value_template give the entity's text).
	txt := msg.Components["text"]
	payload, _ = s.wait(t, from, txt["state_topic"].(string), func(p string) bool { return strings.Contains(p, `"text":"hello"`) })
	if err := json.Unmarshal([]byte(payload), &vj); err != nil {
		t.Fatal(err)
	}
	if got := hass.Render(t, txt["value_template"].(string), map[string]any{"value_json": vj}); got != "hello" {
		t.Errorf("the text entity reads %q, want hello", got)
	}

	// The light's colour, as Home Assistant sends it (its
	// rgb_command_template on led.clear) and reads it back: "red,green,blue"
	// from rgb_value_template on rgb_state_topic
	// (https://www.home-assistant.io/integrations/light.mqtt/).
	from = s.count()
	mosquittoPub(t, port, nil, light["rgb_command_topic"].(string), hass.Render(t, light["rgb_command_template"].(string), map[string]any{"red": 255, "green": 128, "blue": 0}))
	payload, _ = s.wait(t, from, light["rgb_state_topic"].(string), func(p string) bool { return strings.Contains(p, `"fill":[255,128,0]`) })
	if err := json.Unmarshal([]byte(payload), &vj); err != nil {
		t.Fatal(err)
	}
	if got := hass.Render(t, light["rgb_value_template"].(string), map[string]any{"value_json": vj}); got != "255,128,0" {
		t.Errorf("the light's colour reads %q, want 255,128,0", got)
	}

	// A joystick press arrives as an event Home Assistant accepts.
	from = s.count()
	hat.ATtiny.Press(sensehat.KeyUp)
	ev, _ := s.wait(t, from, msg.Components["joystick_up"]["state_topic"].(string), nil)
	hat.ATtiny.Release(sensehat.KeyUp)
	if got := hass.EventJSON(t, msg.Components["joystick_up"], []byte(ev)); got != "pressed" {
		t.Errorf("joystick event type %q, want pressed", got)
	}

	// A clean stop says offline.
	from = s.count()
	stop()
	s.wait(t, from, "sensehat/pi1/availability", func(p string) bool { return p == hass.Offline })
}

// startDaemon runs a daemon with id pi1 on a simulated HAT against url, as
// user (if not ""), logging to logOut, and returns its HAT and a clean stop
// (also run at cleanup).
func startDaemon(t *testing.T, url, user, password string, logOut io.Writer) (*sim.HAT, func()) {
	t.Helper()
	cfg := simdaemon.Config(t, url, "pi1")
	cfg.User, cfg.Password = user, password
	cfg.EnvInterval = 50 * time.Millisecond
	cfg.MotionInterval = 50 * time.Millisecond
	d := simdaemon.Start(t, cfg, &simdaemon.Opts{Log: logOut})
	return d.HAT, d.Stop
}

func litWithin(hat *sim.HAT, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for y := 0; y < 8; y++ {
			for x := 0; x < 8; x++ {
				if r, g, b := hat.ATtiny.Pixel(x, y); r|g|b != 0 {
					return true
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// The shipped server configuration for MQTT (deploy/nats/
// nats-server-mqtt.conf and accounts.conf) lets the daemon, as device user
// pi1, do all of this with no permission error, and Home Assistant, as
// user homeassistant over MQTT, get discovery after its birth message and
// scroll a text.
func TestShippedMQTTConfig(t *testing.T) {
	testutil.CheckLeaks(t)
	opts, err := server.ProcessConfigFile(filepath.Join("..", "..", "deploy", "nats", "nats-server-mqtt.conf"))
	if err != nil {
		t.Fatalf("loading the shipped server config: %v", err)
	}
	port := testutil.FreePort(t)
	opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
	opts.StoreDir = t.TempDir()
	opts.MQTT.Host, opts.MQTT.Port = "127.0.0.1", port
	srv := testutil.StartServer(t, opts)
	logs := &testutil.LogBuffer{}
	hat, stop := startDaemon(t, srv.URL(), "pi1", "change-me-pi1", logs)

	ha := []string{"-u", "homeassistant", "-P", "change-me-homeassistant"}
	s := mosquittoSub(t, port, ha, "homeassistant/device/+/config", "sensehat/+/sensors/+", "sensehat/+/availability", "sensehat/+/joystick/+")
	s.wait(t, 0, "sensehat/pi1/sensors/env", nil)
	before := s.count()
	mosquittoPub(t, port, ha, "homeassistant/status", "online")
	s.wait(t, before, "homeassistant/device/sensehat_pi1/config", func(p string) bool { return strings.Contains(p, `"serial_number":"pi1"`) })
	s.wait(t, before, "sensehat/pi1/availability", func(p string) bool { return p == hass.Online })
	mosquittoPub(t, port, ha, "sensehat/pi1/led/text", "hi")
	if !litWithin(hat, 10*time.Second) {
		t.Error("Home Assistant's text never lit the matrix")
	}
	from := s.count()
	stop()
	s.wait(t, from, "sensehat/pi1/availability", func(p string) bool { return p == hass.Offline })
	if strings.Contains(logs.String(), "ermission") {
		t.Errorf("the daemon hit permission errors under the shipped config:\n%s", logs.String())
	}
}
