package wire

import (
	"encoding/json"
	"time"
)

// Desired state: what a device's owner wants in force, kept in the
// JetStream key-value bucket DesiredBucket, one key per device (its id)
// and DesiredDefaultKey for the whole fleet; a device's own key overrides
// the default key setting by setting. The daemon watches both, applies
// what it can at once and reports what is in force on Subjects.State and
// in the status reply's "state".
const (
	// DesiredBucket is the key-value bucket holding the desired state.
	DesiredBucket = "sensehat_desired"
	// DesiredDefaultKey is the fleet-wide default; no device id starts
	// with '_' by convention, so no device's key can take its place.
	DesiredDefaultKey = "_default"
	// MaxDesired is the largest desired-state document accepted: the
	// whole document is a dozen scalars.
	MaxDesired = 4 << 10
)

// DesiredNotifyStream is the hub's stream that mirrors DesiredBucket's
// stream and republishes each change of a key on Subjects.Desired of that
// key (Subjects.DefaultDesired for DesiredDefaultKey): devices learn of a
// change without a consumer of their own. A mirror, not the bucket itself,
// republishes because a mirror drops the writer's Nats-Expected-* headers,
// which would make a stream on the Pi that keeps the republished
// messages refuse every revision-checked write.
const DesiredNotifyStream = "SENSEHAT_DESIRED"

// DesiredCopyStream is the stream in a Pi's own JetStream that keeps the
// last republished message of the device's key and of the default key,
// for a Pi that starts while the hub cannot be reached.
const DesiredCopyStream = "SENSEHAT_DESIRED_COPY"

// DesiredRevisionHeader is the header of a republished desired-state
// message that holds the key's revision: the hub's JetStream sets it
// (the mirror keeps the bucket's sequence numbers), and the daemon sets
// it on what it stores into DesiredCopyStream itself.
const DesiredRevisionHeader = "Nats-Sequence"

// Desired is a desired-state document: every setting a user changes at
// run time. A nil field is not set here: a device's key falls back to the
// default key, and that to the daemon's flags. Decode one with
// payload.ParseDesired, which refuses what does not fit field by field.
type Desired struct {
	// Rotation is 0, 90, 180 or 270 degrees clockwise (live).
	Rotation *int `json:"rotation,omitempty"`
	// Flip is "h", "v", "hv" or "none" (live).
	Flip *string `json:"flip,omitempty"`
	// LowLight dims the matrix (live).
	LowLight *bool `json:"low_light,omitempty"`
	// Brightness is 0 to 1 (live).
	Brightness *float64 `json:"brightness,omitempty"`
	// Gamma is the matrix's curve: "default" (the kernel driver's) or
	// "full" (the firmware's whole range, twice as bright); live on
	// displays that can change their curve (the framebuffer driver and the
	// ATtiny over I2C).
	Gamma *string `json:"gamma,omitempty"`
	// EnvInterval, MotionInterval and ColourInterval are the sensor
	// periods in Go's duration syntax ("1s", "100ms"), at least 10ms
	// (applied at the next start).
	EnvInterval    *string `json:"env_interval,omitempty"`
	MotionInterval *string `json:"motion_interval,omitempty"`
	ColourInterval *string `json:"colour_interval,omitempty"`
	// ColourGain and ColourCycles are the colour sensor's gain and
	// integration cycles (live on boards with one).
	ColourGain   *int `json:"colour_gain,omitempty"`
	ColourCycles *int `json:"colour_cycles,omitempty"`
	// TempFactor is F of the CPU-heat compensation, 0 (off) to 100
	// (applied at the next start).
	TempFactor *float64 `json:"temp_factor,omitempty"`
	// HAPrefix is Home Assistant's discovery prefix, "none" for off
	// (applied at the next start).
	HAPrefix *string `json:"ha_prefix,omitempty"`
}

// DesiredFields names the members of a Desired document, in order.
var DesiredFields = []string{
	"rotation", "flip", "low_light", "brightness", "gamma",
	"env_interval", "motion_interval", "colour_interval",
	"colour_gain", "colour_cycles", "temp_factor", "ha_prefix",
}

// RestartFields are the settings a running daemon cannot change: a new
// value is kept (in the state directory's copy) and applied at the next
// start, and State.NeedsRestart lists it meanwhile.
var RestartFields = []string{"env_interval", "motion_interval", "colour_interval", "temp_factor", "ha_prefix"}

// Over returns d with every field o sets replaced by o's: o takes
// precedence.
func (d Desired) Over(o Desired) Desired {
	if o.Rotation != nil {
		d.Rotation = o.Rotation
	}
	if o.Flip != nil {
		d.Flip = o.Flip
	}
	if o.LowLight != nil {
		d.LowLight = o.LowLight
	}
	if o.Brightness != nil {
		d.Brightness = o.Brightness
	}
	if o.Gamma != nil {
		d.Gamma = o.Gamma
	}
	if o.EnvInterval != nil {
		d.EnvInterval = o.EnvInterval
	}
	if o.MotionInterval != nil {
		d.MotionInterval = o.MotionInterval
	}
	if o.ColourInterval != nil {
		d.ColourInterval = o.ColourInterval
	}
	if o.ColourGain != nil {
		d.ColourGain = o.ColourGain
	}
	if o.ColourCycles != nil {
		d.ColourCycles = o.ColourCycles
	}
	if o.TempFactor != nil {
		d.TempFactor = o.TempFactor
	}
	if o.HAPrefix != nil {
		d.HAPrefix = o.HAPrefix
	}
	return d
}

// Values returns the fields d sets, by JSON name, each as its JSON text
// ("180", "true", "\"h\""), for comparing documents and printing them.
func (d Desired) Values() map[string]string {
	b, err := json.Marshal(d)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// State is the reported state, published on Subjects.State whenever it
// changes and carried in the status reply as "state": what is in force,
// the revisions of the desired state applied, and what was refused.
type State struct {
	// InForce holds every setting as the daemon runs it now (restart-only
	// settings: as it started with).
	InForce Desired `json:"in_force"`
	// From says where each setting in force came from: "default" (built
	// in), "flags" (settings file, flags, environment), "desired" (the
	// bucket) or "request" (a led.config or colour.config request since).
	From map[string]string `json:"from"`
	// Revision is the revision of the device's key applied (0: none), and
	// DefaultRevision that of DesiredDefaultKey.
	Revision        uint64 `json:"revision"`
	DefaultRevision uint64 `json:"default_revision"`
	// Desired is the merged desired document last read (default key, then
	// the device's key over it), refused values left out.
	Desired Desired `json:"desired"`
	// Refused lists what the last documents held that was not applied,
	// and why; the previous value stays in force.
	Refused []Refusal `json:"refused,omitempty"`
	// NeedsRestart lists the settings whose desired value differs from the
	// one in force and that apply only at the next start.
	NeedsRestart []string `json:"needs_restart,omitempty"`
	// Source is where the desired state was read: "bucket", "pi stream"
	// (DesiredCopyStream in the Pi's own JetStream, while the hub cannot
	// be reached),
	// "local copy" (the state directory's, read at the start) or "none"
	// yet.
	Source string `json:"source"`
	// Problem says why the bucket cannot be read or written now, if so.
	Problem string `json:"problem,omitempty"`
	// Lit says whether any LED of the matrix is lit now (Home
	// Assistant's light entity reads it); absent until the first frame.
	Lit *bool `json:"lit,omitempty"`
	// Text is the text of the last led.text (or all/any.led.text) the
	// matrix started to show: the one scrolling now, or the last one
	// scrolled (Home Assistant's text entity reads it); absent until one
	// was shown.
	Text *string `json:"text,omitempty"`
	// Fill is the colour, [red, green, blue] 0 to 255, of the last
	// led.clear the matrix showed, which paints it one colour (Home
	// Assistant's light sets it and reads its colour from here); absent
	// until one was shown.
	Fill *[3]uint8 `json:"fill,omitempty"`
	// WriteBack, while a led.config or colour.config request is in force,
	// says that it was not written into the device's key (a device never
	// writes the bucket), how long it lasts, and the command that makes
	// it last.
	WriteBack string    `json:"write_back,omitempty"`
	Time      time.Time `json:"time"`
}

// Refusal is one desired value, or a whole document, not applied.
type Refusal struct {
	// Key is the bucket key it came from (a device id or
	// DesiredDefaultKey), and Revision its revision.
	Key      string `json:"key"`
	Revision uint64 `json:"revision"`
	// Setting is the field, or "" when the whole document was refused.
	Setting string `json:"setting,omitempty"`
	// Reason says what was wrong and what is accepted.
	Reason string `json:"reason"`
}
