package daemon

import (
	"time"

	"github.com/sensehat/sensehat/internal/version"
	"github.com/sensehat/sensehat/internal/wire"
)

// Status gathers the status reply.
func (d *Daemon) Status() wire.Status {
	ps := d.player.Status()
	flip := ""
	if ps.Orientation.FlipH {
		flip += "h"
	}
	if ps.Orientation.FlipV {
		flip += "v"
	}
	s := wire.Status{
		ID:      d.Config.ID,
		Version: version.Version,
		Commit:  version.Commit,
		UptimeS: time.Since(d.started).Round(time.Millisecond).Seconds(),
		Backends: wire.BackendsStatus{
			Display:  d.hw.DisplayName,
			Joystick: d.hw.JoystickName,
			Sensors:  d.hw.SensorsName,
		},
		Display: wire.DisplayStatus{
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
		NATS: wire.NATSStatus{
			Connected:  d.nc.IsConnected(),
			Reconnects: d.nc.Stats().Reconnects,
		},
		Sensors:    d.pub.sensorStates(),
		Last:       d.pub.last(),
		Published:  d.pub.published(),
		Errors:     d.errs.Snapshot(),
		Duplicates: d.dups.list(),
		State:      d.desired.StateJSON(),
	}
	if s.NATS.Connected {
		s.NATS.Server = d.nc.ConnectedUrlRedacted()
	}
	if n, err := d.nc.Buffered(); err == nil {
		s.NATS.Buffered = n
	}
	return s
}
