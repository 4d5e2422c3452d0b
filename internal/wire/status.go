package wire

import (
	"encoding/json"
	"time"
)

// Status is the reply of Subjects.Status: the daemon fills it, the CLI and
// the emulator page decode it. Fields are only ever added, so an older
// reader still decodes a newer daemon's reply.
type Status struct {
	ID       string            `json:"id"`
	Version  string            `json:"version"`
	Commit   string            `json:"commit"`
	UptimeS  float64           `json:"uptime_s"`
	Backends BackendsStatus    `json:"backends"`
	Display  DisplayStatus     `json:"display"`
	NATS     NATSStatus        `json:"nats"`
	Sensors  map[string]string `json:"sensors,omitempty"`
	Last     LastReadings      `json:"last"`
	// Published counts the readings and events sent, per kind, with the
	// boot nonce of their message ids (store and forward checks these).
	Published PublishedStatus `json:"published"`
	Errors    ErrorsStatus    `json:"errors"`
	// Duplicates are other running daemons with this id; requests to the
	// id are split between them. Empty when all is well.
	Duplicates []Duplicate `json:"duplicates"`
	// State is the reported state (a State, as published on
	// Subjects.State), encoded once when it changes; absent before the
	// daemon has one.
	State json.RawMessage `json:"state,omitempty"`
}

// BackendsStatus says what drives each part of the board.
type BackendsStatus struct {
	Display  string `json:"display"`
	Joystick string `json:"joystick"`
	Sensors  string `json:"sensors"`
}

// DisplayStatus is the matrix's state.
type DisplayStatus struct {
	Rotation      int     `json:"rotation"`
	LowLight      bool    `json:"low_light"`
	Flip          string  `json:"flip"`
	Brightness    float64 `json:"brightness"`
	QueueLength   int     `json:"queue_length"`
	Showing       string  `json:"showing"`
	FramesSent    uint64  `json:"frames_sent"`
	FramesSkipped uint64  `json:"frames_skipped"`
	DeviceErrors  uint64  `json:"device_errors"`
}

// NATSStatus is the connection's state.
type NATSStatus struct {
	Connected  bool   `json:"connected"`
	Server     string `json:"server,omitempty"`
	Reconnects uint64 `json:"reconnects"`
	// Buffered is what waits in the reconnect buffer during an outage.
	Buffered int `json:"buffered"`
}

// LastReadings are the last payloads published, byte for byte: the reply
// shows exactly what subscribers got. Decode them with DecodeEnv and the
// other decoders of decode.go.
type LastReadings struct {
	Env      json.RawMessage `json:"env,omitempty"`
	Motion   json.RawMessage `json:"motion,omitempty"`
	Joystick json.RawMessage `json:"joystick,omitempty"`
	Colour   json.RawMessage `json:"colour,omitempty"`
}

// PublishedStatus counts what the daemon handed to NATS since it started,
// per kind. Message n of a kind has Nats-Msg-Id <id>-<boot>-<kind>-<n>, so
// a stream holding every reading of this run holds, per kind, ids 1..count
// at least (a subscriber can see message count+1 a moment before the
// count moves: it moves once the client has taken the message).
type PublishedStatus struct {
	Boot     string `json:"boot"`
	Env      uint64 `json:"env"`
	Motion   uint64 `json:"motion"`
	Colour   uint64 `json:"colour"`
	Joystick uint64 `json:"joystick"`
}

// ErrorsStatus counts errors by subsystem ("display", "nats", "request",
// a chip's name) and says what the last one was.
type ErrorsStatus struct {
	Counts map[string]uint64 `json:"counts"`
	Last   string            `json:"last,omitempty"`
	LastAt *time.Time        `json:"last_at,omitempty"`
	// SuppressedLogs counts, by kind, the warnings left out of the log
	// since the start.
	SuppressedLogs map[string]uint64 `json:"suppressed_logs"`
}

// Duplicate is another running instance of the sensehat service that uses
// the same id: requests to the id are split between the two.
type Duplicate struct {
	// Instance is the micro service's instance id (nats micro info).
	Instance string `json:"instance"`
	// Host is the other daemon's hostname, as it announced it.
	Host    string    `json:"host,omitempty"`
	Version string    `json:"version,omitempty"`
	Since   time.Time `json:"since"`
}
