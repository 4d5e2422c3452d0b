package fleet_test

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/fleet"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
)

// lit counts the lit pixels of a 192-byte RGB888 frame in hex.
func lit(t *testing.T, h string) int {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 192 {
		t.Fatalf("frame %q: %v", h, err)
	}
	n := 0
	for i := 0; i < 192; i += 3 {
		if b[i]|b[i+1]|b[i+2] != 0 {
			n++
		}
	}
	return n
}

// One page against three simulated devices on a real server: discovery,
// live frames only while a page is open, an action's reply, readings into
// the plots, a stopped device marked gone, and webguard in front.
func TestFleetPageAgainstThreeDevices(t *testing.T) {
	testutil.CheckLeaks(t)
	ns := testutil.StartServer(t, nil)
	devs := map[string]*simdaemon.Device{}
	for _, id := range []string{"pi1", "pi2", "pi3"} {
		devs[id] = startDevice(t, ns.URL(), id)
	}
	watch := testutil.Connect(t, ns.URL())
	var live atomic.Int64
	if _, err := watch.Subscribe("sensehat.*.led.frame.live", func(*nats.Msg) { live.Add(1) }); err != nil {
		t.Fatal(err)
	}
	_, base := startFleet(t, ns.URL(), testOpts())

	testutil.WaitFor(t, 10*time.Second, "three cards", func() bool { return len(cards(t, base)) == 3 })
	for id, c := range cards(t, base) {
		var st struct {
			ID      string  `json:"id"`
			UptimeS float64 `json:"uptime_s"`
		}
		if err := json.Unmarshal(c.Status, &st); err != nil || st.ID != id {
			t.Errorf("card %s: status %s (%v)", id, c.Status, err)
		}
		if c.Version == "" {
			t.Errorf("card %s has no version", id)
		}
	}
	// No page open: a few rounds pass and no device publishes a frame.
	time.Sleep(time.Second)
	if err := watch.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := live.Load(); n != 0 {
		t.Errorf("%d live frames with no page open, want 0", n)
	}

	// A page opens: each device's frame comes at once.
	ev := events(t, base)
	frames := map[string]string{}
	next := func(within time.Duration, what string, done func() bool) {
		t.Helper()
		deadline := time.After(within)
		for !done() {
			select {
			case e := <-ev:
				if e.name == "frame" {
					var f struct{ ID, RGB string }
					if err := json.Unmarshal([]byte(e.data), &f); err != nil {
						t.Fatalf("frame event %q: %v", e.data, err)
					}
					frames[f.ID] = f.RGB
				}
			case <-deadline:
				t.Fatalf("%s: not within %v (frames %v)", what, within, frames)
			}
		}
	}
	next(10*time.Second, "a frame from each device", func() bool { return len(frames) == 3 })
	for id, f := range frames {
		if n := lit(t, f); n != 0 {
			t.Errorf("%s starts with %d lit, want a dark matrix", id, n)
		}
	}

	// Text to pi2: its reply, as the page shows it, and only its matrix lit.
	origin := base
	code, body := post(t, base, "/fleet/text", url.Values{"to": {"pi2"}, "text": {"A"}}, origin)
	if code != http.StatusOK {
		t.Fatalf("text: %d %s", code, body)
	}
	var res struct{ Replies []fleet.Reply }
	if err := json.Unmarshal(body, &res); err != nil || len(res.Replies) != 1 {
		t.Fatalf("text reply %s: %v", body, err)
	}
	if r := res.Replies[0]; r.From != "pi2" || r.Error != "" || !strings.Contains(string(r.Reply), `"displayed":true`) {
		t.Errorf("text reply %+v, want displayed from pi2", r)
	}
	// A one-glyph text is shown still (design.md): it stays lit.
	next(10*time.Second, "pi2 lit", func() bool { return lit(t, frames["pi2"]) > 0 })
	for _, id := range []string{"pi1", "pi3"} {
		if n := lit(t, frames[id]); n != 0 {
			t.Errorf("%s has %d lit after a text to pi2, want 0", id, n)
		}
	}

	// A humidity on pi3 only moves pi3's series.
	devs["pi3"].HAT.HTS221.Set(21.5, 77)
	var last map[string]float64
	testutil.WaitFor(t, 10*time.Second, "pi3 humidity 77 in its series", func() bool {
		var s map[string][]fleet.Sample
		getJSON(t, base+"/fleet/series?q=env.humidity_pct", &s)
		last = map[string]float64{}
		for id, ss := range s {
			if len(ss) > 0 {
				last[id] = ss[len(ss)-1].V
			}
		}
		return math.Abs(last["pi3"]-77) < 1
	})
	for _, id := range []string{"pi1", "pi2"} {
		if math.Abs(last[id]-45) > 1 {
			t.Errorf("%s humidity %v, want the simulated 45 still", id, last[id])
		}
	}

	// All: one reply per device.
	code, body = post(t, base, "/fleet/clear", url.Values{"to": {"all"}}, origin)
	if err := json.Unmarshal(body, &res); code != http.StatusOK || err != nil || len(res.Replies) != 3 {
		t.Errorf("clear all: %d %s, want 3 replies", code, body)
	}
	// Bad input and a foreign origin are refused.
	if code, body := post(t, base, "/fleet/text", url.Values{"to": {"a.b"}, "text": {"x"}}, origin); code != http.StatusBadRequest {
		t.Errorf("to=a.b: %d %s, want 400", code, body)
	}
	if code, body := post(t, base, "/fleet/text", url.Values{"to": {"pi1"}, "text": {"x"}}, "http://evil.example"); code != http.StatusForbidden {
		t.Errorf("cross-origin post: %d %s, want 403", code, body)
	}
	req, _ := http.NewRequest("GET", base+"/fleet/devices", nil)
	req.Host = "attacker.example"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode == http.StatusOK {
		t.Errorf("unknown Host answered (%v)", err)
	} else {
		resp.Body.Close()
	}

	// pi1 stops: its card is marked gone after 3 missed rounds of 300 ms.
	devs["pi1"].Stop()
	stopped := time.Now()
	testutil.WaitFor(t, 10*time.Second, "pi1 marked gone", func() bool { return cards(t, base)["pi1"].Gone })
	t.Logf("pi1 marked gone %v after it stopped", time.Since(stopped).Round(100*time.Millisecond))
	if c := cards(t, base); c["pi2"].Gone || c["pi3"].Gone {
		t.Errorf("pi2 or pi3 marked gone: %+v", c)
	}
}

// The page's server keeps webguard's limits (one stream here, 4 KiB
// bodies) and plots each axis of a vector reading.
func TestFleetLimitsAndVectorReadings(t *testing.T) {
	testutil.CheckLeaks(t)
	ns := testutil.StartServer(t, nil)
	startDevice(t, ns.URL(), "pi1")
	o := testOpts()
	o.MaxStreams = 1
	_, base := startFleet(t, ns.URL(), o)

	events(t, base)
	resp, err := http.Get(base + "/fleet/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("second stream with MaxStreams 1: %s, want 503", resp.Status)
	}
	code, body := post(t, base, "/fleet/text", url.Values{"to": {"pi1"}, "text": {strings.Repeat("x", 5000)}}, base)
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("5000-byte text: %d %s, want 413", code, body)
	}

	// Flat and face up, the accelerometer reads (0, 0, 1) g (design.md,
	// as python-sense-hat reports a board lying on a table).
	testutil.WaitFor(t, 10*time.Second, "motion.accel_g.z plotted", func() bool {
		var s map[string][]fleet.Sample
		getJSON(t, base+"/fleet/series?q=motion.accel_g.z", &s)
		ss := s["pi1"]
		return len(ss) > 0 && math.Abs(ss[len(ss)-1].V-1) < 0.05
	})
	var qs []string
	getJSON(t, base+"/fleet/quantities", &qs)
	for _, want := range []string{"env.temperature_c", "env.humidity_pct", "env.pressure_hpa", "motion.accel_g.x", "motion.roll_deg"} {
		found := false
		for _, q := range qs {
			found = found || q == want
		}
		if !found {
			t.Errorf("quantities %v lack %s", qs, want)
		}
	}
}
