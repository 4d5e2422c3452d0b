package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/tcs34xx"
)

func TestLightPostFeedsColourSensor(t *testing.T) {
	hat, _, srv := newTestView(t)
	resp := postForm(t, srv, "/api/conditions", url.Values{
		"light_red": {"200"}, "light_green": {"100"}, "light_blue": {"50.4"}, "light_clear": {"350.4"},
	})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var c Conditions
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.LightRed != 200 || c.LightGreen != 100 || c.LightBlue != 50.4 || c.LightClear != 350.4 || c.TemperatureC != 21.5 {
		t.Fatalf("reply %+v", c)
	}

	// Read back through the real driver, as the daemon does: gain 1, one
	// cycle counts what one cycle gathers, rounded; python-sense-hat's
	// colour is raw // ceil(1024 / 256) = raw // 4.
	opts := tcs34xx.DefaultOpts
	opts.SkipKernelCheck = true // a simulated bus has no kernel
	r := testutil.SenseOnce[tcs34xx.Reading](t, func() (*tcs34xx.Dev, error) { return tcs34xx.New(hat.Bus, &opts) })
	if r.Red != 200 || r.Green != 100 || r.Blue != 50 || r.Clear != 350 {
		t.Errorf("sensor reads %+v, want 200 100 50 350", r)
	}
	if red, green, blue, clear := r.Colour(); red != 50 || green != 25 || blue != 12 || clear != 87 {
		t.Errorf("colour %d %d %d %d, want 50 25 12 87", red, green, blue, clear)
	}

	for _, tc := range []struct{ form url.Values }{
		{url.Values{"light_red": {"-1"}}},
		{url.Values{"light_clear": {"1025"}}},
	} {
		resp := postForm(t, srv, "/api/conditions", tc.form)
		var e struct{ Error string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != 400 || !strings.Contains(e.Error, "out of range [0, 1024]") {
			t.Errorf("%v: status %d, error %q", tc.form, resp.StatusCode, e.Error)
		}
	}
	resp = postForm(t, srv, "/api/conditions", url.Values{"colour": {"red"}})
	var e struct{ Error string }
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if !strings.Contains(e.Error, "known: temperature_c, humidity_pct, pressure_hpa, roll_deg, pitch_deg, yaw_deg, light_red, light_green, light_blue, light_clear") {
		t.Errorf("unknown condition error %q does not list the light", e.Error)
	}
}

func TestPageHasColourControl(t *testing.T) {
	_, _, srv := newTestView(t)
	for path, want := range map[string][]string{
		"/":       {`id="light_colour"`, `type="color"`, `id="light_level"`},
		"/app.js": {`"api/conditions", lightFields()`, "light_clear"},
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
	}
}

// TestColourControlChangesPublishedReading drives the whole chain: the
// page's request sets the light, the daemon's driver reads the simulated
// chip, and sensors.colour carries the new values.
func TestColourControlChangesPublishedReading(t *testing.T) {
	testutil.CheckLeaks(t)
	e, ns := startEmulator(t, time.Second)
	nc := testutil.Connect(t, ns.URL())
	sub := testutil.SubscribeSync(t, nc, "sensehat.emu.sensors.colour")
	// What the page sends for colour #ff8000 at brightness 300 (app.js
	// lightFields): red 300, green 300 × 128 / 255 = 150.59, blue 0, clear
	// the sum.
	form := url.Values{
		"light_red": {"300"}, "light_green": {"150.59"}, "light_blue": {"0"}, "light_clear": {"450.59"},
	}
	req, err := http.NewRequest("POST", e.PageURL()+"api/conditions", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	// As the page's own fetch sends it (see postForm): the web guard
	// refuses a form post without its page's Origin.
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	req.Header.Set("Origin", strings.TrimSuffix(e.PageURL(), "/"))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// Defaults gain 1, one cycle: raw = round(light), colour = raw // 4.
	want := `"red":75,"green":37,"blue":0,"clear":112,"red_raw":300,"green_raw":151,"blue_raw":0,"clear_raw":451,"gain":1,"integration_cycles":1,`
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatal("no sensors.colour reading:", err)
		}
		if strings.Contains(string(m.Data), want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("last reading %s, want it to contain %s", m.Data, want)
		}
	}
}
