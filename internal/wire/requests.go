package wire

import "time"

// The request and reply bodies of the device's endpoints. A client encodes
// a request type with encoding/json; the device reads requests with its own
// strict parser (internal/payload), which also takes the plain forms each
// type's comment lists, and answers with the reply types.

// TextOptions is the JSON object form of a <prefix>.<id>.led.text request.
// A payload that does not start with '{' is the text alone, shown with the
// defaults. Zero fields are left out and take the defaults.
type TextOptions struct {
	// Text is the text to scroll: UTF-8, no control characters other
	// than newlines and tabs (shown as spaces), at most 1000 characters.
	Text string `json:"text"`
	// Color and Background are colours as JSON strings: a name ("red"),
	// "#rrggbb" or "#rgb". The request may also give [r,g,b] (0..255).
	// White on black by default.
	Color      string `json:"color,omitempty"`
	Background string `json:"background,omitempty"`
	// Speed is in columns a second, 1 to 100 (default 10).
	Speed float64 `json:"speed,omitempty"`
	// Repeat is the number of passes, 1 to 100 (default 1).
	Repeat int `json:"repeat,omitempty"`
	// Mode is ModeQueue (the default) or ModeReplace.
	Mode string `json:"mode,omitempty"`
}

// Values of TextOptions.Mode.
const (
	// ModeQueue waits behind what is queued.
	ModeQueue = "queue"
	// ModeReplace drops the queue and interrupts what is showing.
	ModeReplace = "replace"
)

// DisplayedReply answers led.text, led.pixels and led.clear once the item
// has been shown, or has not been (Reason says why: "replaced",
// "stopped", "shutdown").
type DisplayedReply struct {
	Displayed  bool   `json:"displayed"`
	ID         string `json:"id"`
	DurationMS int64  `json:"duration_ms,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// Config is a <prefix>.<id>.led.config request: the settings to change;
// a nil field keeps its setting, and at least one must be set.
type Config struct {
	// Rotation is 0, 90, 180 or 270 degrees clockwise.
	Rotation *int `json:"rotation,omitempty"`
	// LowLight dims the matrix.
	LowLight *bool `json:"low_light,omitempty"`
	// Flip is "h" (mirror left-right), "v" (top-bottom), "hv" (both) or
	// "none"; it replaces the whole flip setting.
	Flip *string `json:"flip,omitempty"`
	// Brightness is 0 (dark) to 1 (full).
	Brightness *float64 `json:"brightness,omitempty"`
}

// ConfigReply answers a led.config request that was applied.
type ConfigReply struct {
	OK bool `json:"ok"`
}

// ColourConfig is a <prefix>.<id>.colour.config request: the colour
// sensor's settings to change, each nil when not given. An empty request
// (no body) asks for the settings in force. The reply is ColourSettings.
type ColourConfig struct {
	// Gain is checked against the chip found: 1, 4, 16, and 60 (TCS34725)
	// or 64 (TCS3400).
	Gain *int `json:"gain,omitempty"`
	// IntegrationCycles is 1..256.
	IntegrationCycles *int `json:"integration_cycles,omitempty"`
}

// Frame is a <prefix>.<id>.led.frame request. The body may also be the
// format alone ("png"), or empty for FormatRaw.
type Frame struct {
	Format string `json:"format,omitempty"`
}

// Formats of a led.frame reply.
const (
	// FormatRaw is 192 bytes of RGB888, row-major from the top left
	// (Content-Type application/octet-stream). "rgb888" is accepted as
	// a name for it.
	FormatRaw = "raw"
	// FormatPNG is an 8x8 PNG (Content-Type image/png).
	FormatPNG = "png"
)

// FrameWatch is a <prefix>.<id>.led.frame.watch request: lease the live
// frames for Seconds (more than 0, at most MaxLease). The body may also
// be the number alone, or empty for DefaultLease. The reply is WatchReply.
type FrameWatch struct {
	Seconds float64 `json:"seconds"`
}

// Lease bounds for <prefix>.<id>.led.frame.watch: a watcher renews well
// before DefaultLease ends; MaxLease stops one request from keeping the
// device publishing for long after its watcher went away.
const (
	DefaultLease = 10 * time.Second
	MaxLease     = 60 * time.Second
)

// WatchReply answers a lease request: where the frames come, for how long,
// and at most how many a second.
type WatchReply struct {
	Subject   string `json:"subject"`
	LeaseS    int    `json:"lease_s"`
	MaxRateHz int    `json:"max_rate_hz"`
	Format    string `json:"format"`
}
