package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/sensehat/sensehat/internal/fleet"
	"github.com/sensehat/sensehat/internal/natsconn"
	"github.com/sensehat/sensehat/internal/webguard"
)

// web serves the fleet page: every device on the server, its matrix
// mirrored, its readings plotted, and actions. It keeps reconnecting to
// NATS, as a page left open on a wall should.
func (a *App) web(ctx context.Context, args []string) error {
	fs, c := a.flagSet("web", "[--nats URL] [--http ADDR] [--http-host NAME] [--every D] [--window D] [--history-stream STREAM]")
	httpAddr, httpHosts := pageFlags(fs)
	every := fs.Duration("every", fleet.DefaultOpts.Every, "how often devices are looked for; one missing for 3 rounds is marked gone")
	history := fs.String("history-stream", "", "a JetStream `STREAM` of readings (store and forward): when it exists, the plots start with its last hour, and the day and week spans are read from it")
	window := fs.Duration("window", fleet.DefaultOpts.Window, "how far back the plots reach (kept in memory: 3600 samples per device and quantity, so 24h keeps one every 24 s)")
	verbose := fs.Bool("verbose", false, "log devices coming and going")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: level}))

	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return fmt.Errorf("web: serving the page on %s: %w (choose another address with --http)", *httpAddr, err)
	}
	defer ln.Close()
	webguard.WarnExposed(log, "--http", ln.Addr())
	hosts := []string(*httpHosts)
	if h, _, err := net.SplitHostPort(*httpAddr); err == nil && h != "" && net.ParseIP(h) == nil {
		hosts = append(hosts, h)
	}

	s := c.Settings
	s.Name = "sensehat web"
	nc, err := natsconn.Connect(s, log)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	defer nc.Close()
	o := fleet.DefaultOpts
	o.Prefix, o.NATSURL, o.Hosts, o.Log, o.Every = c.Prefix, natsconn.Redact(c.URL), hosts, log, *every
	o.HistoryStream = *history
	if *window > 0 {
		o.Window = *window
		o.SampleEvery = max(time.Second, *window/3600)
	}
	srv, err := fleet.New(nc, &o)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "Fleet page: http://%s/ (devices on %s)\nCtrl-C stops.\n", ln.Addr(), natsconn.Redact(c.URL))
	return srv.Serve(ctx, ln)
}
