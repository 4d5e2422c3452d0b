// Package daemon is sensehatd as a value: it opens the hardware, runs the
// display player, connects to NATS, serves the micro service, publishes
// joystick and sensor readings and talks to systemd. cmd/sensehatd only
// parses flags and wires signals; tests and `sensehat emulate` construct a
// Daemon directly.
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

	errs    health.Registry
	started time.Time
	hw      *backend.Hardware
	player  *display.Player
	nc      *nats.Conn
	svc     *service.Service
	pub     *sensing
	dups    *dupWatch
	ha      atomic.Pointer[hass.Publisher]
	frames  *frameWatch
}

// Run runs the daemon until ctx is cancelled, then stops it cleanly: the
// service stops taking requests, the scroll is cut and the matrix cleared,
// NATS is drained. It returns nil after a clean stop.
func (d *Daemon) Run(ctx context.Context) error {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Notifier == nil {
		d.Notifier = Systemd{}
	}
	d.started = time.Now()
	d.errs.Clock = d.Clock
	cfg := d.Config
	log := d.Log
	notify := func(s string) {
		if err := d.Notifier.Notify(s); err != nil {
			log.Debug("sd_notify", "err", err)
		}
	}

	notify("STATUS=opening hardware")
	hat := d.HAT
	if hat == nil && usesSim(cfg) {
		hat = sim.NewHAT()
		d.HAT = hat
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
		return err
	}
	d.hw = hw
	defer func() {
		if err := hw.Close(); err != nil {
			log.Warn("closing hardware", "err", err)
		}
	}()
	log.Info("hardware up", "display", hw.DisplayName, "joystick", hw.JoystickName, "sensors", hw.SensorsName)

	rot := cfg.Rotation
	d.frames = newFrameWatch(wire.Subjects{Prefix: cfg.Prefix, ID: cfg.ID}.FrameLive(), time.Second/FrameRate)
	onFrame := d.frames.hook
	if d.OnFrame != nil {
		onFrame = func(f *display.Frame) { d.frames.hook(f); d.OnFrame(f) }
	}
	p, err := display.NewPlayer(hw.Display, display.PlayerOpts{
		Orientation: display.Orientation{Rotation: rot},
		LowLight:    cfg.LowLight,
		OnFrame:     onFrame,
		IdleTick:    idleTick(d.Notifier.WatchdogInterval()),
	})
	if err != nil {
		return fmt.Errorf("daemon: starting display: %w", err)
	}
	d.player = p
	d.frames.player = p

	var wg sync.WaitGroup
	defer wg.Wait()
	playerCtx, stopPlayer := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPlayer()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := p.Run(playerCtx); err != nil {
			log.Error("display loop stopped", "err", err)
			d.errs.Record("display", err)
		}
	}()

	// READY once the hardware is up: the server may come later.
	notify("READY=1")
	notify("STATUS=hardware up; connecting to NATS at " + natsconn.Redact(cfg.NATS))

	d.dups = newDupWatch()
	nc, err := natsconn.Connect(natsconn.Settings{
		URL: cfg.NATS, Creds: cfg.Creds, NKey: cfg.NKey, User: cfg.User, Password: cfg.Password,
		TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey, TLSCA: cfg.TLSCA,
		Name:   "sensehatd " + cfg.ID,
		Errors: &d.errs,
		// A duplicate may have started while we were away, and a
		// restarted server kept no discovery for Home Assistant.
		OnConnect: func() { d.dups.poke(); d.ha.Load().Resend() },
	}, log)
	if err != nil {
		return err
	}
	d.nc = nc
	// Before the service: a status request may arrive the moment the
	// endpoints subscribe, and its handler reads the publisher's counts.
	d.pub = newSensing(d)

	svc, err := service.Start(nc, p, service.Config{
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
		Status: d.Status,
		Colour: colourSetter(hw, cfg),
		Frame:  d.frames,
	}, log, &d.errs)
	if err != nil {
		nc.Close()
		return err
	}
	d.svc = svc
	log.Info("serving", "service", wire.ServiceName, "subjects", wire.Subjects{Prefix: cfg.Prefix, ID: cfg.ID}.All(), "nats", natsconn.Redact(cfg.NATS))

	pubCtx, stopPub := context.WithCancel(ctx)
	defer stopPub()
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.pub.run(pubCtx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.frames.run(pubCtx, nc, log)
	}()
	dupEvery := d.DuplicateCheck
	if dupEvery <= 0 {
		dupEvery = DefaultDuplicateCheck
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.dups.run(pubCtx, d, dupEvery)
	}()
	d.startHA()
	// Ready promises answers: let the server see the subscriptions first,
	// or a request sent at once gets "no responders".
	if nc.IsConnected() {
		_ = nc.FlushTimeout(2 * time.Second)
	}
	if d.Ready != nil {
		close(d.Ready)
	}

	d.superviseUntil(ctx, notify)

	// Clean stop, in the order that loses least: no new requests, cut the
	// scroll and clear, then drain what is still to be sent.
	notify("STOPPING=1")
	notify("STATUS=stopping")
	log.Info("stopping")
	stopPub()
	d.stopHA()
	if err := svc.Stop(); err != nil {
		log.Debug("stopping service", "err", err)
	}
	stopPlayer()
	wg.Wait()
	d.errs.FlushWarnings(log, true)
	drainNATS(nc, log)
	return nil
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

// superviseUntil keeps STATUS= current and pings the watchdog while the
// display and NATS loops are healthy, until ctx ends.
func (d *Daemon) superviseUntil(ctx context.Context, notify func(string)) {
	interval := d.Notifier.WatchdogInterval()
	tick := 2 * time.Second
	if interval > 0 && interval < tick {
		tick = interval
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	last := ""
	for {
		// A flood that stopped still gets its summary line.
		d.errs.FlushWarnings(d.Log, false)
		if s := d.statusLine(); s != last {
			notify("STATUS=" + s)
			last = s
		}
		// A loop silent for longer than one ping period is stuck: the
		// player ticks every second even when idle.
		if interval > 0 && d.healthy(time.Now(), max(interval, 3*time.Second)) {
			notify("WATCHDOG=1")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// healthy is the watchdog's judgement: the display loop has ticked
// recently and the NATS connection is alive (connected, or reconnecting on
// its own: a restart would not bring the server back sooner).
func (d *Daemon) healthy(now time.Time, within time.Duration) bool {
	if now.Sub(d.player.Heartbeat()) > within {
		return false
	}
	return !d.nc.IsClosed() && !d.pub.stuck(now, within)
}

func (d *Daemon) statusLine() string {
	st := d.player.Status()
	conn := "NATS: waiting for " + natsconn.Redact(d.Config.NATS)
	if d.nc.IsConnected() {
		conn = "NATS: " + d.nc.ConnectedUrlRedacted()
	}
	showing := "idle"
	if st.Showing != "" {
		showing = fmt.Sprintf("showing %q", truncate(st.Showing, 30))
	}
	line := fmt.Sprintf("%s.%s; %s; %s; queue %d", d.Config.Prefix, d.Config.ID, conn, showing, st.QueueLen)
	if n := d.dups.count(); n > 0 {
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
