package emulator

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/daemon"
	"github.com/sensehat/sensehat/internal/fleet"
	"github.com/sensehat/sensehat/internal/natsconn"
	"github.com/sensehat/sensehat/internal/webguard"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// Emulator is `sensehat emulate` as a value: the daemon on a simulated HAT,
// with the page (and or the terminal view) showing and driving it. The
// NATS server is the caller's: see StartNATS.
type Emulator struct {
	// Config is the daemon's; SimConfig makes one.
	Config config.Config
	Log    *slog.Logger
	// HAT is the simulated board; a new one when nil.
	HAT *sim.HAT

	// Listener, if set, is where the page is served; else HTTPAddr is
	// listened on. With neither, no page is served.
	Listener net.Listener
	HTTPAddr string
	// Hosts are names besides localhost and IP addresses the page answers
	// to (its Host header is checked against DNS rebinding); the host of
	// HTTPAddr is added when it is a name.
	Hosts []string

	// Terminal, if set, draws the matrix there for as long as Run runs.
	Terminal *Terminal

	// Ready, if set, is closed once the daemon serves and the page
	// listens: PageURL is valid from then on.
	Ready chan struct{}

	pageURL string
}

// SimConfig returns the daemon configuration for device id on simulated
// hardware, joining the server at natsURL. Calibration state goes to
// stateDir.
func SimConfig(id, natsURL, stateDir string) config.Config {
	cfg := config.DefaultConfig()
	cfg.ID = id
	cfg.NATS = natsURL
	// "sim" is always a valid backend: the errors cannot happen.
	_ = cfg.Display.Set("sim")
	_ = cfg.Joystick.Set("sim")
	_ = cfg.Sensors.Set("sim")
	cfg.StateDir = stateDir
	// The simulated chips are not warmed by a CPU underneath.
	cfg.TempFactor = 0
	return cfg
}

// PageURL is the page's address, once Ready is closed; "" without a page.
func (e *Emulator) PageURL() string { return e.pageURL }

// Run runs everything until ctx is cancelled, then stops it all: the page
// streams end and the HTTP server shuts down, the daemon stops (clearing
// the matrix and draining NATS), the watching connection closes.
func (e *Emulator) Run(ctx context.Context) error {
	log := e.Log
	if log == nil {
		log = slog.Default()
	}
	hat := e.HAT
	if hat == nil {
		hat = sim.NewHAT()
		e.HAT = hat
	}
	board, err := NewBoard(hat)
	if err != nil {
		return err
	}
	defer board.Close()

	ln := e.Listener
	if ln == nil && e.HTTPAddr != "" {
		ln, err = net.Listen("tcp", e.HTTPAddr)
		if err != nil {
			return fmt.Errorf("emulator: page: %w (is another emulator running? choose another address with --http)", err)
		}
	}
	if ln != nil {
		defer ln.Close()
		webguard.WarnExposed(log, "--http", ln.Addr())
	}
	hosts := e.Hosts
	if h, _, err := net.SplitHostPort(e.HTTPAddr); err == nil && h != "" && net.ParseIP(h) == nil {
		hosts = append(hosts[:len(hosts):len(hosts)], h)
	}

	// The page watches NATS on its own connection, so it sees what the
	// device receives and sends exactly as any other client would.
	cfg := e.Config
	nc, err := natsconn.Connect(natsconn.Settings{
		URL: cfg.NATS, Creds: cfg.Creds, NKey: cfg.NKey, User: cfg.User, Password: cfg.Password,
		TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey, TLSCA: cfg.TLSCA,
		Name: "sensehat emulator view",
	}, log)
	if err != nil {
		return fmt.Errorf("emulator: watching NATS: %w", err)
	}
	defer nc.Close()

	// The page is the fleet page: the simulated board is one card of it.
	fo := fleet.DefaultOpts
	fo.Prefix, fo.NATSURL, fo.Hosts, fo.Log, fo.Every = cfg.Prefix, natsconn.Redact(cfg.NATS), hosts, log, FleetEvery
	fl, err := fleet.New(nc, &fo)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	defer fl.Close()
	view, err := New(board, &Opts{
		Prefix: cfg.Prefix, ID: cfg.ID, NATSURL: natsconn.Redact(cfg.NATS),
		History: DefaultOpts.History, KeepAlive: DefaultOpts.KeepAlive, Log: log,
		Hosts: hosts, Fleet: fl,
	})
	if err != nil {
		return err
	}
	defer view.Close()
	stopMonitor, err := view.Monitor(nc)
	if err != nil {
		return err
	}
	defer stopMonitor()

	g, ctx := webguard.NewGroup(ctx)
	g.Go("emulator: fleet", func() error { return fl.Run(ctx) })

	daemonReady := make(chan struct{})
	d := &daemon.Daemon{Config: e.Config, Log: log, HAT: hat, Ready: daemonReady}
	g.Go("emulator: daemon", func() error { return d.Run(ctx) })

	var srv *http.Server
	if ln != nil {
		srv = webguard.Server(view)
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
		e.pageURL = "http://" + hostPort(ln.Addr()) + "/"
		g.Serve("emulator: page", srv, ln)
	}
	if e.Terminal != nil {
		g.Go("emulator: terminal", func() error { return e.Terminal.Run(ctx, board) })
	}

	select {
	case <-daemonReady:
		fl.Rediscover()
		if e.Ready != nil {
			close(e.Ready)
		}
	case <-ctx.Done():
	}
	<-ctx.Done()

	view.Close() // ends the streams Shutdown would otherwise wait for
	fl.Close()
	if srv != nil {
		webguard.Shutdown(ctx, srv)
	}
	return g.Wait()
}

// FleetEvery is the emulator page's discovery round. Its one board is
// looked for as soon as it serves; later rounds only refresh its status.
const FleetEvery = 5 * time.Second

// hostPort makes a wildcard listen address into one a browser can open.
func hostPort(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}

// StartNATS starts an embedded nats-server listening on addr (host:port)
// and waits until it takes connections. Shut it down with Shutdown and
// WaitForShutdown.
func StartNATS(addr string) (*server.Server, error) { return StartNATSMQTT(addr, "", "") }

// StartNATSMQTT is StartNATS with nats-server's MQTT listener on mqttAddr
// as well ("" for none), so MQTT clients and Home Assistant reach the
// simulated device. MQTT needs JetStream, kept in storeDir.
func StartNATSMQTT(addr, mqttAddr, storeDir string) (*server.Server, error) {
	host, port, err := splitListen("NATS", addr)
	if err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName: "sensehat-emulator", Host: host, Port: port, NoSigs: true, NoLog: true,
	}
	if mqttAddr != "" {
		mhost, mport, err := splitListen("MQTT", mqttAddr)
		if err != nil {
			return nil, err
		}
		opts.MQTT = server.MQTTOpts{Host: mhost, Port: mport}
		opts.JetStream, opts.StoreDir = true, storeDir
		addr += " and " + mqttAddr
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("emulator: NATS server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("emulator: NATS server on %s did not start (port taken? another nats-server running? use --nats-listen, or --nats URL to join it)", addr)
	}
	return s, nil
}

func splitListen(what, addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("emulator: %s listen address %q: %w", what, addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return "", 0, fmt.Errorf("emulator: %s listen port %q: %w", what, portStr, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}
