package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/headless"
	"github.com/sensehat/sensehat/internal/wire"
)

func TestBrowser(t *testing.T) {
	testutil.CheckLeaks(t)
	ctx := headless.Browser(t)
	e, ns := startEmulator(t, 200*time.Millisecond)

	nc := testutil.Connect(t, ns.URL())
	joy := make(chan *nats.Msg, 16)
	env := make(chan *nats.Msg, 64)
	col := make(chan *nats.Msg, 64)
	for subj, ch := range map[string]chan *nats.Msg{"sensehat.emu.joystick.up": joy, "sensehat.emu.sensors.env": env, "sensehat.emu.sensors.colour": col} {
		if _, err := nc.ChanSubscribe(subj, ch); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.PageURL()),
		chromedp.WaitVisible(chromedp.CSS("#matrix .led")),
	); err != nil {
		t.Fatal(err)
	}
	headless.Eventually(t, ctx, 20*time.Second, "first frame", `Number(document.getElementById("matrix").dataset.frames) >= 1`)
	if lit, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.sensehat.lit()`)); err != nil || lit != 0 {
		t.Fatalf("lit at start %d (%v), want a dark matrix", lit, err)
	}

	t.Run("text lights the matrix", func(t *testing.T) {
		if err := nc.Publish("sensehat.emu.led.text", []byte(`{"text":"Hi","speed":50,"color":"red"}`)); err != nil {
			t.Fatal(err)
		}
		headless.Eventually(t, ctx, 20*time.Second, "lit cells after text", `Number(document.getElementById("matrix").dataset.lit) > 0`)
		// Red text: every lit LED has a red duty and nothing else.
		onlyRed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
				const [r, g, b] = window.sensehat.pixel(x, y);
				if ((g || b) || (r && r < 8)) return false;
			}
			return true; })()`))
		if err != nil || !onlyRed {
			t.Errorf("text colours on the page not pure red (%v)", err)
		}
	})

	t.Run("joystick click publishes", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-key="up"]`))); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-joy:
			var ev struct{ Key, Action string }
			if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Key != "up" || ev.Action != "pressed" {
				t.Errorf("first joystick message %s (%v), want up pressed", m.Data, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no sensehat.emu.joystick.up in 20s")
		}
		// The page holds a click for a moment, then lets go.
		deadline := time.After(20 * time.Second)
		for released := false; !released; {
			select {
			case m := <-joy:
				released = strings.Contains(string(m.Data), `"released"`)
			case <-deadline:
				t.Fatal("no release of up in 20s")
			}
		}
	})

	t.Run("temperature slider feeds readings", func(t *testing.T) {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			const s = document.getElementById("temperature_c");
			s.value = "30";
			s.dispatchEvent(new Event("input", {bubbles: true}));
			s.dispatchEvent(new Event("change", {bubbles: true}));
			return true; })()`)); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(20 * time.Second)
		for {
			select {
			case m := <-env:
				var r struct {
					TemperatureC *float64 `json:"temperature_c"`
				}
				if err := json.Unmarshal(m.Data, &r); err != nil {
					t.Fatalf("env reading %s: %v", m.Data, err)
				}
				if r.TemperatureC != nil && math.Abs(*r.TemperatureC-30) < 0.1 {
					return
				}
			case <-deadline:
				t.Fatal("no env reading near 30 °C in 20s")
			}
		}
	})

	t.Run("readings panel names quantities as the contract does", func(t *testing.T) {
		// Every quantity of the simulated board's env and motion readings,
		// under wire's one name (motion.accel_g.x for the vector's x).
		var want []string
		for _, k := range []string{wire.KindEnv, wire.KindMotion} {
			for _, q := range wire.Quantities(k) {
				if !q.Optional || q.Field == wire.FieldHumidityPct || q.Field == wire.FieldPressureHPa {
					want = append(want, q.Name)
				}
			}
		}
		wantJSON, _ := json.Marshal(want)
		js := `(() => {
			const names = new Set(Array.from(document.querySelectorAll("#readings dt")).map((d) => d.textContent));
			return JSON.stringify(` + string(wantJSON) + `.filter((n) => !names.has(n))); })()`
		deadline := time.Now().Add(20 * time.Second)
		for {
			missing, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
			if err != nil {
				t.Fatal(err)
			}
			if missing == "[]" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("readings panel lacks %s", missing)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("colour control feeds sensors.colour", func(t *testing.T) {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			const c = document.getElementById("light_colour"), l = document.getElementById("light_level");
			c.value = "#ff8000";
			l.value = "300";
			for (const el of [c, l]) el.dispatchEvent(new Event("input", {bubbles: true}));
			return true; })()`)); err != nil {
			t.Fatal(err)
		}
		// Red 300, green 300 × 128/255 → 151 counts at gain 1, one cycle;
		// python-sense-hat's colour is raw // 4.
		want := `"red":75,"green":37,"blue":0,"clear":112,"red_raw":300,"green_raw":151,"blue_raw":0,"clear_raw":451,`
		deadline := time.After(20 * time.Second)
		for {
			select {
			case m := <-col:
				if strings.Contains(string(m.Data), want) {
					return
				}
			case <-deadline:
				t.Fatalf("no sensors.colour reading with %s in 20s", want)
			}
		}
	})

	// A colourful still frame for the screenshots: hue across, brightness
	// down, so the glow and the gamma can be judged.
	var cols []string
	for y := range 8 {
		for x := range 8 {
			r, g, b := hueRGB(float64(x)/8, 1-float64(y)/9)
			cols = append(cols, fmt.Sprintf("[%d,%d,%d]", r, g, b))
		}
	}
	if err := nc.Publish("sensehat.emu.led.pixels", []byte("["+strings.Join(cols, ",")+"]")); err != nil {
		t.Fatal(err)
	}
	headless.Eventually(t, ctx, 20*time.Second, "all 64 lit", `window.sensehat.lit() === 64`)

	if err := chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond)); err != nil { // let the readings table fill
		t.Fatal(err)
	}
	headless.Screenshots(t, ctx, "emulator")
}

// hueRGB is a fully saturated colour of hue h (0..1) at value v.
func hueRGB(h, v float64) (r, g, b int) {
	f := func(n float64) int {
		k := math.Mod(n+h*6, 6)
		return int(math.Round(255 * v * (1 - math.Max(0, math.Min(1, math.Min(k, 4-k))))))
	}
	return f(5), f(3), f(1)
}
