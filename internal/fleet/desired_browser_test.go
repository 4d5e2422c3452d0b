package fleet_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/headless"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
)

// In Chromium, the desired-state card marks the device that differs and
// edits a key with the revision it shows.
func TestDesiredStateCardInTheBrowser(t *testing.T) {
	ctx := headless.Browser(t)
	o := testutil.DefaultOptions()
	o.JetStream, o.StoreDir = true, t.TempDir()
	srv := testutil.StartServer(t, o)
	_, base := startFleet(t, srv.URL(), testOpts())
	if code, b := post(t, base, "/fleet/desired", url.Values{"key": {"pi2"}, "revision": {"0"}, "set": {"env_interval=2s"}}, base); code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	simdaemon.StartOn(t, srv.URL(), "pi1")
	simdaemon.StartOn(t, srv.URL(), "pi2")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	headless.Eventually(t, ctx, 20*time.Second, "pi2 marked, pi1 not",
		`document.querySelector('#desired-body tr.differs[data-id="pi2"]') !== null &&
		 document.querySelector('#desired-body tr[data-id="pi1"]:not(.differs)') !== null &&
		 document.querySelector('#desired-body tr[data-id="pi2"] td.bad').textContent.includes("applies at the next start")`)
	headless.Eventually(t, ctx, 5*time.Second, "pi1 in the key list", `[...document.querySelectorAll('#desired-key option')].some(o => o.value === "pi1")`)
	// As a person would: pick the key and the setting, type, press Set.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		document.getElementById("desired-key").value = "pi1";
		document.getElementById("desired-setting").value = "rotation";
		document.getElementById("desired-value").value = "90";
		return true; })()`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click("#desired-set")); err != nil {
		t.Fatal(err)
	}
	headless.Eventually(t, ctx, 10*time.Second, "the edit written", `document.getElementById("desired-reply").textContent.startsWith("pi1 now at revision")`)
	headless.Eventually(t, ctx, 20*time.Second, "pi1 runs it", `(() => { const r = document.querySelector('#desired-body tr[data-id="pi1"]');
		return r !== null && !r.classList.contains("differs") && r.children[3].textContent.includes("rotation=90"); })()`)
}
