package wire

// Direction says which way a subject's messages go.
type Direction string

// Directions of the catalog.
const (
	// ToDevice: requests (or, for Home Assistant's status, messages) the
	// device subscribes to.
	ToDevice Direction = "to device"
	// FromDevice: what the device publishes.
	FromDevice Direction = "from device"
	// BetweenDevices: daemons that share an id announce themselves to each
	// other there.
	BetweenDevices Direction = "between devices"
)

// Placeholders of the catalog's patterns.
const (
	PatternPrefix   = "<p>"         // Subjects.Prefix
	PatternID       = "<id>"        // Subjects.ID
	PatternKey      = "<key>"       // a joystick key: up, down, left, right, middle
	PatternHAPrefix = "<ha>"        // HomeAssistant.Prefix
	PatternObjectID = "<object_id>" // a Home Assistant discovery object id
)

// Subject is one entry of the catalog: a subject pattern, with the
// placeholders above for its variable tokens, and which way it goes.
type Subject struct {
	// Pattern is the subject with placeholders: "<p>.<id>.led.text".
	Pattern string
	// Direction says who sends on it.
	Direction Direction
}

// Catalog lists every subject of the contract, once each: what a device
// serves, publishes, and the subjects of micro discovery and Home
// Assistant's MQTT discovery it uses. The reference's subjects table is
// checked against it, and it against the builders (Subjects,
// HomeAssistant), both ways.
func Catalog() []Subject {
	return []Subject{
		{"<p>.<id>.led.text", ToDevice},
		{"<p>.all.led.text", ToDevice},
		{"<p>.any.led.text", ToDevice},
		{"<p>.<id>.led.pixels", ToDevice},
		{"<p>.<id>.led.clear", ToDevice},
		{"<p>.<id>.led.config", ToDevice},
		{"<p>.<id>.led.frame", ToDevice},
		{"<p>.<id>.led.frame.watch", ToDevice},
		{"<p>.<id>.led.frame.live", FromDevice},
		{"<p>.<id>.led.instance", BetweenDevices},
		{"<p>.<id>.status", ToDevice},
		{"<p>.<id>.colour.config", ToDevice},
		{"<p>.<id>.joystick.<key>", FromDevice},
		{"<p>.<id>.sensors.env", FromDevice},
		{"<p>.<id>.sensors.motion", FromDevice},
		{"<p>.<id>.sensors.colour", FromDevice},
		{"<p>.<id>.availability", FromDevice},
		{"<p>.<id>.state", FromDevice},
		{"<p>.<id>.desired", ToDevice},
		{"<p>._default.desired", ToDevice},
		{"<p>.<id>.desired.<id>", FromDevice},
		{"<p>.<id>.desired._default", FromDevice},
		{"$SRV.PING.sensehat", ToDevice},
		{"$SRV.INFO.sensehat", ToDevice},
		{"$SRV.STATS.sensehat", ToDevice},
		{"<ha>.status", ToDevice},
		{"<ha>.device.<object_id>.config", FromDevice},
	}
}
