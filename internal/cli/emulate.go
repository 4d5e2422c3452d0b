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
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/emulator"
	"github.com/sensehat/sensehat/internal/natsconn"
	"github.com/sensehat/sensehat/internal/webguard"
	"github.com/sensehat/sensehat/internal/wire"
)

// emulate runs the daemon on a simulated HAT with an embedded nats-server
// (or on the server given with --nats) and shows it in a browser or, with
// --terminal, in this terminal: the page is then served only if --http is
// given as well, so an SSH session opens no port by surprise.
func (a *App) emulate(ctx context.Context, args []string) error {
	fs, c := a.flagSet("emulate", "[--nats-listen ADDR] [--mqtt-listen ADDR] [--ha-prefix P] [--http ADDR] [--http-host NAME] [--nats URL] [--terminal [--cells]] [--id ID]")
	listen := fs.String("nats-listen", "127.0.0.1:4222", "where the embedded nats-server listens (ignored with --nats)")
	mqttListen := fs.String("mqtt-listen", "127.0.0.1:1883", `where the embedded nats-server's MQTT listener is, for MQTT clients and Home Assistant ("" for none; ignored with --nats)`)
	haPrefix := fs.String("ha-prefix", "homeassistant", `Home Assistant MQTT discovery prefix ("" for none)`)
	httpAddr, httpHosts := pageFlags(fs)
	terminal := fs.Bool("terminal", false, "draw the matrix in this terminal (24-bit colour) instead of serving the page; add --http for both")
	cells := fs.Bool("cells", false, "with --terminal: two-space cells (16x8) instead of half blocks (8x4)")
	id := fs.String("id", "emu", "device id of the simulated HAT")
	envInterval := fs.Duration("env-interval", time.Second, "how often the environment reading is published")
	verbose := fs.Bool("verbose", false, "log the daemon's progress (warnings and errors only by default)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: level}))

	natsURL, where, mqttAddr := c.URL, "joined", ""
	if !given["nats"] {
		mq, err := mqttListenAddr(*mqttListen, given["mqtt-listen"], log)
		if err != nil {
			return err
		}
		srv, addr, err := startEmbedded(*listen, mq)
		if err != nil {
			return err
		}
		defer srv.stop()
		natsURL, where, mqttAddr = srv.ClientURL(), "embedded", addr
		if a := srv.Addr(); a != nil {
			webguard.WarnExposed(log, "--nats-listen", a)
		}
		if a, err := net.ResolveTCPAddr("tcp", mqttAddr); err == nil && mqttAddr != "" {
			webguard.WarnExposed(log, "--mqtt-listen", a)
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
	cfg.HAPrefix = *haPrefix
	if err := cfg.Validate(); err != nil {
		return err
	}

	e := &emulator.Emulator{Config: cfg, Log: log, HTTPAddr: *httpAddr, Hosts: *httpHosts}
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
	emulateBanner(a.Stdout, wire.Subjects{Prefix: cfg.Prefix, ID: cfg.ID}.Base(), natsconn.Redact(natsURL), where, page)
	if mqttAddr != "" {
		mqttBanner(a.Stdout, mqttAddr, cfg)
	}
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

// embedded is the emulator's own nats-server and the JetStream directory
// its MQTT listener needs.
type embedded struct {
	*server.Server
	storeDir string
}

func (e embedded) stop() {
	e.Shutdown()
	e.WaitForShutdown()
	if e.storeDir != "" {
		_ = os.RemoveAll(e.storeDir)
	}
}

// mqttListenAddr checks that the MQTT listener's address is free. The
// default (1883) is often a broker's already: then the emulator runs
// without MQTT and says so, rather than fail; an address given with
// --mqtt-listen must be free.
func mqttListenAddr(addr string, explicit bool, log *slog.Logger) (string, error) {
	if addr == "" {
		return "", nil
	}
	l, err := net.Listen("tcp", addr)
	if err == nil {
		_ = l.Close()
		return addr, nil
	}
	if explicit {
		return "", fmt.Errorf("emulate: MQTT listener on %s: %w (choose another address with --mqtt-listen, or '' for none)", addr, err)
	}
	log.Warn("MQTT listener off: its address is taken (another MQTT broker?); choose one with --mqtt-listen", "addr", addr, "err", err)
	return "", nil
}

// startEmbedded starts the embedded server, with MQTT unless mqttListen
// is "", and returns the MQTT listener's address as it really is.
func startEmbedded(listen, mqttListen string) (embedded, string, error) {
	if mqttListen == "" {
		srv, err := emulator.StartNATS(listen)
		return embedded{Server: srv}, "", err
	}
	dir, err := os.MkdirTemp("", "sensehat-emulator-jetstream-")
	if err != nil {
		return embedded{}, "", fmt.Errorf("emulate: a JetStream directory for MQTT: %w", err)
	}
	srv, err := emulator.StartNATSMQTT(listen, mqttListen, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return embedded{}, "", fmt.Errorf("%w (no MQTT wanted? --mqtt-listen '')", err)
	}
	e := embedded{Server: srv, storeDir: dir}
	v, err := srv.Varz(nil)
	if err != nil || v.MQTT.Port <= 0 {
		e.stop()
		return embedded{}, "", fmt.Errorf("emulate: the MQTT listener on %s did not start (port taken? choose another with --mqtt-listen, or '' for none)", mqttListen)
	}
	host, _, _ := net.SplitHostPort(mqttListen)
	return e, net.JoinHostPort(host, strconv.Itoa(v.MQTT.Port)), nil
}

// mqttBanner says how to reach the device over MQTT and point Home
// Assistant at it.
func mqttBanner(w io.Writer, addr string, cfg config.Config) {
	host, port, _ := net.SplitHostPort(addr)
	sj := wire.Subjects{Prefix: cfg.Prefix, ID: cfg.ID}
	fmt.Fprintf(w, `MQTT on %[1]s (nats-server's own listener: topic %[2]s is subject %[3]s):
  mosquitto_sub -h %[4]s -p %[5]s -t '%[6]s' -v
  mosquitto_pub -h %[4]s -p %[5]s -t %[2]s -m 'hello'
`, addr, wire.Topic(sj.Text()), sj.Text(), host, port, wire.Topic(sj.All()))
	if _, on, _ := cfg.HADiscovery(); on {
		fmt.Fprintf(w, `Home Assistant: Settings > Devices & services > Add integration > MQTT,
  broker %[1]s, port %[2]s, no user name or password; discovery prefix %[3]s.
  The device %[4]q appears with its sensors, joystick and matrix. A Home
  Assistant on another machine needs --mqtt-listen 0.0.0.0:%[2]s (no
  authentication: a trusted network only).

`, host, port, cfg.HAPrefix, cfg.ID)
	}
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

// pageFlags adds the flags of a command that serves a page: where
// (--http) and the host names it answers to (--http-host).
func pageFlags(fs *flag.FlagSet) (addr *string, hosts *hostList) {
	addr = fs.String("http", "127.0.0.1:8080", "where the page is served (it has no authentication: keep it on loopback unless the network is trusted)")
	hosts = &hostList{}
	fs.Var(hosts, "http-host", "a `NAME` the page answers to besides localhost and IP addresses, e.g. raspberrypi.local (repeatable, or comma-separated)")
	return addr, hosts
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
