package hass

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sensehat/sensehat/internal/wire"
)

// DefaultPrefix is Home Assistant's default discovery prefix.
const DefaultPrefix = "homeassistant"

// Board says what the device really has, so discovery lists only entities
// that will get values.
type Board struct {
	// Temperature: the HTS221 or LPS25H answered; Humidity the HTS221,
	// Pressure the LPS25H.
	Temperature, Humidity, Pressure bool
	// Motion: the accelerometer answered (roll, pitch). Heading: the
	// magnetometer is calibrated, so sensors.motion carries yaw_deg and
	// heading_deg.
	Motion, Heading bool
	// Colour: the colour sensor of a Sense HAT v2 answered.
	Colour bool
	// Joystick and Display: the joystick and the matrix are driven.
	Joystick, Display bool
}

// Device is what discovery says about one device.
type Device struct {
	// Subjects are the device's subjects; their MQTT form is what Home
	// Assistant subscribes and publishes to.
	Subjects wire.Subjects
	// HA is the discovery prefix's subjects.
	HA wire.HomeAssistant
	// Version is the daemon's version (sw_version).
	Version string
	// EnvInterval, MotionInterval and ColourInterval set expire_after on
	// the readings: ExpireIntervals intervals, at least MinExpire.
	EnvInterval, MotionInterval, ColourInterval time.Duration
	// State, when set, returns the device's reported state (wire.State,
	// encoded), which the publisher sends on Subjects.State with every
	// "online"; the light, text, rotation and low-light entities then
	// read their state from it instead of assuming what they asked for.
	State func() []byte
}

// ExpireIntervals and MinExpire set expire_after: a reading is unavailable
// after this many missed intervals, and never sooner than MinExpire, so a
// short outage of the server does not flap every entity.
const (
	ExpireIntervals = 5
	MinExpire       = 30 * time.Second
)

// ObjectID is the device's object id in the discovery topic and the first
// part of its entities' unique ids: <prefix>_<id> with anything outside
// [a-zA-Z0-9_-] (what Home Assistant accepts there) made '_'.
func (d Device) ObjectID() string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, d.Subjects.Prefix+"_"+d.Subjects.ID)
}

// ConfigSubject is the subject of the device's discovery message.
func (d Device) ConfigSubject() string { return d.HA.DeviceConfig(d.ObjectID()) }

// Model is "Sense HAT v2" for a board with the colour sensor, "Sense HAT"
// otherwise.
func (b Board) Model() string {
	if b.Colour {
		return "Sense HAT v2"
	}
	return "Sense HAT"
}

// Templates Home Assistant renders. Command templates produce what the
// device's endpoints accept: led.clear takes "#rrggbb" or a colour name,
// led.config a JSON object.
const (
	eventTemplate      = `{"event_type":"{{ value_json.` + wire.FieldAction + ` }}"}`
	rgbTemplate        = `{{ '#%02x%02x%02x' | format(red, green, blue) }}`
	brightnessTemplate = `{"brightness":{{ value / 100 }}}`
	rotationTemplate   = `{"rotation":{{ value }}}`
	lowLightOn         = `{"low_light":true}`
	lowLightOff        = `{"low_light":false}`
	// State templates read the reported state (wire.State).
	litTemplate             = `{{ '` + LightOn + `' if value_json.lit else '` + LightOff + `' }}`
	brightnessStateTemplate = `{{ value_json.in_force.brightness * 100 }}`
	rotationStateTemplate   = `{{ value_json.in_force.rotation }}`
	lowLightStateTemplate   = `{{ value_json.in_force.low_light }}`
	// Home Assistant's light takes its colour as "red,green,blue"
	// (rgb_state_topic, https://www.home-assistant.io/integrations/light.mqtt/).
	fillStateTemplate = `{{ value_json.fill | join(',') }}`
	textStateTemplate = `{{ value_json.text }}`
)

// Payloads of the matrix light and the clear button on led.clear.
const (
	LightOn  = "white"
	LightOff = "black"
	ClearCmd = "black"
)

// Availability payloads (Home Assistant's defaults).
const (
	Online  = "online"
	Offline = "offline"
)

// Message is the device discovery message for what b has.
func Message(d Device, b Board) ([]byte, error) {
	if d.Subjects.Prefix == "" || d.Subjects.ID == "" || d.HA.Prefix == "" {
		return nil, fmt.Errorf("hass: device needs a prefix, an id and a discovery prefix")
	}
	s := d.Subjects
	t := wire.Topic
	uid := d.ObjectID()
	cmps := map[string]map[string]any{}
	add := func(key, platform string, c map[string]any) {
		c["platform"] = platform
		c["unique_id"] = uid + "_" + key
		cmps[key] = c
	}
	expire := func(iv time.Duration) int {
		e := max(time.Duration(ExpireIntervals)*iv, MinExpire)
		return int(math.Ceil(e.Seconds()))
	}
	// A reading entity shows one quantity of the contract (wire.Quantities),
	// by its field and in its unit.
	var bad error
	reading := func(name, topic, quantity, class string, iv time.Duration) map[string]any {
		q, ok := wire.LookupQuantity(quantity)
		if !ok || q.Axis >= 0 || q.Word {
			bad = fmt.Errorf("hass: %s is not a number of the contract (wire.Quantities)", quantity)
		}
		unit := q.Unit
		c := map[string]any{
			"name":           name,
			"state_topic":    topic,
			"value_template": "{{ value_json." + q.Field + " }}",
			"state_class":    "measurement",
			"expire_after":   expire(iv),
		}
		if class != "" {
			c["device_class"] = class
		}
		if unit != "" {
			c["unit_of_measurement"] = unit
		}
		return c
	}
	env, mot, col := t(s.Env()), t(s.Motion()), t(s.Colour())
	if b.Temperature {
		add("temperature", "sensor", reading("Temperature", env, wire.KindEnv+"."+wire.FieldTemperatureC, "temperature", d.EnvInterval))
		raw := reading("Raw temperature", env, wire.KindEnv+"."+wire.FieldTemperatureRawC, "temperature", d.EnvInterval)
		raw["entity_category"] = "diagnostic"
		add("temperature_raw", "sensor", raw)
	}
	if b.Humidity {
		add("humidity", "sensor", reading("Humidity", env, wire.KindEnv+"."+wire.FieldHumidityPct, "humidity", d.EnvInterval))
	}
	if b.Pressure {
		add("pressure", "sensor", reading("Pressure", env, wire.KindEnv+"."+wire.FieldPressureHPa, "atmospheric_pressure", d.EnvInterval))
	}
	angle := func(name, field string) map[string]any {
		c := reading(name, mot, wire.KindMotion+"."+field, "", d.MotionInterval)
		c["icon"] = "mdi:rotate-3d-variant"
		return c
	}
	if b.Motion {
		add("roll", "sensor", angle("Roll", wire.FieldRollDeg))
		add("pitch", "sensor", angle("Pitch", wire.FieldPitchDeg))
		if b.Heading {
			add("yaw", "sensor", angle("Yaw", wire.FieldYawDeg))
			h := angle("Heading", wire.FieldHeadingDeg)
			h["icon"] = "mdi:compass"
			add("heading", "sensor", h)
		}
	}
	if b.Colour {
		for _, c := range []string{wire.FieldRed, wire.FieldGreen, wire.FieldBlue, wire.FieldClear} {
			r := reading("Colour "+c, col, wire.KindColour+"."+c, "", d.ColourInterval)
			r["icon"] = "mdi:palette"
			add("colour_"+c, "sensor", r)
		}
	}
	if b.Joystick {
		// One event entity per key; its event types are the payload's
		// actions.
		for _, k := range wire.JoystickKeys {
			add("joystick_"+k, "event", map[string]any{
				"name":           "Joystick " + k,
				"state_topic":    t(s.Joystick(k)),
				"event_types":    wire.JoystickActions,
				"device_class":   "button",
				"value_template": eventTemplate,
			})
		}
	}
	if b.Display {
		text, clear, cfg := t(s.Text()), t(s.Clear()), t(s.Config())
		add("message", "notify", map[string]any{"name": "Scroll message", "command_topic": text})
		add("text", "text", map[string]any{"name": "Scroll text", "command_topic": text, "max": 255, "mode": "text"})
		add("matrix", "light", map[string]any{
			"name":                        "Matrix",
			"command_topic":               clear,
			"payload_on":                  LightOn,
			"payload_off":                 LightOff,
			"rgb_command_topic":           clear,
			"rgb_command_template":        rgbTemplate,
			"brightness_command_topic":    cfg,
			"brightness_command_template": brightnessTemplate,
			"brightness_scale":            100,
			// Both on and colour go to led.clear: on ("white") must be
			// sent first, or it would paint over the colour.
			"on_command_type": "first",
		})
		if d.State != nil {
			// On or off, the brightness and the colour as the daemon
			// applied them, and the text the matrix shows or showed last.
			st := t(s.State())
			light := cmps["matrix"]
			light["state_topic"], light["state_value_template"] = st, litTemplate
			light["brightness_state_topic"], light["brightness_value_template"] = st, brightnessStateTemplate
			light["rgb_state_topic"], light["rgb_value_template"] = st, fillStateTemplate
			txt := cmps["text"]
			txt["state_topic"], txt["value_template"] = st, textStateTemplate
		} else {
			cmps["matrix"]["optimistic"] = true
		}
		add("clear", "button", map[string]any{"name": "Clear matrix", "command_topic": clear, "payload_press": ClearCmd, "icon": "mdi:eraser"})
		add("rotation", "select", map[string]any{
			"name":             "Rotation",
			"command_topic":    cfg,
			"command_template": rotationTemplate,
			"options":          []string{"0", "90", "180", "270"},
			"optimistic":       true,
			"entity_category":  "config",
			"icon":             "mdi:screen-rotation",
		})
		add("low_light", "switch", map[string]any{
			"name":            "Low light",
			"command_topic":   cfg,
			"payload_on":      lowLightOn,
			"payload_off":     lowLightOff,
			"optimistic":      true,
			"entity_category": "config",
			"icon":            "mdi:brightness-4",
		})
		if d.State != nil {
			st := t(s.State())
			rot, ll := cmps["rotation"], cmps["low_light"]
			delete(rot, "optimistic")
			delete(ll, "optimistic")
			rot["state_topic"], rot["value_template"] = st, rotationStateTemplate
			// Jinja renders a JSON true as True.
			ll["state_topic"], ll["value_template"], ll["state_on"], ll["state_off"] = st, lowLightStateTemplate, "True", "False"
		}
	}
	if bad != nil {
		return nil, bad
	}
	msg := map[string]any{
		"device": map[string]any{
			"identifiers":   []string{uid},
			"name":          s.ID,
			"manufacturer":  "Raspberry Pi",
			"model":         b.Model(),
			"serial_number": s.ID,
			"sw_version":    d.Version,
		},
		"origin": map[string]any{
			"name":        "sensehatd",
			"sw_version":  d.Version,
			"support_url": "https://github.com/sensehat/sensehat",
		},
		"availability_topic": t(s.Availability()),
		"components":         cmps,
		"qos":                0,
	}
	return json.Marshal(msg)
}
