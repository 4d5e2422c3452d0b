package hass

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/wire"
)

// platformDoc is what Home Assistant's documentation of one MQTT platform
// lists: the page, the keys a discovery component must have, and the keys
// it may have (the page's {% configuration %} block; availability and
// device come from the device message, "platform" and "unique_id" are
// required in a device message by
// https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload).
type platformDoc struct {
	page     string
	required []string
	allowed  []string
}

// common are keys every entity platform page lists.
var common = []string{"platform", "unique_id", "name", "icon", "entity_category", "enabled_by_default", "qos", "availability_topic", "object_id", "default_entity_id", "json_attributes_topic", "json_attributes_template"}

var docs = map[string]platformDoc{
	"sensor": {
		page:     "https://www.home-assistant.io/integrations/sensor.mqtt/",
		required: []string{"state_topic"},
		allowed:  []string{"state_topic", "value_template", "device_class", "unit_of_measurement", "state_class", "expire_after", "force_update", "suggested_display_precision"},
	},
	"event": {
		page:     "https://www.home-assistant.io/integrations/event.mqtt/",
		required: []string{"state_topic", "event_types"},
		allowed:  []string{"state_topic", "event_types", "device_class", "value_template"},
	},
	"notify": {
		page:     "https://www.home-assistant.io/integrations/notify.mqtt/",
		required: []string{},
		allowed:  []string{"command_topic", "command_template", "retain"},
	},
	"text": {
		page:     "https://www.home-assistant.io/integrations/text.mqtt/",
		required: []string{"command_topic"},
		allowed:  []string{"command_topic", "command_template", "max", "min", "mode", "pattern", "state_topic", "value_template", "retain"},
	},
	"light": {
		page:     "https://www.home-assistant.io/integrations/light.mqtt/ (basic schema)",
		required: []string{"command_topic"},
		allowed: []string{"command_topic", "payload_on", "payload_off", "rgb_command_topic", "rgb_command_template", "brightness_command_topic", "brightness_command_template", "brightness_scale", "optimistic", "on_command_type", "schema", "state_topic",
			"state_value_template", "brightness_state_topic", "brightness_value_template", "rgb_state_topic", "rgb_value_template"},
	},
	"button": {
		page:     "https://www.home-assistant.io/integrations/button.mqtt/",
		required: []string{},
		allowed:  []string{"command_topic", "payload_press", "device_class", "retain"},
	},
	"select": {
		page:     "https://www.home-assistant.io/integrations/select.mqtt/",
		required: []string{"command_topic", "options"},
		allowed:  []string{"command_topic", "command_template", "options", "optimistic", "state_topic", "value_template", "retain"},
	},
	"switch": {
		page:     "https://www.home-assistant.io/integrations/switch.mqtt/",
		required: []string{},
		allowed:  []string{"command_topic", "payload_on", "payload_off", "optimistic", "state_topic", "value_template", "device_class", "retain", "state_on", "state_off"},
	},
}

// Device classes and their units, from
// https://www.home-assistant.io/integrations/sensor/#device-class and
// https://www.home-assistant.io/integrations/event/#device-class.
var deviceClasses = map[string]map[string][]string{
	"sensor": {"temperature": {"°C", "°F", "K"}, "humidity": {"%"}, "atmospheric_pressure": {"cbar", "bar", "hPa", "mmHg", "inHg", "kPa", "mbar", "Pa", "psi"}},
	"event":  {"button": nil, "doorbell": nil, "motion": nil},
}

// Top-level keys of a device discovery message
// (https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload;
// Home Assistant's DEVICE_DISCOVERY_SCHEMA requires device, origin and
// components), device and origin keys from the same page.
var (
	deviceMsgRequired = []string{"device", "origin", "components"}
	deviceMsgAllowed  = []string{"device", "origin", "components", "availability_topic", "availability", "availability_mode", "payload_available", "payload_not_available", "state_topic", "command_topic", "qos", "encoding"}
	deviceKeys        = []string{"identifiers", "connections", "name", "manufacturer", "model", "model_id", "serial_number", "sw_version", "hw_version", "suggested_area", "via_device", "configuration_url"}
	originKeys        = []string{"name", "sw_version", "support_url"}
)

func testDevice(t *testing.T) Device {
	t.Helper()
	s, err := wire.NewSubjects("sensehat", "pi1")
	if err != nil {
		t.Fatal(err)
	}
	ha, err := wire.NewHomeAssistant(DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return Device{Subjects: s, HA: ha, Version: "1.2.3", EnvInterval: time.Second, MotionInterval: 100 * time.Millisecond, ColourInterval: time.Second,
		State: func() []byte { return []byte(`{}`) }}
}

var fullBoard = Board{Temperature: true, Humidity: true, Pressure: true, Motion: true, Heading: true, Colour: true, Joystick: true, Display: true}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("discovery is not a JSON object: %v\n%s", err, b)
	}
	return m
}

func checkKeys(t *testing.T, what string, m map[string]any, required, allowed []string) {
	t.Helper()
	for _, k := range required {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: required key %q missing", what, k)
		}
	}
	for k := range m {
		if !slices.Contains(allowed, k) && !slices.Contains(required, k) {
			t.Errorf("%s: key %q is not documented", what, k)
		}
	}
}

func TestDiscoveryKeysAreDocumented(t *testing.T) {
	d := testDevice(t)
	b, err := Message(d, fullBoard)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := wire.Topic(d.ConfigSubject()), "homeassistant/device/sensehat_pi1/config"; got != want {
		t.Errorf("discovery topic %q, want %q (<prefix>/device/<object_id>/config)", got, want)
	}
	m := decode(t, b)
	checkKeys(t, "device message", m, deviceMsgRequired, deviceMsgAllowed)
	checkKeys(t, "device", m["device"].(map[string]any), nil, deviceKeys)
	checkKeys(t, "origin", m["origin"].(map[string]any), []string{"name"}, originKeys)
	dev := m["device"].(map[string]any)
	if dev["serial_number"] != "pi1" || dev["sw_version"] != "1.2.3" || dev["model"] != "Sense HAT v2" {
		t.Errorf("device block %v: want serial pi1, sw 1.2.3, model Sense HAT v2", dev)
	}
	if m["availability_topic"] != "sensehat/pi1/availability" {
		t.Errorf("availability_topic %v", m["availability_topic"])
	}
	cmps := m["components"].(map[string]any)
	objectID := regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	seen := map[string]bool{}
	for key, v := range cmps {
		c := v.(map[string]any)
		p, _ := c["platform"].(string)
		doc, ok := docs[p]
		if !ok {
			t.Errorf("%s: platform %q has no documentation entry here", key, p)
			continue
		}
		what := fmt.Sprintf("%s (%s, %s)", key, p, doc.page)
		checkKeys(t, what, c, append([]string{"platform", "unique_id"}, doc.required...), append(slices.Clone(common), doc.allowed...))
		uid, _ := c["unique_id"].(string)
		if seen[uid] || !objectID.MatchString(key) {
			t.Errorf("%s: unique_id %q repeated, or key not [a-zA-Z0-9_-]", what, uid)
		}
		seen[uid] = true
		if dc, ok := c["device_class"].(string); ok {
			units, known := deviceClasses[p][dc]
			if !known {
				t.Errorf("%s: device_class %q not in Home Assistant's list", what, dc)
			}
			if u, ok := c["unit_of_measurement"].(string); ok && !slices.Contains(units, u) {
				t.Errorf("%s: unit %q not allowed for %s (%v)", what, u, dc, units)
			}
		}
		if ec, ok := c["entity_category"].(string); ok && ec != "config" && ec != "diagnostic" {
			t.Errorf("%s: entity_category %q; Home Assistant takes config or diagnostic", what, ec)
		}
		if sc, ok := c["state_class"].(string); ok && !slices.Contains([]string{"measurement", "total", "total_increasing", "measurement_angle"}, sc) {
			t.Errorf("%s: state_class %q", what, sc)
		}
		if p == "sensor" {
			if e, ok := c["expire_after"].(float64); !ok || e < MinExpire.Seconds() {
				t.Errorf("%s: expire_after %v, want ≥ %v s", what, c["expire_after"], MinExpire.Seconds())
			}
		}
		if p == "text" {
			if mx, _ := c["max"].(float64); mx > 255 {
				t.Errorf("%s: max %v above the documented 255", what, mx)
			}
		}
	}
	for _, want := range []string{"temperature", "temperature_raw", "humidity", "pressure", "roll", "pitch", "yaw", "heading", "colour_clear", "joystick_up", "joystick_middle", "message", "text", "matrix", "clear", "rotation", "low_light"} {
		if _, ok := cmps[want]; !ok {
			t.Errorf("component %q missing from a full board's discovery", want)
		}
	}
	if raw := cmps["temperature_raw"].(map[string]any); raw["entity_category"] != "diagnostic" {
		t.Errorf("raw temperature entity_category %v, want diagnostic", raw["entity_category"])
	}
}

// Discovery lists what the board has: nothing for a missing chip, no
// heading before the magnetometer is calibrated, "Sense HAT" without the
// colour sensor.
func TestDiscoveryFollowsTheBoard(t *testing.T) {
	d := testDevice(t)
	b, err := Message(d, Board{Temperature: true, Motion: true, Joystick: true})
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, b)
	cmps := m["components"].(map[string]any)
	for _, absent := range []string{"humidity", "pressure", "yaw", "heading", "colour_red", "matrix", "message"} {
		if _, ok := cmps[absent]; ok {
			t.Errorf("component %q present on a board without it", absent)
		}
	}
	for _, present := range []string{"temperature", "roll", "pitch", "joystick_left"} {
		if _, ok := cmps[present]; !ok {
			t.Errorf("component %q missing", present)
		}
	}
	if got := m["device"].(map[string]any)["model"]; got != "Sense HAT" {
		t.Errorf("model %v, want Sense HAT", got)
	}
}

// render evaluates the small part of Home Assistant's Jinja templates that
// discovery uses, with the variables Home Assistant passes: value_json and
// value for value templates and command templates, red, green, blue for
// rgb_command_template. A template outside this subset fails the test, so
// a new template cannot slip by unchecked.
func render(t *testing.T, tpl string, vars map[string]any) string {
	t.Helper()
	expr := regexp.MustCompile(`\{\{\s*(.*?)\s*\}\}`)
	out := expr.ReplaceAllStringFunc(tpl, func(m string) string {
		e := expr.FindStringSubmatch(m)[1]
		// value_json.a.b: a member of the payload, printed as Jinja prints
		// it (a JSON true is Python's True).
		lookup := func(path string) any {
			var v any = vars["value_json"]
			for _, k := range strings.Split(strings.TrimPrefix(path, "value_json."), ".") {
				obj, _ := v.(map[string]any)
				var ok bool
				if v, ok = obj[k]; !ok {
					t.Errorf("template %q: %s is not in the payload %v", tpl, path, vars["value_json"])
					return nil
				}
			}
			return v
		}
		jinja := func(v any) string {
			switch b := v.(type) {
			case bool:
				if b {
					return "True"
				}
				return "False"
			case float64:
				return strconv.FormatFloat(b, 'f', -1, 64)
			}
			return fmt.Sprint(v)
		}
		if c := regexp.MustCompile(`^'(\w+)' if (value_json\.[\w.]+) else '(\w+)'$`).FindStringSubmatch(e); c != nil {
			if v, _ := lookup(c[2]).(bool); v {
				return c[1]
			}
			return c[3]
		}
		// a list joined, as rgb_value_template gives "red,green,blue"
		if c := regexp.MustCompile(`^(value_json\.[\w.]+) \| join\(','\)$`).FindStringSubmatch(e); c != nil {
			l, _ := lookup(c[1]).([]any)
			parts := make([]string, len(l))
			for i, v := range l {
				parts[i] = jinja(v)
			}
			return strings.Join(parts, ",")
		}
		if c := regexp.MustCompile(`^(value_json\.[\w.]+) \* (\d+)$`).FindStringSubmatch(e); c != nil {
			n, _ := strconv.ParseFloat(c[2], 64)
			f, _ := lookup(c[1]).(float64)
			return jinja(f * n)
		}
		switch {
		case strings.HasPrefix(e, "value_json."):
			return jinja(lookup(e))
		case e == "value":
			return fmt.Sprint(vars["value"])
		case strings.HasPrefix(e, "value / "):
			n, err := strconv.ParseFloat(strings.TrimPrefix(e, "value / "), 64)
			if err != nil {
				t.Fatalf("template %q: %v", tpl, err)
			}
			return strconv.FormatFloat(vars["value"].(float64)/n, 'f', -1, 64)
		case e == `'#%02x%02x%02x' | format(red, green, blue)`:
			return fmt.Sprintf("#%02x%02x%02x", vars["red"], vars["green"], vars["blue"])
		}
		t.Fatalf("template %q: expression %q is outside the subset this test evaluates", tpl, e)
		return ""
	})
	return out
}

// Command templates render to what the endpoints accept, checked with the
// daemon's own parsers: led.clear (payload.ParseClear) and led.config
// (payload.ParseConfig).
func TestCommandTemplatesReachTheEndpoints(t *testing.T) {
	d := testDevice(t)
	b, _ := Message(d, fullBoard)
	cmps := decode(t, b)["components"].(map[string]any)
	c := func(k string) map[string]any { return cmps[k].(map[string]any) }

	light := c("matrix")
	if light["rgb_command_topic"] != "sensehat/pi1/led/clear" || light["command_topic"] != "sensehat/pi1/led/clear" || light["brightness_command_topic"] != "sensehat/pi1/led/config" {
		t.Fatalf("light topics %v", light)
	}
	// Home Assistant sends payload_on before the colour only with
	// on_command_type "first" (light.mqtt: last, the default, sends it
	// after, and led.clear "white" would paint over the colour).
	if light["on_command_type"] != "first" {
		t.Errorf("on_command_type %v, want first", light["on_command_type"])
	}
	rgb := render(t, light["rgb_command_template"].(string), map[string]any{"red": 255, "green": 136, "blue": 0})
	if col, err := payload.ParseClear([]byte(rgb)); err != nil || col.R != 255 || col.G != 136 || col.B != 0 {
		t.Errorf("rgb command %q: led.clear gives %v, %v; want 255,136,0", rgb, col, err)
	}
	for _, p := range []string{light["payload_on"].(string), light["payload_off"].(string), c("clear")["payload_press"].(string)} {
		if _, err := payload.ParseClear([]byte(p)); err != nil {
			t.Errorf("led.clear refuses %q: %v", p, err)
		}
	}
	// brightness_scale 100: Home Assistant sends 0..100.
	bri := render(t, light["brightness_command_template"].(string), map[string]any{"value": 50.0})
	if cfg, err := payload.ParseConfig([]byte(bri)); err != nil || cfg.Brightness == nil || *cfg.Brightness != 0.5 {
		t.Errorf("brightness command %q: led.config gives %+v, %v; want brightness 0.5", bri, cfg, err)
	}
	for _, opt := range c("rotation")["options"].([]any) {
		rot := render(t, c("rotation")["command_template"].(string), map[string]any{"value": opt})
		want, _ := strconv.Atoi(opt.(string))
		if cfg, err := payload.ParseConfig([]byte(rot)); err != nil || cfg.Rotation == nil || *cfg.Rotation != want {
			t.Errorf("rotation %v: command %q gives %+v, %v", opt, rot, cfg, err)
		}
	}
	for _, p := range []string{"payload_on", "payload_off"} {
		cfg, err := payload.ParseConfig([]byte(c("low_light")[p].(string)))
		if err != nil || cfg.LowLight == nil || *cfg.LowLight != (p == "payload_on") {
			t.Errorf("low light %s: %+v, %v", p, cfg, err)
		}
	}
	for _, k := range []string{"message", "text"} {
		if c(k)["command_topic"] != "sensehat/pi1/led/text" {
			t.Errorf("%s command_topic %v, want sensehat/pi1/led/text", k, c(k)["command_topic"])
		}
	}
}

// The joystick's event entity renders our payload to the JSON Home
// Assistant's event platform wants: an object with event_type, one of
// event_types (https://www.home-assistant.io/integrations/event.mqtt/).
func TestJoystickEventTemplate(t *testing.T) {
	d := testDevice(t)
	b, _ := Message(d, fullBoard)
	ev := decode(t, b)["components"].(map[string]any)["joystick_up"].(map[string]any)
	got := EventJSON(t, ev, []byte(`{"key":"up","action":"held","time":"2026-12-02T03:00:00Z"}`))
	if got != "held" {
		t.Errorf("event_type %q, want held", got)
	}
}

// EventJSON renders an event entity's value_template on a payload and
// checks the result as Home Assistant does: a JSON object whose
// event_type is one of event_types. It returns the event type.
func EventJSON(t *testing.T, ev map[string]any, msg []byte) string {
	t.Helper()
	var vj map[string]any
	if err := json.Unmarshal(msg, &vj); err != nil {
		t.Fatalf("joystick payload %s: %v", msg, err)
	}
	out := render(t, ev["value_template"].(string), map[string]any{"value_json": vj})
	var e map[string]any
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("event template gave %q, not JSON: %v", out, err)
	}
	et, _ := e["event_type"].(string)
	if !slices.Contains(ev["event_types"].([]any), any(et)) {
		t.Errorf("event_type %q not among %v", et, ev["event_types"])
	}
	return et
}
