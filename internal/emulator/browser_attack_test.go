package emulator

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/headless"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// seen is one request as the page's server received it.
type seen struct {
	method, path, host, origin, site string
	status                           int
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recordingView serves a view of hat and records every request with the
// headers the browser sent and the status it got.
func recordingView(t *testing.T, hat *sim.HAT) (*httptest.Server, func() []seen) {
	t.Helper()
	v := newView(t, hat, nil)
	var mu sync.Mutex
	var log []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: 200}
		v.ServeHTTP(sw, r)
		mu.Lock()
		log = append(log, seen{r.Method, r.URL.Path, r.Host, r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"), sw.code})
		mu.Unlock()
	}))
	t.Cleanup(func() { v.Close(); srv.Close() })
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), log...)
	}
}

// TestBrowserAttacks lets real Chromium attack the page: a page on another
// site posting to it, and the same page after DNS rebinding. The names
// resolve to 127.0.0.1 through Chromium's own --host-resolver-rules, so
// the headers are exactly those Chromium sends.
func TestBrowserAttacks(t *testing.T) {
	testutil.CheckLeaks(t)
	ctx := headless.Browser(t,
		chromedp.Flag("host-resolver-rules", "MAP evil.test 127.0.0.1, MAP rebind.test 127.0.0.1"),
		chromedp.Flag("disable-features", "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable"),
	)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	hat := sim.NewHAT()
	srv, requests := recordingView(t, hat)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	// The attacker's site: on load it posts a press in the three ways a
	// page can without a CORS preflight.
	target := "http://127.0.0.1:" + port + "/api/joystick"
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><body><script>
window.done = Promise.all([
  fetch(%[1]q, {method: "POST", mode: "no-cors", body: new URLSearchParams({key: "up", action: "press"})}),
  fetch(%[1]q, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: "key=left&action=press"}),
]).then(() => true, () => true);
</script>
<form id="f" method="POST" action=%[1]q target="sink"><input name="key" value="down"><input name="action" value="press"></form>
<iframe name="sink"></iframe>
<script>document.getElementById("f").submit();</script></body>`, target)
	}))
	defer evil.Close()
	_, evilPort, _ := net.SplitHostPort(evil.Listener.Addr().String())

	t.Run("cross-site page posts", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate("http://evil.test:"+evilPort+"/")); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.done`, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatal(err)
		}
		waitPosts(t, requests, 3)
		t.Logf("requests as Chromium sent them: %+v", requests())
		for _, r := range requests() {
			if r.method != "POST" {
				continue
			}
			if r.status != 403 || r.origin != "http://evil.test:"+evilPort || r.site != "cross-site" {
				t.Errorf("%+v: want 403 for Origin http://evil.test:%s, Sec-Fetch-Site cross-site", r, evilPort)
			}
		}
		if k := hat.ATtiny.Keys(); k != 0 {
			t.Errorf("keys %#02x pressed by another site", k)
		}
	})

	t.Run("DNS rebinding", func(t *testing.T) {
		page := "http://rebind.test:" + port + "/"
		if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
			t.Fatal(err)
		}
		body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, "DNS rebinding") {
			t.Errorf("page at %s shows %q, want the refusal", page, body)
		}
		// Same-origin now, as far as the browser knows.
		status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("/api/joystick", {method: "POST", body: new URLSearchParams({key: "middle", action: "press"})}).then(r => r.status)`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if status != 403 {
			t.Errorf("rebound same-origin POST: status %d, want 403", status)
		}
		for _, r := range requests() {
			if r.host == "rebind.test:"+port && r.status != 403 {
				t.Errorf("%+v: want 403 for the rebound name", r)
			}
		}
		if k := hat.ATtiny.Keys(); k != 0 {
			t.Errorf("keys %#02x pressed after rebinding", k)
		}
	})
}

// waitPosts waits until the server has answered n POSTs.
func waitPosts(t *testing.T, requests func() []seen, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := 0
		for _, r := range requests() {
			if r.method == "POST" {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d POSTs reached the server in 20s: %+v", got, n, requests())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
