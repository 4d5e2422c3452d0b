package daemon

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// envReading is one sensors.env message; absent fields stay nil.
type envReading struct {
	Temp     *float64 `json:"temperature_c"`
	Humidity *float64 `json:"humidity_pct"`
	Pressure *float64 `json:"pressure_hpa"`
}

// humidityReadings counts, for d, the env readings that carry a humidity
// (which only the HTS221 gives) and the ones that do not.
func humidityReadings(t testing.TB, sub *nats.Subscription, d time.Duration) (with, without int) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			break
		}
		var e envReading
		if err := json.Unmarshal(m.Data, &e); err != nil {
			t.Fatalf("env %s: %v", m.Data, err)
		}
		if e.Pressure == nil {
			t.Errorf("env %s lost the LPS25H's pressure while only the HTS221 failed", m.Data)
		}
		if e.Humidity != nil {
			with++
		} else {
			without++
		}
	}
	return with, without
}

// drain drops what a subscription holds, so the next reads are fresh.
func drain(sub *nats.Subscription) {
	for {
		if _, err := sub.NextMsg(time.Millisecond); err != nil {
			return
		}
	}
}

func TestHardeningBusFaults(t *testing.T) {
	srv, r := startPi1(t, startOpts{watchdog: 100 * time.Millisecond})
	nc := connect(t, srv.URL())
	env := testutil.SubscribeSync(t, nc, "sensehat.pi1.sensors.env")
	mot := testutil.SubscribeSync(t, nc, "sensehat.pi1.sensors.motion")
	hts := func() uint64 { return status(t, nc, "pi1").Errors.Counts["hts221"] }

	t.Run("intermittent NACK", func(t *testing.T) {
		before := hts()
		r.hat.Bus.InjectIntermittent(sim.HTS221Addr, 4)
		with, _ := humidityReadings(t, env, time.Second)
		r.hat.Bus.InjectIntermittent(sim.HTS221Addr, 0)
		// 50 ms interval: about 20 readings a second; a failed read costs
		// one tick plus a short backoff, so most still carry humidity.
		if with < 5 {
			t.Errorf("%d readings with humidity in 1 s of intermittent NACKs, want the readings to go on", with)
		}
		if got := hts(); got <= before {
			t.Errorf("errors.counts[hts221] = %d, was %d: the NACKs were not counted", got, before)
		}
	})

	t.Run("short reads", func(t *testing.T) {
		before := hts()
		r.hat.Bus.InjectShortRead(sim.HTS221Addr, 3)
		testutil.WaitFor(t, 5*time.Second, "short reads counted", func() bool { return hts() > before })
		drain(env)
		if with, _ := humidityReadings(t, env, time.Second); with == 0 {
			t.Error("no humidity after the short reads ended")
		}
	})

	t.Run("stuck bus", func(t *testing.T) {
		before := r.d.Status()
		pings := r.notify.count("WATCHDOG=1")
		r.hat.Bus.SetStuck(true)
		// A text shown while stuck cannot reach the matrix; the loops must
		// go on regardless.
		if err := nc.Publish("sensehat.pi1.led.text", []byte(`{"text":"lost","speed":100}`)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		stuck := r.d.Status()
		r.hat.Bus.SetStuck(false)
		r.stillRunning(t)
		// The watchdog is pinged every 100 ms while the loops run: a bus
		// that answers every transaction with ETIMEDOUT is not a hung
		// process, and a restart would not unstick it.
		if got := r.notify.count("WATCHDOG=1") - pings; got < 4 {
			t.Errorf("%d watchdog pings during 1 s of stuck bus, want the loops judged healthy (>= 4)", got)
		}
		if stuck.Errors.Counts["hts221"] <= before.Errors.Counts["hts221"] || stuck.Errors.Counts["lsm9ds1"] <= before.Errors.Counts["lsm9ds1"] {
			t.Errorf("stuck bus not counted: before %v, during %v", before.Errors.Counts, stuck.Errors.Counts)
		}
		if !strings.HasPrefix(stuck.Sensors["hts221"], "failing") {
			t.Errorf("sensors[hts221] = %q while the bus was stuck, want failing", stuck.Sensors["hts221"])
		}

		// Recovery: readings of every chip resume, the matrix shows text.
		drain(env)
		drain(mot)
		testutil.WaitFor(t, 10*time.Second, "humidity after recovery", func() bool {
			with, _ := humidityReadings(t, env, 200*time.Millisecond)
			return with > 0
		})
		if _, err := mot.NextMsg(10 * time.Second); err != nil {
			t.Errorf("no motion reading after recovery: %v", err)
		}
		seenLit := watchLit(r.hat, 5*time.Second)
		m := request(t, nc, "sensehat.pi1.led.text", []byte(`{"text":"Up","color":"red","speed":60}`), 10*time.Second)
		if !strings.Contains(string(m.Data), `"displayed":true`) {
			t.Fatalf("text after recovery: %s %v", m.Data, m.Header)
		}
		if !<-seenLit {
			t.Error("no LED lit by a text sent after the bus recovered")
		}
		if st := r.d.Status(); st.Display.DeviceErrors == 0 {
			t.Error("display.device_errors = 0: the frames refused by the stuck bus were not counted")
		}
		testutil.WaitFor(t, 10*time.Second, "sensors ok again", func() bool { return status(t, nc, "pi1").Sensors["hts221"] == "ok" })
	})

	t.Run("chip detached and re-attached", func(t *testing.T) {
		r.hat.Bus.Detach(sim.HTS221Addr)
		testutil.WaitFor(t, 5*time.Second, "hts221 failing", func() bool {
			return strings.HasPrefix(status(t, nc, "pi1").Sensors["hts221"], "failing")
		})
		drain(env)
		if with, without := humidityReadings(t, env, 300*time.Millisecond); with != 0 || without == 0 {
			t.Errorf("with the HTS221 gone: %d readings with humidity, %d without; want none with and pressure going on", with, without)
		}
		r.hat.Bus.Attach(sim.HTS221Addr, r.hat.HTS221)
		testutil.WaitFor(t, 10*time.Second, "hts221 ok again", func() bool { return status(t, nc, "pi1").Sensors["hts221"] == "ok" })
		drain(env)
		if with, _ := humidityReadings(t, env, time.Second); with == 0 {
			t.Error("no humidity after the HTS221 came back")
		}
	})
}

// blockingDevice is a matrix whose Show hangs until released: a wedged
// driver, the one case where the process cannot make progress.
type blockingDevice struct {
	block   chan struct{} // closed: Show hangs
	release chan struct{}
	once    sync.Once
	entered chan struct{}
}

func (b *blockingDevice) Show(*display.Frame) error {
	select {
	case <-b.block:
		b.once.Do(func() { close(b.entered) })
		<-b.release
	default:
	}
	return nil
}
func (b *blockingDevice) Halt() error    { return nil }
func (b *blockingDevice) String() string { return "blocking" }

// The daemon has no way to take a display.Device from a test (backend.Open
// builds it from the config), so this drives the supervisor the daemon
// runs, with the same liveness check, around a player on a device that
// wedges.
func TestHardeningWatchdogWithheldWhenDisplayBlocks(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	dev := &blockingDevice{block: make(chan struct{}), release: make(chan struct{}), entered: make(chan struct{})}
	p, err := display.NewPlayer(dev, display.PlayerOpts{})
	if err != nil {
		t.Fatal(err)
	}
	nc := connect(t, srv.URL())
	notify := &fakeNotifier{wd: 100 * time.Millisecond}
	var errs health.Registry
	s := supervisor{
		notify: func(s string) { _ = notify.Notify(s) }, watchdog: notify.WatchdogInterval(), errs: &errs, log: slog.New(slog.DiscardHandler),
		line:  overview{prefix: "sensehat", id: "pi1", url: srv.URL(), player: p, nc: nc}.line,
		alive: liveness{player: p, nc: nc}.healthy,
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = p.Run(ctx) }()
	go func() {
		defer wg.Done()
		supervise(ctx, s)
	}()
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(dev.release) }) }
	t.Cleanup(func() {
		release()
		cancel()
		wg.Wait()
	})

	testutil.WaitFor(t, 2*time.Second, "pings while healthy", func() bool { return notify.count("WATCHDOG=1") >= 3 })
	close(dev.block)
	if _, err := p.Submit(display.TextItem("stuck", display.ScrollOpts{Speed: 50}), display.Queue); err != nil {
		t.Fatal(err)
	}
	<-dev.entered
	// The supervisor allows the loop max(interval, 3 s) of silence, then
	// stops pinging: systemd restarts a process that really hangs.
	quietSince := time.Now()
	last := notify.count("WATCHDOG=1")
	testutil.WaitFor(t, 8*time.Second, "pings withheld", func() bool {
		n := notify.count("WATCHDOG=1")
		if n != last {
			last, quietSince = n, time.Now()
			return false
		}
		return time.Since(quietSince) > time.Second
	})

	// Unwedged, the loop beats again and the pings come back.
	release()
	testutil.WaitFor(t, 5*time.Second, "pings resume", func() bool { return notify.count("WATCHDOG=1") > last })
}
