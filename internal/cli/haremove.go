package cli

import (
	"context"
	"fmt"

	"github.com/sensehat/sensehat/internal/hass"
	"github.com/sensehat/sensehat/internal/wire"
)

// haRemove takes a decommissioned device out of Home Assistant: an empty
// device discovery message removes the device and all its entities. The
// device's daemon must be stopped (or run with --ha-prefix ""), or it
// announces itself again at the next birth message or reconnect.
func (a *App) haRemove(ctx context.Context, args []string) error {
	fs, c := a.flagSet("ha-remove", "--id ID [--ha-prefix P]")
	id := fs.String("id", "", "device id to remove from Home Assistant")
	prefix := fs.String("ha-prefix", hass.DefaultPrefix, "Home Assistant MQTT discovery prefix")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *id == "" {
		fs.Usage()
		return errUsage
	}
	subj, err := wire.NewSubjects(c.Prefix, *id)
	if err != nil {
		return err
	}
	ha, err := wire.NewHomeAssistant(*prefix)
	if err != nil {
		return err
	}
	dev := hass.Device{Subjects: subj, HA: ha}
	nc, err := c.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := hass.Remove(nc, dev); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "removed %q from Home Assistant: empty discovery message on %s\n", *id, wire.Topic(dev.ConfigSubject()))
	return ctx.Err()
}
