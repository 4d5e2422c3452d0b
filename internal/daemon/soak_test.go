//go:build soak

package daemon

import (
	"fmt"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// The long forms of the hardening tests: make soak runs them.

func TestSoakTextFlood(t *testing.T) {
	testutil.CheckLeaks(t)
	// 10,000 texts a second for 10 seconds.
	checkFlood(t, flood(t, 100_000, 10*time.Second))
}

func TestSoakServerRestarts(t *testing.T) {
	testutil.CheckLeaks(t)
	// Outages long enough for the backoff to reach several seconds.
	for i, outage := range []time.Duration{0, time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second} {
		t.Run(fmt.Sprintf("%d outage %v", i, outage), func(t *testing.T) {
			took := serverRestart(t, outage)
			t.Logf("reconnect after a %v outage: %v", outage, took)
			// The backoff is capped at 10 s plus a quarter of jitter.
			if took > 15*time.Second {
				t.Errorf("reconnect took %v, want within the capped backoff", took)
			}
		})
	}
}

func TestSoakClusterFailovers(t *testing.T) {
	testutil.CheckLeaks(t)
	for i := range 5 {
		t.Run(fmt.Sprint(i), TestHardeningClusterFailover)
	}
}

// TestSoakBusFaultsLong keeps every fault going for a minute at once and
// checks the readings and the display come back when they stop.
func TestSoakBusFaultsLong(t *testing.T) {
	srv, r := startPi1(t, startOpts{watchdog: 100 * time.Millisecond})
	nc := connect(t, srv.URL())
	env := testutil.SubscribeSync(t, nc, "sensehat.pi1.sensors.env")
	end := time.Now().Add(time.Minute)
	for i := 0; time.Now().Before(end); i++ {
		r.hat.Bus.InjectIntermittent(sim.HTS221Addr, 3)
		r.hat.Bus.InjectIntermittent(sim.LPS25HAddr, 5)
		r.hat.Bus.InjectShortRead(sim.ATtinyAddr, 2)
		if i%5 == 0 {
			r.hat.Bus.SetStuck(true)
			time.Sleep(time.Second)
			r.hat.Bus.SetStuck(false)
		}
		if err := nc.Publish("sensehat.pi1.led.text", []byte(`{"text":"soak","speed":100}`)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		r.stillRunning(t)
	}
	r.hat.Bus.InjectIntermittent(sim.HTS221Addr, 0)
	r.hat.Bus.InjectIntermittent(sim.LPS25HAddr, 0)
	testutil.WaitFor(t, 60*time.Second, "sensors ok", func() bool {
		st := status(t, nc, "pi1")
		return st.Sensors["hts221"] == "ok" && st.Sensors["lps25h"] == "ok"
	})
	drain(env)
	if with, _ := humidityReadings(t, env, 2*time.Second); with == 0 {
		t.Error("no humidity after the faults stopped")
	}
	if r.notify.count("WATCHDOG=1") < 500 {
		t.Errorf("%d watchdog pings in over a minute at 100 ms, want the loops healthy throughout", r.notify.count("WATCHDOG=1"))
	}
}
