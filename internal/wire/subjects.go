// Package wire is the device's contract on NATS, on the standard library
// alone so that every client (the laptop tool, the fleet page, Home
// Assistant's discovery, tests) can import it without the server: the
// subjects a device serves and publishes (Subjects, and Catalog listing
// them all), the request and reply bodies, the status reply, the typed
// readings with their encoding, and the error codes (Error).
//
// The daemon's micro service (internal/service) and its publisher
// (internal/publish) are built on it.
package wire

import (
	"fmt"
	"strings"
)

// DefaultPrefix is the first token of every subject unless --prefix says
// otherwise.
const DefaultPrefix = "sensehat"

// Reserved ids address the fleet rather than one device.
const (
	// All reaches every device (no queue group).
	All = "all"
	// Any reaches one device of the fleet (queue group AnyQueue).
	Any = "any"
)

// ServiceName is the micro service every device registers under, and
// AnyQueue the queue group of <prefix>.any.led.text.
const (
	ServiceName = "sensehat"
	AnyQueue    = "sensehat"
)

// Subjects builds the subjects of one device (or, with ID All or Any, of
// the fan-out). It is a small value: copy it freely.
type Subjects struct {
	Prefix string
	ID     string
}

// NewSubjects checks prefix and id and returns the Subjects of one
// device. Each must be non-empty and a single subject token (no '.', '*',
// '>' or white space), and the id must not be a reserved id (All, Any):
// a device by that name would take the fleet's requests. The fan-out
// subjects come from AllText and AnyText.
func NewSubjects(prefix, id string) (Subjects, error) {
	if err := CheckToken("prefix", prefix); err != nil {
		return Subjects{}, err
	}
	if err := CheckToken("id", id); err != nil {
		return Subjects{}, err
	}
	if id == All || id == Any {
		return Subjects{}, fmt.Errorf("wire: id %q is reserved: %s.%s.led.text reaches the fleet, not one device; choose another id", id, prefix, id)
	}
	return Subjects{Prefix: prefix, ID: id}, nil
}

// CheckToken reports whether s can be one token of a subject, naming what
// it is in the error.
func CheckToken(what, s string) error {
	if s == "" {
		return fmt.Errorf("wire: %s is empty: give a name made of letters, digits, '-' or '_'", what)
	}
	if i := strings.IndexAny(s, ".*> \t\r\n"); i >= 0 {
		return fmt.Errorf("wire: %s %q has %q, which a subject token cannot hold: use letters, digits, '-' or '_'", what, s, s[i])
	}
	return nil
}

// For returns the subjects of another device under the same prefix.
func (s Subjects) For(id string) Subjects { return Subjects{Prefix: s.Prefix, ID: id} }

// Base is <prefix>.<id>.
func (s Subjects) Base() string { return s.Prefix + "." + s.ID }

func (s Subjects) sub(rest string) string { return s.Prefix + "." + s.ID + "." + rest }

// Text is <prefix>.<id>.led.text.
func (s Subjects) Text() string { return s.sub("led.text") }

// Pixels is <prefix>.<id>.led.pixels.
func (s Subjects) Pixels() string { return s.sub("led.pixels") }

// Clear is <prefix>.<id>.led.clear.
func (s Subjects) Clear() string { return s.sub("led.clear") }

// Config is <prefix>.<id>.led.config.
func (s Subjects) Config() string { return s.sub("led.config") }

// Frame is <prefix>.<id>.led.frame: the matrix as it is now.
func (s Subjects) Frame() string { return s.sub("led.frame") }

// FrameWatch is <prefix>.<id>.led.frame.watch: a request there leases the
// live frames for a while (see FrameLive).
func (s Subjects) FrameWatch() string { return s.sub("led.frame.watch") }

// FrameLive is <prefix>.<id>.led.frame.live, where the device publishes
// each changed frame (raw RGB888, at a bounded rate) while a lease taken on
// FrameWatch lasts.
func (s Subjects) FrameLive() string { return s.sub("led.frame.live") }

// Instance is <prefix>.<id>.led.instance, where daemons sharing an id
// announce themselves to each other.
func (s Subjects) Instance() string { return s.sub("led.instance") }

// Status is <prefix>.<id>.status.
func (s Subjects) Status() string { return s.sub("status") }

// Joystick is <prefix>.<id>.joystick.<key>; key "*" gives the wildcard.
func (s Subjects) Joystick(key string) string { return s.sub("joystick." + key) }

// Sensors is <prefix>.<id>.sensors.<kind> (env, motion, colour); kind "*"
// gives the wildcard.
func (s Subjects) Sensors(kind string) string { return s.sub("sensors." + kind) }

// Env is <prefix>.<id>.sensors.env.
func (s Subjects) Env() string { return s.Sensors("env") }

// Motion is <prefix>.<id>.sensors.motion.
func (s Subjects) Motion() string { return s.Sensors("motion") }

// Colour is <prefix>.<id>.sensors.colour.
func (s Subjects) Colour() string { return s.Sensors("colour") }

// ColourConfig is <prefix>.<id>.colour.config.
func (s Subjects) ColourConfig() string { return s.sub("colour.config") }

// State is <prefix>.<id>.state, where the device publishes its reported
// state (State: the settings in force, the desired-state revision applied
// and what it refused) whenever it changes.
func (s Subjects) State() string { return s.sub("state") }

// All is <prefix>.<id>.> : everything of the device.
func (s Subjects) All() string { return s.sub(">") }

// AllText is <prefix>.all.led.text, shown by every device.
func (s Subjects) AllText() string { return s.For(All).Text() }

// AnyText is <prefix>.any.led.text, shown by one device of the fleet.
func (s Subjects) AnyText() string { return s.For(Any).Text() }

// Desired is <prefix>.<id>.desired, where the hub's JetStream
// republishes each change of the device's key in DesiredBucket: the value,
// KV-Operation for a delete or purge, and the revision in
// DesiredRevisionHeader. Only the hub publishes there for a device's
// subscribers; the device itself may (it is its own namespace), which
// reaches no other device.
func (s Subjects) Desired() string { return s.sub("desired") }

// DefaultDesired is <prefix>._default.desired, Desired of
// DesiredDefaultKey: every device subscribes, none may publish.
func (s Subjects) DefaultDesired() string { return s.For(DesiredDefaultKey).Desired() }

// DesiredKept is <prefix>.<id>.desired.<key>, where the daemon stores in
// its Pi's own JetStream a revision of key (its id or DesiredDefaultKey)
// that it read from the bucket and the Pi's copy lacks, in the form of
// Desired's messages. It is in the device's own namespace: the default
// key's Desired subject is the hub's alone.
func (s Subjects) DesiredKept(key string) string { return s.sub("desired." + key) }

// Availability is <prefix>.<id>.availability: "online" or "offline", for
// Home Assistant's availability_topic (MQTT sensehat/<id>/availability).
func (s Subjects) Availability() string { return s.sub("availability") }

// ServicePing is $SRV.PING.sensehat, micro's discovery subject for the
// service every device registers (ServiceName): every device of every
// prefix answers, once per running daemon (nats.go micro, "Discovery and
// monitoring").
func ServicePing() string { return "$SRV.PING." + ServiceName }

// ServiceInfo is $SRV.INFO.sensehat: like ServicePing, each reply also
// lists the daemon's endpoints and metadata (its id, backends, host).
func ServiceInfo() string { return "$SRV.INFO." + ServiceName }

// ServiceStats is $SRV.STATS.sensehat: each reply counts the daemon's
// requests and errors per endpoint.
func ServiceStats() string { return "$SRV.STATS." + ServiceName }

// HomeAssistant builds the subjects of Home Assistant's MQTT discovery
// under a discovery prefix (MQTT topic form "homeassistant", or
// "a/b" for a prefix of several levels).
type HomeAssistant struct {
	// Prefix is the discovery prefix in subject form ("homeassistant").
	Prefix string
}

// NewHomeAssistant checks an MQTT discovery prefix ("homeassistant") and
// returns its subjects. Each level must be one subject token.
func NewHomeAssistant(prefix string) (HomeAssistant, error) {
	levels := strings.Split(prefix, "/")
	for _, l := range levels {
		if err := CheckToken("Home Assistant discovery prefix level", l); err != nil {
			return HomeAssistant{}, err
		}
		if strings.ContainsAny(l, "+#") {
			return HomeAssistant{}, fmt.Errorf("wire: Home Assistant discovery prefix %q has an MQTT wildcard: use letters, digits, '-' or '_'", prefix)
		}
	}
	return HomeAssistant{Prefix: strings.Join(levels, ".")}, nil
}

// Status is <ha prefix>.status, where Home Assistant sends its birth
// ("online") and last-will ("offline") messages.
func (h HomeAssistant) Status() string { return h.Prefix + ".status" }

// DeviceConfig is <ha prefix>.device.<object id>.config, the topic of a
// device-based discovery message (Home Assistant 2024.12 and later).
func (h HomeAssistant) DeviceConfig(objectID string) string {
	return h.Prefix + ".device." + objectID + ".config"
}

// Topic is the MQTT topic nats-server's MQTT listener maps to a subject:
// its tokens joined by '/' instead of '.'. Wildcards map too ('*' to '+',
// '>' to '#').
func Topic(subject string) string {
	t := strings.ReplaceAll(subject, ".", "/")
	if t == "*" || strings.HasPrefix(t, "*/") || strings.HasSuffix(t, "/*") || strings.Contains(t, "/*/") {
		parts := strings.Split(t, "/")
		for i, p := range parts {
			if p == "*" {
				parts[i] = "+"
			}
		}
		t = strings.Join(parts, "/")
	}
	if t == ">" || strings.HasSuffix(t, "/>") {
		t = t[:len(t)-1] + "#"
	}
	return t
}
