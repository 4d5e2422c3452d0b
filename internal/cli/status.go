package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/sensehat/sensehat/internal/wire"
)

// pingDevices asks every sensehat micro service to identify itself and
// returns their ids, collecting answers for a short while.
func pingDevices(ctx context.Context, nc *nats.Conn) ([]string, error) {
	ids, _, err := pingInstances(ctx, nc)
	return ids, err
}

// pingInstances is pingDevices that also counts the running instances of
// each id: more than one means two daemons share an id and split its
// requests.
func pingInstances(ctx context.Context, nc *nats.Conn) ([]string, map[string]int, error) {
	subj := wire.ServicePing()
	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return nil, nil, err
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest(subj, inbox, nil); err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	instances := map[string]map[string]bool{}
	wait := 500 * time.Millisecond
	for {
		m, err := sub.NextMsg(wait)
		if err != nil || ctx.Err() != nil {
			break
		}
		wait = 200 * time.Millisecond // the fleet answers together
		var p micro.Ping
		if json.Unmarshal(m.Data, &p) == nil && p.Metadata["id"] != "" {
			id := p.Metadata["id"]
			seen[id] = true
			if instances[id] == nil {
				instances[id] = map[string]bool{}
			}
			instances[id][p.ID] = true
		}
	}
	ids := make([]string, 0, len(seen))
	counts := make(map[string]int, len(seen))
	for id := range seen {
		ids = append(ids, id)
		counts[id] = len(instances[id])
	}
	sort.Strings(ids)
	return ids, counts, nil
}

func countDevices(ctx context.Context, nc *nats.Conn) (int, error) {
	ids, err := pingDevices(ctx, nc)
	return len(ids), err
}

func (a *App) status(ctx context.Context, args []string) error {
	fs, c := a.flagSet("status", "[--json]")
	asJSON := fs.Bool("json", false, "print the raw status replies, one per line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	nc, err := c.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	ids, instances, err := pingInstances(ctx, nc)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("status: no sensehat device answered on %s; is sensehatd running and connected to this server?", nc.ConnectedUrlRedacted())
	}
	out := a.Stdout
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "ID\tVERSION\tUPTIME\tDISPLAY\tJOYSTICK\tSENSORS\tTEMP\tHUMIDITY\tPRESSURE\tQUEUE\tSHOWING\tERRORS\tINSTANCES")
	}
	for _, id := range ids {
		m, err := nc.Request(wire.Subjects{Prefix: c.Prefix, ID: id}.Status(), nil, 2*time.Second)
		if err == nil {
			err = serviceError(m)
		}
		if err != nil {
			fmt.Fprintf(tw, "%s\t(no status: %s)\n", termSafe(id), termSafe(err.Error()))
			continue
		}
		if *asJSON {
			fmt.Fprintln(out, termSafeJSON(m.Data))
			continue
		}
		var s wire.Status
		if err := json.Unmarshal(m.Data, &s); err != nil {
			fmt.Fprintf(tw, "%s\t(unreadable status: %s)\n", termSafe(id), termSafe(err.Error()))
			continue
		}
		termSafeStrings(&s)
		temp, hum, pres := "-", "-", "-"
		var e wire.Env
		if len(s.Last.Env) > 0 && wire.DecodeEnv(s.Last.Env, &e) == nil {
			temp = fmt.Sprintf("%.1f°C", e.TemperatureC)
			if e.HasHumidity {
				hum = fmt.Sprintf("%.0f%%", e.HumidityPct)
			}
			if e.HasPressure {
				pres = fmt.Sprintf("%.1fhPa", e.PressureHPa)
			}
		}
		var errs uint64
		for _, n := range s.Errors.Counts {
			errs += n
		}
		showing := s.Display.Showing
		if showing == "" {
			showing = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n",
			s.ID, s.Version, (time.Duration(s.UptimeS) * time.Second).String(),
			s.Backends.Display, s.Backends.Joystick, s.Backends.Sensors,
			temp, hum, pres, s.Display.QueueLength, strings.ReplaceAll(showing, "\t", " "), errs,
			instancesCell(instances[id]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, id := range ids {
		if n := instances[id]; n > 1 && !*asJSON {
			fmt.Fprintf(a.Stderr, "warning: %d daemons run with id %s and split its requests between them; give each device its own --id\n", n, id)
		}
	}
	return nil
}

// instancesCell marks a duplicated id, so it stands out in the table.
func instancesCell(n int) string {
	if n > 1 {
		return fmt.Sprintf("%d!", n)
	}
	return fmt.Sprint(n)
}
