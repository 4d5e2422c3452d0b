package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sensehat/sensehat/internal/emulator"
	"github.com/sensehat/sensehat/internal/natsconn"
	"github.com/sensehat/sensehat/internal/webguard"
)

// emulate runs the daemon on a simulated HAT with an embedded nats-server
// (or on the server given with --nats) and shows it in a browser or, with
// --terminal, in this terminal: the page is then served only if --http is
// given as well, so an SSH session opens no port by surprise.
func (a *App) emulate(ctx context.Context, args []string) error {
	fs := newFlagSet("emulate", a.Stderr, "[--nats-listen ADDR] [--http ADDR] [--http-host NAME] [--nats URL] [--terminal [--cells]] [--id ID]")
	var c conn
	c.flags(fs, a.Getenv)
	listen := fs.String("nats-listen", "127.0.0.1:4222", "where the embedded nats-server listens (ignored with --nats)")
	httpAddr := fs.String("http", "127.0.0.1:8080", "where the page is served (it has no authentication: keep it on loopback unless the network is trusted)")
	var httpHosts hostList
	fs.Var(&httpHosts, "http-host", "a `NAME` the page answers to besides localhost and IP addresses, e.g. raspberrypi.local (repeatable, or comma-separated)")
	terminal := fs.Bool("terminal", false, "draw the matrix in this terminal (24-bit colour) instead of serving the page; add --http for both")
	cells := fs.Bool("cells", false, "with --terminal: two-space cells (16x8) instead of half blocks (8x4)")
	id := fs.String("id", "emu", "device id of the simulated HAT")
	envInterval := fs.Duration("env-interval", time.Second, "how often the environment reading is published")
	verbose := fs.Bool("verbose", false, "log the daemon's progress (warnings and errors only by default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: level}))

	natsURL, where := c.URL, "joined"
	if !given["nats"] {
		srv, err := emulator.StartNATS(*listen)
		if err != nil {
			return err
		}
		defer func() {
			srv.Shutdown()
			srv.WaitForShutdown()
		}()
		natsURL, where = srv.ClientURL(), "embedded"
		if a := srv.Addr(); a != nil {
			webguard.WarnExposed(log, "--nats-listen", a)
		}
	}

	stateDir, err := emulatorStateDir()
	if err != nil {
		return err
	}
	cfg := emulator.SimConfig(*id, natsURL, stateDir)
	cfg.Prefix = c.Prefix
	cfg.Creds, cfg.NKey, cfg.User, cfg.Password = c.Creds, c.NKey, c.User, c.Password
	cfg.TLSCert, cfg.TLSKey, cfg.TLSCA = c.TLSCert, c.TLSKey, c.TLSCA
	cfg.EnvInterval = *envInterval
	if err := cfg.Validate(); err != nil {
		return err
	}

	e := &emulator.Emulator{Config: cfg, Log: log, HTTPAddr: *httpAddr, Hosts: httpHosts}
	page := ""
	if !*terminal || given["http"] {
		ln, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			return fmt.Errorf("emulate: serving the page on %s: %w (another emulator running? choose another address with --http)", *httpAddr, err)
		}
		e.Listener = ln
		page = "http://" + ln.Addr().String() + "/"
	}
	if *terminal {
		e.Terminal = &emulator.Terminal{W: a.Stdout, Cells: *cells}
	}
	emulateBanner(a.Stdout, cfg.Prefix+"."+cfg.ID, natsconn.Redact(natsURL), where, page)
	return e.Run(ctx)
}

// emulateBanner tells the user what to type next, with the right server.
func emulateBanner(w io.Writer, base, url, where, page string) {
	s := "nats --server " + url
	fmt.Fprintf(w, "Simulated Sense HAT %q on %s (%s NATS server)\n", base, url, where)
	if page != "" {
		fmt.Fprintf(w, "Page: %s\n", page)
	}
	fmt.Fprintf(w, `
Try:
  %[1]s pub %[2]s.led.text 'hello world'
  %[1]s pub %[2]s.led.text '{"text":"Hi","color":"red","speed":12}'
  %[1]s req %[2]s.status ''
  %[1]s sub '%[2]s.>'

Ctrl-C stops.

`, s, base)
}

// emulatorStateDir is where the simulated magnetometer's calibration is
// kept between runs.
func emulatorStateDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "sensehat-emulator")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("emulate: state directory: %w", err)
	}
	return dir, nil
}

// hostList is a repeatable, comma-separated flag of host names.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(s string) error {
	for _, name := range strings.Split(s, ",") {
		if name = strings.TrimSpace(name); name != "" {
			*h = append(*h, name)
		}
	}
	return nil
}
