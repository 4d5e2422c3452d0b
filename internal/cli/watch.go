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
		case wire.KindJoystick:
			subjects = append(subjects, wire.Subjects{Prefix: c.Prefix, ID: *id}.Joystick("*"))
		case wire.KindEnv, wire.KindMotion, wire.KindColour:
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
			case lines <- watchLine(c.Prefix, m.Subject, m.Data):
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

// maxWatchExtra bounds the fields outside the contract a watched line
// shows, and maxWatchText the runes of each value: a device may invent
// any number of fields, of any length.
const (
	maxWatchExtra = 4
	maxWatchText  = 80
)

// watchLine is one watched message: the subject (without the prefix),
// then, for a reading of the contract, its time and each quantity as
// <name>=<value> under the names every reader uses (env.temperature_c,
// motion.accel_g.x), the values as published. Anything else is shown as
// it came, escaped.
func watchLine(prefix, subject string, data []byte) string {
	head := termSafe(strings.TrimPrefix(subject, prefix+"."))
	_, kind, ok := wire.ParseReadingSubject(subject)
	if !ok {
		return head + " " + termSafe(clipRunes(string(data), 4*maxWatchText))
	}
	kept := 0
	r, err := wire.DecodeReading(kind, data, func([]byte) bool { kept++; return kept <= maxWatchExtra })
	if err != nil {
		return head + " " + termSafe(clipRunes(string(data), 4*maxWatchText))
	}
	var b strings.Builder
	b.WriteString(head)
	if !r.Time.IsZero() {
		b.WriteString(" " + r.Time.Local().Format("15:04:05.000"))
	}
	for _, v := range append(r.Values, r.Extra...) {
		b.WriteString(" " + termSafe(clipRunes(v.Name, maxWatchText)) + "=" + termSafe(clipRunes(v.Text, maxWatchText)))
	}
	if n := r.Unknown - len(r.Extra); n > 0 {
		fmt.Fprintf(&b, " (%d more fields outside the contract)", n)
	}
	return b.String()
}

// clipRunes cuts s to at most n runes, marking the cut with "…".
func clipRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
