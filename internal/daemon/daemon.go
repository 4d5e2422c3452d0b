// Package daemon is sensehatd as a value: it opens the hardware, runs the
// display player, connects to NATS, serves the micro service, publishes
// joystick and sensor readings and talks to systemd. cmd/sensehatd only
// parses flags and wires signals; tests and `sensehat emulate` construct a
// Daemon directly.
//
// Run is a sequence of phases, each a function given only what it uses:
// check the local files, open the hardware, start the display, tell
// systemd READY, connect, serve, sense, supervise, shut down.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/backend"
	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/desired"
	"github.com/sensehat/sensehat/internal/hass"
	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/natsconn"
	"github.com/sensehat/sensehat/internal/service"
	"github.com/sensehat/sensehat/internal/version"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// Notifier sends sd_notify states; *Systemd implements it.
type Notifier interface {
	Notify(state string) error
	// WatchdogInterval is how often to ping, 0 when no watchdog is set.
	WatchdogInterval() time.Duration
}

// Daemon is one sensehatd process. Set the exported fields, then Run.
type Daemon struct {
	Config config.Config
	Log    *slog.Logger
	// HAT is the simulated board the sim backends use; `sensehat emulate`
	// shares it with its web view. When nil, sim backends get a new one.
	HAT *sim.HAT
	// Notifier defaults to systemd's socket (a no-op outside systemd).
	Notifier Notifier
	// OnFrame, if set, sees every frame sent to the matrix; it must not
	// retain the frame.
	OnFrame func(*display.Frame)
	// Ready, if set, is closed when the service is registered.
	Ready chan struct{}
	// DuplicateCheck is how often the daemon announces itself to other
	// daemons with its id (see dup.go); 0 means DefaultDuplicateCheck.
	DuplicateCheck time.Duration
	// Clock, if set, replaces time.Now for the windows of the log's rate
	// limit, so tests can end one without waiting.
	Clock func() time.Time
	// DesiredResync is how often the desired-state keys are read again
	// besides the notices of change; 0 means desired.DefaultResync.
	DesiredResync time.Duration

	// What the phases of Run started, for Status. Each is set once,
	// before the service answers its first request.
	errs    health.Registry
	started time.Time
	hw      *backend.Hardware
	player  *display.Player
	frames  *frameWatch
	nc      *nats.Conn
	svc     *service.Service
	pub     *sensing
	dups    *dupWatch
	ha      atomic.Pointer[hass.Publisher]
	desired *desired.Agent // nil: --desired off
	lit     litWatch
}

// Run runs the daemon until ctx is cancelled, then stops it cleanly: the
// service stops taking requests, the scroll is cut and the matrix cleared,
// NATS is drained. It returns nil after a clean stop, and an error, before
// systemd hears READY, for a mistake in the settings or the local files.
func (d *Daemon) Run(ctx context.Context) error {
	d.setDefaults()
	cfg, log := d.Config, d.Log
	sd := notifier{n: d.Notifier, log: log}
	var wg sync.WaitGroup
	defer wg.Wait()

	if err := checkLocalFiles(cfg); err != nil {
		return err
	}
	// The desired state the daemon last read, for the settings that only
	// apply at a start; the rest is applied once the display runs.
	cfg, ds := startDesired(cfg, &d.errs, log)
	sd.notify("STATUS=opening hardware")
	hw, hat, err := openHardware(cfg, d.HAT, log)
	if err != nil {
		return err
	}
	defer closeHardware(hw, log)
	d.hw, d.HAT = hw, hat

	disp, err := startDisplay(&wg, hw, cfg, displayDeps{onFrame: d.OnFrame, lit: d.lit.hook, item: d.lit.item, watchdog: d.Notifier.WatchdogInterval(), errs: &d.errs, log: log})
	if err != nil {
		return err
	}
	defer disp.stop()
	d.player, d.frames = disp.player, disp.frames
	colour := colourSetter(hw, cfg)
	d.desired = newDesired(cfg, ds, disp, hw, colour, d.haState, d.DesiredResync, log)
	if d.desired != nil {
		d.lit.agent.Store(d.desired)
	}

	notifyReady(sd, cfg.NATS)

	// A duplicate may have started while we were away, and a restarted
	// server kept no discovery for Home Assistant.
	d.dups = newDupWatch()
	nc, err := connectNATS(cfg, &d.errs, log, func() { d.dups.poke(); d.ha.Load().Resend(); d.desired.Republish() })
	if err != nil {
		return err
	}
	d.nc = nc
	// Before the service: a status request may arrive the moment the
	// endpoints subscribe, and its handler reads the publisher's counts.
	d.pub = newSensing(nc, hw, cfg, whoAmI{player: disp.player, id: cfg.ID, server: serverAddr(nc), log: log}, &d.errs, log)
	svc, err := serve(nc, disp, hw, cfg, serveDeps{status: d.Status, colour: colour, desired: d.desired}, &d.errs, log)
	if err != nil {
		nc.Close()
		return err
	}
	d.svc = svc

	loopsCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	startLoops(loopsCtx, &wg, loops{sense: d.pub, frames: disp.frames, nc: nc, log: log, dups: d.dups, dupEvery: d.dupEvery(),
		dupLink: dupLink{nc: nc, subject: InstanceSubject(cfg.Prefix, cfg.ID), id: cfg.ID, log: log,
			self: announcement{Instance: svc.Info().ID, Host: hostname(), Version: version.Version}}})
	if d.desired != nil {
		wg.Go(func() { d.desired.Run(loopsCtx, nc) })
	}
	d.ha.Store(startHA(nc, cfg, boardOf(hw, d.pub.headingKnown), d.stateForHA(), &d.errs, log))
	announceReady(nc, d.Ready)

	supervise(ctx, supervisor{
		notify: sd.notify, watchdog: d.Notifier.WatchdogInterval(), errs: &d.errs, log: log,
		line:  overview{prefix: cfg.Prefix, id: cfg.ID, url: cfg.NATS, player: disp.player, nc: nc, dups: d.dups}.line,
		alive: liveness{player: disp.player, nc: nc, sense: d.pub}.healthy,
	})
	shutDown(sd, log, shutdown{
		stopLoops: stopLoops, ha: d.ha.Swap(nil), svc: svc, stopDisplay: disp.stop, wait: wg.Wait, errs: &d.errs, nc: nc,
	})
	return nil
}

func (d *Daemon) setDefaults() {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Notifier == nil {
		d.Notifier = Systemd{}
	}
	d.started = time.Now()
	d.errs.Clock = d.Clock
}

func (d *Daemon) dupEvery() time.Duration {
	if d.DuplicateCheck <= 0 {
		return DefaultDuplicateCheck
	}
	return d.DuplicateCheck
}

// notifier sends sd_notify states; a failure to is only worth a debug
// line (outside systemd there is nobody to tell).
type notifier struct {
	n   Notifier
	log *slog.Logger
}

func (s notifier) notify(state string) {
	if err := s.n.Notify(state); err != nil {
		s.log.Debug("sd_notify", "err", err)
	}
}

// notifyReady tells systemd the daemon is up: the hardware is, the server
// may come later. Everything that can end the start has been checked.
func notifyReady(sd notifier, url string) {
	sd.notify("READY=1")
	sd.notify("STATUS=hardware up; connecting to NATS at " + natsconn.Redact(url))
}

// natsSettings are the connection settings the flags give.
func natsSettings(cfg config.Config) natsconn.Settings {
	return natsconn.Settings{
		URL: cfg.NATS, Creds: cfg.Creds, NKey: cfg.NKey, User: cfg.User, Password: cfg.Password,
		TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey, TLSCA: cfg.TLSCA,
		Name: "sensehatd " + cfg.ID,
		// Replies to the daemon's own requests (the desired state's
		// JetStream calls) under an inbox of its own: a device may
		// subscribe to _INBOX.<id>.> and not to everybody's _INBOX.>.
		InboxPrefix: DeviceInbox(cfg.ID),
	}
}

// DeviceInbox is the inbox prefix of a device's daemon, _INBOX.<id>,
// which the shipped permissions and the fleet's device role let it
// subscribe to (a laptop's _INBOX.> covers it too).
func DeviceInbox(id string) string { return "_INBOX." + id }

// checkLocalFiles loads the certificates and keys the flags name. A
// mistake there never cures itself, so it ends the start before systemd
// hears READY, and the error says which flag and what to give.
func checkLocalFiles(cfg config.Config) error {
	if err := natsconn.Check(natsSettings(cfg)); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	return nil
}

// openHardware opens what the config asks for. The sim backends share hat,
// or a new one when hat is nil; the one used is returned.
func openHardware(cfg config.Config, hat *sim.HAT, log *slog.Logger) (*backend.Hardware, *sim.HAT, error) {
	if hat == nil && usesSim(cfg) {
		hat = sim.NewHAT()
	}
	hw, err := backend.Open(backend.Request{
		Display:   cfg.Display,
		Joystick:  cfg.Joystick,
		Sensors:   cfg.Sensors,
		SysfsRoot: cfg.SysfsRoot,
		StateDir:  cfg.StateDir,
		HAT:       hat,
		Log:       log,

		ColourGain:   cfg.ColourGain,
		ColourCycles: cfg.ColourCycles,
	})
	if err != nil {
		return nil, nil, err
	}
	log.Info("hardware up", "display", hw.DisplayName, "joystick", hw.JoystickName, "sensors", hw.SensorsName)
	return hw, hat, nil
}

func closeHardware(hw *backend.Hardware, log *slog.Logger) {
	if err := hw.Close(); err != nil {
		log.Warn("closing hardware", "err", err)
	}
}

// displayDeps are what the display phase takes besides the hardware.
type displayDeps struct {
	onFrame  func(*display.Frame) // Daemon.OnFrame
	lit      func(*display.Frame) // the reported state's "lit"
	item     func(display.Item)   // and its "text" and "fill"
	watchdog time.Duration        // systemd's ping period, 0 for none
	errs     *health.Registry
	log      *slog.Logger
}

// displayRun is the running display: the player, the live-frame watch
// fed from it, and how to stop the player (idempotent).
type displayRun struct {
	player *display.Player
	frames *frameWatch
	stop   func()
}

// startDisplay starts the player's loop on hw's matrix. The loop outlives
// the daemon's context: it is stopped by stop, after the service, so the
// last request is shown or cut in order and the matrix cleared.
func startDisplay(wg *sync.WaitGroup, hw *backend.Hardware, cfg config.Config, deps displayDeps) (displayRun, error) {
	frames := newFrameWatch(wire.Subjects{Prefix: cfg.Prefix, ID: cfg.ID}.FrameLive(), time.Second/FrameRate)
	onFrame := frames.hook
	if deps.lit != nil {
		onFrame = func(f *display.Frame) { frames.hook(f); deps.lit(f) }
	}
	if deps.onFrame != nil {
		inner := onFrame
		onFrame = func(f *display.Frame) { inner(f); deps.onFrame(f) }
	}
	p, err := display.NewPlayer(hw.Display, display.PlayerOpts{
		Orientation: display.Orientation{Rotation: cfg.Rotation},
		LowLight:    cfg.LowLight,
		OnFrame:     onFrame,
		OnItem:      deps.item,
		IdleTick:    idleTick(deps.watchdog),
	})
	if err != nil {
		return displayRun{}, fmt.Errorf("daemon: starting display: %w", err)
	}
	frames.player = p
	ctx, stop := context.WithCancel(context.Background())
	wg.Go(func() {
		if err := p.Run(ctx); err != nil {
			deps.log.Error("display loop stopped", "err", err)
			deps.errs.Record("display", err)
		}
	})
	return displayRun{player: p, frames: frames, stop: stop}, nil
}

// idleTick is how often the display loop wakes with nothing to show. The
// watchdog judges the loop by its heartbeat, so under one it ticks every
// second; without one, waking would only cost CPU.
func idleTick(watchdog time.Duration) time.Duration {
	if watchdog > 0 {
		return time.Second
	}
	return time.Minute
}

// connectNATS dials the server. With no server there it still returns a
// connection, which keeps trying (natsconn logs the failures at WARN); the
// error is for settings that can never work.
func connectNATS(cfg config.Config, errs *health.Registry, log *slog.Logger, onConnect func()) (*nats.Conn, error) {
	s := natsSettings(cfg)
	s.Errors, s.OnConnect = errs, onConnect
	return natsconn.Connect(s, log)
}

// serverAddr is the address of the server nc is connected to, "" while it
// is not.
func serverAddr(nc *nats.Conn) func() string {
	return func() string {
		if !nc.IsConnected() {
			return ""
		}
		return nc.ConnectedAddr()
	}
}

// serveDeps are what the service takes from the other phases.
type serveDeps struct {
	status  func() wire.Status
	colour  service.ColourSetter // nil: no colour sensor
	desired *desired.Agent       // nil: --desired off
}

// serve registers the micro service: the endpoints answer from here on.
func serve(nc *nats.Conn, disp displayRun, hw *backend.Hardware, cfg config.Config, deps serveDeps, errs *health.Registry, log *slog.Logger) (*service.Service, error) {
	sc := service.Config{
		Prefix:  cfg.Prefix,
		ID:      cfg.ID,
		Version: version.Version,
		Metadata: map[string]string{
			"display":  hw.DisplayName,
			"joystick": hw.JoystickName,
			"sensors":  hw.SensorsName,
			// nats micro info then tells apart two daemons that
			// share an id.
			"host": hostname(),
		},
		Status: deps.status,
		Colour: deps.colour,
		Frame:  disp.frames,
	}
	if a := deps.desired; a != nil {
		// A request wins over the desired state and is written back
		// into it (docs/desired-state.md, "Precedence").
		sc.OnConfig, sc.OnColour = a.DisplayRequested, a.ColourRequested
	}
	svc, err := service.Start(nc, disp.player, sc, log, errs)
	if err != nil {
		return nil, err
	}
	log.Info("serving", "service", wire.ServiceName, "subjects", wire.Subjects{Prefix: cfg.Prefix, ID: cfg.ID}.All(), "nats", natsconn.Redact(cfg.NATS))
	return svc, nil
}

// announceReady closes ready once the server has seen the subscriptions:
// ready promises answers, and a request sent at once must not get "no
// responders".
func announceReady(nc *nats.Conn, ready chan struct{}) {
	if nc.IsConnected() {
		_ = nc.FlushTimeout(2 * time.Second)
	}
	if ready != nil {
		close(ready)
	}
}

// loops are the goroutines that run while the service does: readings and
// joystick events out, live frames out, the watch for duplicates.
type loops struct {
	sense    *sensing
	frames   *frameWatch
	nc       *nats.Conn
	log      *slog.Logger
	dups     *dupWatch
	dupLink  dupLink
	dupEvery time.Duration
}

// startLoops starts l's goroutines in wg; they end with ctx.
func startLoops(ctx context.Context, wg *sync.WaitGroup, l loops) {
	wg.Go(func() { l.sense.run(ctx) })
	wg.Go(func() { l.frames.run(ctx, l.nc, l.log) })
	wg.Go(func() { l.dups.run(ctx, l.dupLink, l.dupEvery) })
}

// shutdown is what the clean stop stops, in the order it does.
type shutdown struct {
	stopLoops   func()
	ha          *hass.Publisher // nil when discovery is off
	svc         *service.Service
	stopDisplay func()
	wait        func() // for every goroutine started
	errs        *health.Registry
	nc          *nats.Conn
}

// shutDown stops in the order that loses least: no new readings or
// requests, cut the scroll and clear, then drain what is still to be sent.
func shutDown(sd notifier, log *slog.Logger, s shutdown) {
	sd.notify("STOPPING=1")
	sd.notify("STATUS=stopping")
	log.Info("stopping")
	s.stopLoops()
	stopHA(s.ha, log)
	if err := s.svc.Stop(); err != nil {
		log.Debug("stopping service", "err", err)
	}
	s.stopDisplay()
	s.wait()
	s.errs.FlushWarnings(log, true)
	drainNATS(s.nc, log)
}

// supervisor is what the supervision loop uses.
type supervisor struct {
	notify   func(state string)
	watchdog time.Duration // ping period, 0 for none
	errs     *health.Registry
	log      *slog.Logger
	line     func() string                                  // STATUS=
	alive    func(now time.Time, within time.Duration) bool // the watchdog's judgement
}

// supervise keeps STATUS= current and pings the watchdog while the loops
// are healthy, until ctx ends.
func supervise(ctx context.Context, s supervisor) {
	tick := 2 * time.Second
	if s.watchdog > 0 && s.watchdog < tick {
		tick = s.watchdog
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	last := ""
	for {
		// A flood that stopped still gets its summary line.
		s.errs.FlushWarnings(s.log, false)
		if l := s.line(); l != last {
			s.notify("STATUS=" + l)
			last = l
		}
		// A loop silent for longer than one ping period is stuck: the
		// player ticks every second even when idle.
		if s.watchdog > 0 && s.alive(time.Now(), max(s.watchdog, 3*time.Second)) {
			s.notify("WATCHDOG=1")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// liveness is what the watchdog vouches for.
type liveness struct {
	player *display.Player
	nc     *nats.Conn
	sense  *sensing // nil: no sensors to watch
}

// healthy is the watchdog's judgement: the display loop has ticked
// recently and the NATS connection is alive (connected, or reconnecting on
// its own: a restart would not bring the server back sooner).
func (l liveness) healthy(now time.Time, within time.Duration) bool {
	if now.Sub(l.player.Heartbeat()) > within {
		return false
	}
	return !l.nc.IsClosed() && !l.sense.stuck(now, within)
}

// overview is what the STATUS= line says.
type overview struct {
	prefix, id, url string
	player          *display.Player
	nc              *nats.Conn
	dups            *dupWatch
}

func (o overview) line() string {
	st := o.player.Status()
	conn := "NATS: waiting for " + natsconn.Redact(o.url)
	if o.nc.IsConnected() {
		conn = "NATS: " + o.nc.ConnectedUrlRedacted()
	}
	showing := "idle"
	if st.Showing != "" {
		showing = fmt.Sprintf("showing %q", truncate(st.Showing, 30))
	}
	line := fmt.Sprintf("%s.%s; %s; %s; queue %d", o.prefix, o.id, conn, showing, st.QueueLen)
	if n := o.dups.count(); n > 0 {
		line += fmt.Sprintf("; DUPLICATE ID: %d other instance(s)", n)
	}
	return line
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func drainNATS(nc *nats.Conn, log *slog.Logger) {
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := nc.Drain(); err != nil {
		nc.Close()
		return
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		log.Warn("NATS drain did not finish in 5s; closing")
		nc.Close()
	}
}

func usesSim(c config.Config) bool {
	return c.Display.Kind == config.KindSim || c.Joystick.Kind == config.KindSim || c.Sensors.Kind == config.KindSim
}
