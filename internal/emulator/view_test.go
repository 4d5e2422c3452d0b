package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/lps25h"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// newView is a view of hat with opts (nil: DefaultOpts); its board is
// closed when the test ends.
func newView(t *testing.T, hat *sim.HAT, opts *Opts) *View {
	t.Helper()
	b, err := NewBoard(hat)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	v, err := New(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// newTestView serves a view of a fresh simulated HAT.
func newTestView(t *testing.T) (*sim.HAT, *View, *httptest.Server) {
	t.Helper()
	hat := sim.NewHAT()
	v := newView(t, hat, nil)
	srv := httptest.NewServer(v)
	t.Cleanup(func() {
		v.Close()
		srv.Close()
	})
	return hat, v, srv
}

type sseEv struct{ name, data string }

// getEvents asks srv for /events with ctx, whose cancel ends the request.
func getEvents(t *testing.T, ctx context.Context, cancel context.CancelFunc, srv *httptest.Server) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/events", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return resp
}

// openEvents connects to /events and returns the events as they arrive.
func openEvents(t *testing.T, srv *httptest.Server) <-chan sseEv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	resp := getEvents(t, ctx, cancel, srv)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	out := make(chan sseEv, 64)
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
	})
	go func() {
		defer close(done)
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEv
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			case line == "" && ev.name != "":
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
				ev = sseEv{}
			}
		}
	}()
	return out
}

func nextEvent(t *testing.T, evs <-chan sseEv, name string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatalf("stream ended before a %q event", name)
			}
			if ev.name == name {
				return ev.data
			}
		case <-timeout:
			t.Fatalf("no %q event in 10s", name)
		}
	}
}

func TestEventsSendFrameAfterATtinyChanges(t *testing.T) {
	testutil.CheckLeaks(t)
	hat, _, srv := newTestView(t)
	evs := openEvents(t, srv)

	if got, want := nextEvent(t, evs, "frame"), strings.Repeat("00", 192); got != want {
		t.Fatalf("first frame %q, want all dark", got)
	}
	if got := nextEvent(t, evs, "conditions"); !strings.Contains(got, `"temperature_c":21.5`) {
		t.Errorf("conditions event %s, want the HAT's 21.5 °C", got)
	}

	// What the driver would write: register 0x00 onwards. Red of (0,0)
	// at full duty, blue of (7,0) at 0x10; a 0xFF is masked to 5 bits.
	w := make([]byte, 1+192)
	w[1+0] = 31
	w[1+16+7] = 0x10
	w[1+24+8+1] = 0xFF // green of (1,1)
	if err := hat.Bus.Tx(sim.ATtinyAddr, w, nil); err != nil {
		t.Fatal(err)
	}
	want := []byte(strings.Repeat("00", 192))
	copy(want[0:], "1f")
	copy(want[2*(16+7):], "10")
	copy(want[2*(24+8+1):], "1f")
	if got := nextEvent(t, evs, "frame"); got != string(want) {
		t.Errorf("frame after write:\n got %s\nwant %s", got, want)
	}
}

func TestEventsCarryHistoryAndMessages(t *testing.T) {
	testutil.CheckLeaks(t)
	_, v, srv := newTestView(t)
	at := time.Date(2025, 1, 2, 15, 4, 5, 6e6, time.UTC)
	v.Record("sensehat.emu.led.text", []byte("hello"), at)
	v.Record("sensehat.emu.sensors.env", []byte(`{"temperature_c":21.5}`), at) // not kept
	evs := openEvents(t, srv)
	if got, want := nextEvent(t, evs, "msg"), `{"time":"15:04:05.006","subject":"sensehat.emu.led.text","dir":"in","data":"hello","size":5}`; got != want {
		t.Errorf("history:\n got %s\nwant %s", got, want)
	}
	v.Record("sensehat.emu.joystick.up", []byte(`{"key":"up"}`), at)
	if got, want := nextEvent(t, evs, "msg"), `{"time":"15:04:05.006","subject":"sensehat.emu.joystick.up","dir":"out","data":"{\"key\":\"up\"}","size":12}`; got != want {
		t.Errorf("live:\n got %s\nwant %s", got, want)
	}
	v.Record("sensehat.emu.led.pixels", []byte{0xff, 0xfe, 0x00}, at)
	if got := nextEvent(t, evs, "msg"); !strings.Contains(got, `"data":"(3 bytes of binary)"`) {
		t.Errorf("binary payload shown as %s", got)
	}
}

// postForm posts form as the page does: Chromium sends Origin (the page's
// own) and Sec-Fetch-Site: same-origin with a same-origin fetch POST, as
// TestBrowser shows by getting its clicks through.
func postForm(t *testing.T, srv *httptest.Server, path string, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	req.Header.Set("Origin", srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestJoystickPostPressesSimulatedKey(t *testing.T) {
	hat, _, srv := newTestView(t)
	// Register 0xF2 bits, as the ATtiny firmware has them.
	tests := []struct {
		key, action string
		code        int
		keys        byte
	}{
		{"up", "press", 204, 1 << 2},
		{"left", "press", 204, 1<<2 | 1<<4},
		{"up", "release", 204, 1 << 4},
		{"left", "release", 204, 0},
		{"middle", "press", 204, 1 << 3},
		{"middle", "release", 204, 0},
		{"down", "press", 204, 1 << 0},
		{"right", "press", 204, 1<<0 | 1<<1},
		{"sideways", "press", 400, 1<<0 | 1<<1},
		{"down", "wiggle", 400, 1<<0 | 1<<1},
	}
	for _, tc := range tests {
		resp := postForm(t, srv, "/api/joystick", url.Values{"key": {tc.key}, "action": {tc.action}})
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s: status %d, want %d", tc.action, tc.key, resp.StatusCode, tc.code)
		}
		if got := hat.ATtiny.Keys(); got != tc.keys {
			t.Errorf("%s %s: register 0xF2 = %#02x, want %#02x", tc.action, tc.key, got, tc.keys)
		}
	}
	if hat.ATtiny.Interrupt().Read() != true {
		t.Error("interrupt line low after key changes nobody read")
	}
}

func TestConditionsPostFeedsChips(t *testing.T) {
	hat, _, srv := newTestView(t)
	resp := postForm(t, srv, "/api/conditions", url.Values{"temperature_c": {"30"}, "pressure_hpa": {"980.5"}})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var c Conditions
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := DefaultConditions // the light stays as it was
	want.TemperatureC, want.PressureHPa = 30, 980.5
	if c != want {
		t.Errorf("reply %+v, want %+v", c, want)
	}

	// Read back through the real drivers, as the daemon does.
	hopts := hts221.DefaultOpts
	hopts.SkipKernelCheck = true // a simulated bus has no kernel
	hr := testutil.SenseOnce[hts221.Reading](t, func() (*hts221.Dev, error) { return hts221.New(hat.Bus, &hopts) })
	if math.Abs(hr.TemperatureC-30) > 0.05 || math.Abs(hr.HumidityPct-45) > 0.1 {
		t.Errorf("HTS221 reads %.2f °C %.2f %%, want 30 °C 45 %%", hr.TemperatureC, hr.HumidityPct)
	}
	popts := lps25h.DefaultOpts
	popts.SkipKernelCheck = true
	pr := testutil.SenseOnce[lps25h.Reading](t, func() (*lps25h.Dev, error) { return lps25h.New(hat.Bus, &popts) })
	if math.Abs(pr.PressureHPa-980.5) > 0.01 || math.Abs(pr.TemperatureC-30) > 0.05 {
		t.Errorf("LPS25H reads %.3f hPa %.2f °C, want 980.5 hPa 30 °C", pr.PressureHPa, pr.TemperatureC)
	}

	bad := []struct {
		name string
		form url.Values
		want string
	}{
		{"out of range", url.Values{"humidity_pct": {"101"}}, "humidity_pct 101 out of range [0, 100]"},
		{"not a number", url.Values{"roll_deg": {"left"}}, `roll_deg "left" is not a number`},
		{"unknown", url.Values{"altitude": {"3"}}, `unknown condition "altitude"`},
		{"NaN", url.Values{"yaw_deg": {"NaN"}}, "yaw_deg NaN out of range"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			resp := postForm(t, srv, "/api/conditions", tc.form)
			var e struct{ Error string }
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != 400 || !strings.Contains(e.Error, tc.want) {
				t.Errorf("status %d error %q, want 400 containing %q", resp.StatusCode, e.Error, tc.want)
			}
		})
	}
	// None of the refused posts changed anything.
	resp = postForm(t, srv, "/api/conditions", nil)
	var after Conditions
	_ = json.NewDecoder(resp.Body).Decode(&after)
	if after != c {
		t.Errorf("conditions after refused posts %+v, want %+v", after, c)
	}
}

func TestPageIsEmbedded(t *testing.T) {
	_, _, srv := newTestView(t)
	for path, want := range map[string]string{
		"/":          `<div id="matrix"`,
		"/app.js":    "new EventSource(",
		"/style.css": ".led.on",
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		_, _ = bufio.NewReader(resp.Body).WriteTo(&sb)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(sb.String(), want) {
			t.Errorf("GET %s: status %d, body without %q", path, resp.StatusCode, want)
		}
	}
}

func TestCloseEndsStreams(t *testing.T) {
	testutil.CheckLeaks(t)
	_, v, srv := newTestView(t)
	evs := openEvents(t, srv)
	nextEvent(t, evs, "frame")
	v.Close()
	for range evs {
	}
}
