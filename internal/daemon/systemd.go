package daemon

import (
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// Systemd talks to the service manager through $NOTIFY_SOCKET. Outside
// systemd every call is a no-op, which is what running from a shell wants.
type Systemd struct{}

// Notify implements Notifier. SdNotify's (false, nil) outside systemd is
// not an error.
func (Systemd) Notify(state string) error {
	_, err := sd.SdNotify(false, state)
	return err
}

// WatchdogInterval implements Notifier: half of WatchdogSec, as systemd
// recommends, or 0 when the unit sets no watchdog.
func (Systemd) WatchdogInterval() time.Duration {
	d, err := sd.SdWatchdogEnabled(false)
	if err != nil || d <= 0 {
		return 0
	}
	return d / 2
}
