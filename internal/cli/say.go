package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/font"
	"github.com/sensehat/sensehat/internal/wire"
)

func (a *App) say(ctx context.Context, args []string) error {
	fs, c := a.flagSet("say", "[--id ID|--all|--any] [--color C] [--background C] [--speed N] [--replace] TEXT...")
	id := fs.String("id", "", "device id to show the text on")
	all := fs.Bool("all", false, "show on every device, wait for all of them")
	anyDev := fs.Bool("any", false, "show on one device of the fleet (the default without --id)")
	colour := fs.String("color", "", `text colour: a name, "#rrggbb" (default white)`)
	bg := fs.String("background", "", "background colour (default black)")
	speed := fs.Float64("speed", 0, "columns per second (default 10)")
	repeat := fs.Int("repeat", 0, "passes (default 1)")
	replace := fs.Bool("replace", false, "interrupt what is showing and drop the queue")
	timeout := fs.Duration("timeout", 0, "how long to wait for the reply (default: from the text length)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if text == "" {
		fs.Usage()
		return errUsage
	}
	targets := 0
	for _, b := range []bool{*id != "", *all, *anyDev} {
		if b {
			targets++
		}
	}
	if targets > 1 {
		return errors.New("say: give one of --id, --all, --any")
	}
	target := "any"
	switch {
	case *id != "":
		target = *id
	case *all:
		target = "all"
	}

	req := wire.TextOptions{Text: text, Color: *colour, Background: *bg, Speed: *speed, Repeat: *repeat}
	if *replace {
		req.Mode = wire.ModeReplace
	}
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if *timeout == 0 {
		*timeout = scrollTime(text, *speed, *repeat) + 10*time.Second
	}

	nc, err := c.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	subject := wire.Subjects{Prefix: c.Prefix, ID: target}.Text()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	if target != "all" {
		fmt.Fprintf(a.Stderr, "sent to %s, waiting until it has been shown...\n", subject)
		m, err := nc.RequestWithContext(ctx, subject, data)
		if errors.Is(err, nats.ErrNoResponders) {
			return fmt.Errorf("say: no device listens on %s; check the id with `sensehat status`", subject)
		}
		if err != nil {
			return fmt.Errorf("say: waiting for %s: %w", subject, err)
		}
		return a.printSay(m)
	}

	// "all": ask the fleet how many devices there are, then wait for each.
	n, err := countDevices(ctx, nc)
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("say: no sensehat device answered a ping; is any running?")
	}
	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest(subject, inbox, data); err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "sent to %s (%d devices), waiting until it has been shown...\n", subject, n)
	var errs []error
	for i := 0; i < n; i++ {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return fmt.Errorf("say: %d of %d devices answered: %w", i, n, err)
		}
		if err := a.printSay(m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (a *App) printSay(m *nats.Msg) error {
	if err := serviceError(m); err != nil {
		return err
	}
	var r wire.DisplayedReply
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return fmt.Errorf("say: unreadable reply %q: %w", m.Data, err)
	}
	if !r.Displayed {
		fmt.Fprintf(a.Stdout, "%s: not displayed (%s)\n", termSafe(r.ID), termSafe(r.Reason))
		return nil
	}
	fmt.Fprintf(a.Stdout, "%s: displayed in %.1fs\n", termSafe(r.ID), float64(r.DurationMS)/1000)
	return nil
}

// scrollTime estimates how long the text takes to scroll.
func scrollTime(text string, speed float64, repeat int) time.Duration {
	if speed <= 0 {
		speed = 10
	}
	if repeat <= 0 {
		repeat = 1
	}
	cols := font.Default().TextWidth(text) + 16
	return time.Duration(float64(cols*repeat) / speed * float64(time.Second))
}
