package daemon

import (
	"time"

	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/version"
)

// Status is the reply of <prefix>.<id>.status.
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
	Errors    health.Snapshot `json:"errors"`
	// Duplicates are other running daemons with this id; requests to the
	// id are split between them. Empty when all is well.
	Duplicates []Duplicate `json:"duplicates"`
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

// LastReadings are the last values published, as published.
type LastReadings struct {
	Env      any `json:"env,omitempty"`
	Motion   any `json:"motion,omitempty"`
	Joystick any `json:"joystick,omitempty"`
	Colour   any `json:"colour,omitempty"`
}

// Status gathers the status reply.
func (d *Daemon) Status() Status {
	ps := d.player.Status()
	flip := ""
	if ps.Orientation.FlipH {
		flip += "h"
	}
	if ps.Orientation.FlipV {
		flip += "v"
	}
	s := Status{
		ID:      d.Config.ID,
		Version: version.Version,
		Commit:  version.Commit,
		UptimeS: time.Since(d.started).Round(time.Millisecond).Seconds(),
		Backends: BackendsStatus{
			Display:  d.hw.DisplayName,
			Joystick: d.hw.JoystickName,
			Sensors:  d.hw.SensorsName,
		},
		Display: DisplayStatus{
			Rotation:      ps.Orientation.Rotation,
			LowLight:      ps.LowLight,
			Flip:          flip,
			Brightness:    ps.Brightness,
			QueueLength:   ps.QueueLen,
			Showing:       ps.Showing,
			FramesSent:    ps.FramesSent,
			FramesSkipped: ps.FramesSkipped,
			DeviceErrors:  ps.DeviceErrors,
		},
		NATS: NATSStatus{
			Connected:  d.nc.IsConnected(),
			Reconnects: d.nc.Stats().Reconnects,
		},
		Sensors:    d.pub.sensorStates(),
		Last:       d.pub.last(),
		Published:  d.pub.ids.status(),
		Errors:     d.errs.Snapshot(),
		Duplicates: d.dups.list(),
	}
	if s.NATS.Connected {
		s.NATS.Server = d.nc.ConnectedUrlRedacted()
	}
	if n, err := d.nc.Buffered(); err == nil {
		s.NATS.Buffered = n
	}
	return s
}
