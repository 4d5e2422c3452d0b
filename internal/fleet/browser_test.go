package fleet_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/headless"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
)

// The fleet page in Chromium against three daemons on simulated HATs and a
// real nats-server: every card appears with its matrix mirrored; text sent
// from the page to one device lights its mirror only; a humidity changed on
// one board moves its plot; "day" on the span selector draws the day read
// from the readings' JetStream stream; a stopped device is marked gone
// within 3 discovery rounds (300 ms each here; 15 s with the default 5 s
// rounds).
func TestBrowserFleet(t *testing.T) {
	testutil.CheckLeaks(t)
	ctx := headless.Browser(t)
	ns := testutil.StartServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir()})
	readingsStream(t, ns.URL())
	devs := map[string]*simdaemon.Device{}
	for _, id := range []string{"pi1", "pi2", "pi3"} {
		devs[id] = startDevice(t, ns.URL(), id)
	}
	o := testOpts()
	o.HistoryStream = "READINGS"
	_, base := startFleet(t, ns.URL(), o)

	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	headless.Eventually(t, ctx, 20*time.Second, "three cards", `document.querySelectorAll("#devices .device").length === 3`)
	headless.Eventually(t, ctx, 20*time.Second, "a mirrored frame on each card",
		`["pi1","pi2","pi3"].every(id => window.fleet.frames(id) >= 1)`)
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("sim").hidden`)); err != nil || !hidden {
		t.Errorf("simulation panel shown on the fleet page (hidden=%v, %v)", hidden, err)
	}

	// Text to pi2, typed and sent from the page.
	headless.Eventually(t, ctx, 10*time.Second, "pi2 in the target list", `Array.from(document.getElementById("target").options).some(o => o.value === "pi2")`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		document.getElementById("target").value = "pi2";
		document.getElementById("text").value = "A";
		document.getElementById("send").click();
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	headless.Eventually(t, ctx, 20*time.Second, "pi2's mirror lit", `window.fleet.lit("pi2") > 0`)
	headless.Eventually(t, ctx, 20*time.Second, "pi2's reply shown", `!!document.querySelector('#replies li[data-from="pi2"][data-result="ok"]')`)
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.fleet.lit("pi1") === 0 && window.fleet.lit("pi3") === 0`)); err != nil || !ok {
		t.Errorf("pi1 or pi3 lit after a text to pi2 only (%v)", err)
	}
	if txt, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#replies li[data-from="pi2"]').textContent`)); err != nil || !strings.Contains(txt, "displayed") {
		t.Errorf("reply shown as %q (%v), want it to say displayed", txt, err)
	}

	// Humidity: the simulated HTS221 of pi3 reports 77 %rH from now on.
	headless.Eventually(t, ctx, 20*time.Second, "humidity plotted", `window.fleet.plot("env.humidity_pct")`)
	headless.Eventually(t, ctx, 20*time.Second, "a humidity line per device",
		`["pi1","pi2","pi3"].every(id => window.fleet.plotLast(id) !== null)`)
	devs["pi3"].HAT.HTS221.Set(21.5, 77)
	headless.Eventually(t, ctx, 20*time.Second, "pi3's line at 77",
		`Math.abs(Number(document.querySelector('#plot polyline[data-id="pi3"]').dataset.last) - 77) < 1`)
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Math.abs(window.fleet.plotLast("pi1") - 45) < 1 && Math.abs(window.fleet.plotLast("pi2") - 45) < 1`)); err != nil || !ok {
		t.Errorf("pi1 or pi2's humidity line moved with pi3's (%v)", err)
	}

	// The day, from the stream: clicking the selector fetches span=day and
	// redraws, with pi3's line at 77 in its newest slice.
	if err := chromedp.Do(ctx, chromedp.Click(`#span input[value="day"] + span`)); err != nil {
		t.Fatal(err)
	}
	headless.Eventually(t, ctx, 20*time.Second, "the day drawn from the stream",
		`window.fleet.plotSpan() === "day" && window.fleet.plotSource() === "stream" && document.getElementById("plot-span").textContent === "last day"`)
	headless.Eventually(t, ctx, 20*time.Second, "pi3's day line",
		`!!document.querySelector('#plot polyline[data-id="pi3"]') && window.fleet.plotLast("pi3") !== null`)
	if err := chromedp.Do(ctx, chromedp.Click(`#span input[value="hour"] + span`)); err != nil {
		t.Fatal(err)
	}
	headless.Eventually(t, ctx, 20*time.Second, "back to the hour from memory", `window.fleet.plotSpan() === "hour" && window.fleet.plotSource() === "memory"`)

	// pi1 stops.
	devs["pi1"].Stop()
	stopped := time.Now()
	headless.Eventually(t, ctx, 10*time.Second, "pi1 marked gone", `window.fleet.state("pi1") === "gone"`)
	t.Logf("pi1 marked gone on the page %v after it stopped", time.Since(stopped).Round(100*time.Millisecond))
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.fleet.state("pi2") !== "gone" && window.fleet.state("pi3") !== "gone"`)); err != nil || !ok {
		t.Errorf("pi2 or pi3 marked gone (%v)", err)
	}

	// Screenshots: desktop, then a 390 px phone.
	headless.Screenshots(t, ctx, "fleet")
	if shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const r = document.getElementById("span").getBoundingClientRect(); return r.width > 0 && r.right <= window.innerWidth; })()`)); err != nil || !shown {
		t.Errorf("span selector not shown whole on a 390 px phone (%v)", err)
	}
}

// readingsStream keeps every reading in a JetStream stream READINGS, as
// store and forward does.
func readingsStream(t *testing.T, url string) {
	t.Helper()
	readingsJS(t, url, 10*time.Second)
}
