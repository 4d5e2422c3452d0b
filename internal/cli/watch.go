package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/wire"
)

func (a *App) watch(ctx context.Context, args []string) error {
	fs, c := a.flagSet("watch", "[--id ID] [joystick|env|motion|colour]...")
	id := fs.String("id", "*", "device id (default: every device)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	kinds := fs.Args()
	if len(kinds) == 0 {
		kinds = []string{"joystick", "env", "motion", "colour"}
	}
	var subjects []string
	for _, k := range kinds {
		switch k {
		case "joystick":
			subjects = append(subjects, wire.Subjects{Prefix: c.Prefix, ID: *id}.Joystick("*"))
		case "env", "motion", "colour":
			subjects = append(subjects, wire.Subjects{Prefix: c.Prefix, ID: *id}.Sensors(k))
		default:
			return fmt.Errorf("watch: unknown kind %q; use joystick, env, motion or colour", k)
		}
	}
	nc, err := c.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	lines := make(chan string, 256)
	for _, s := range subjects {
		sub, err := nc.Subscribe(s, func(m *nats.Msg) {
			select {
			case lines <- termSafe(strings.TrimPrefix(m.Subject, c.Prefix+".")) + " " + termSafe(string(m.Data)):
			default: // a slow terminal drops lines rather than the connection
			}
		})
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
	}
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("watch: subscribing: %w", err)
	}
	fmt.Fprintf(a.Stderr, "watching %s (Ctrl-C to stop)\n", strings.Join(subjects, ", "))
	for {
		select {
		case <-ctx.Done():
			return nil
		case l := <-lines:
			fmt.Fprintln(a.Stdout, l) // made terminal-safe as it arrived
		}
	}
}
