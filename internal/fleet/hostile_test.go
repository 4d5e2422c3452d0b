package fleet_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/sensehat/sensehat/internal/fleet"
	"github.com/sensehat/sensehat/internal/testutil"
)

// fakeDevice answers discovery as a device id does (the micro service
// "sensehat" with metadata id and endpoints under sensehat.<id>), and
// answers its status, led.text, led.clear and the fan-out sensehat.all.led.text
// with reply (nil: never answers). It returns its connection, to publish
// readings.
func fakeDevice(t *testing.T, natsURL, id string, metadata map[string]string, reply func(subject string) []byte) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	md := map[string]string{"id": id}
	for k, v := range metadata {
		md[k] = v
	}
	svc, err := micro.AddService(nc, micro.Config{Name: "sensehat", Version: "0.0.1", Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	h := micro.HandlerFunc(func(r micro.Request) {
		if reply == nil {
			return // never answers
		}
		_ = r.Respond(reply(r.Subject()))
	})
	for name, subj := range map[string]string{
		"status": "sensehat." + id + ".status", "text": "sensehat." + id + ".led.text",
		"clear": "sensehat." + id + ".led.clear", "alltext": "sensehat.all.led.text",
	} {
		// No queue group: every device gets sensehat.all.led.text, as the
		// daemon's own subscription does.
		if err := svc.AddEndpoint(name, h, micro.WithEndpointSubject(subj), micro.WithEndpointQueueGroupDisabled()); err != nil {
			t.Fatalf("endpoint %s of %q: %v", subj, id, err)
		}
	}
	return nc
}

// One page against a hostile fleet on a real server: a device that
// publishes 1,000 kinds of 100 KB readings, readings with numbers no
// sensor gives, a 200 KB status and 100 KB of metadata; one that answers
// discovery and nothing else; one whose id holds bidi and control
// characters; readings of 300 ids never discovered. The page's memory
// stays within its bounds, "send to all" answers within its deadline
// with the real device's reply first, and ids are shown escaped.
func TestHostileFleet(t *testing.T) {
	testutil.CheckLeaks(t)
	ns := testutil.StartServer(t, nil)
	startDevice(t, ns.URL(), "pi1")
	bigMeta := map[string]string{}
	for i := range 100 {
		bigMeta[fmt.Sprintf("k%03d", i)] = strings.Repeat("m", 1000)
	}
	huge := []byte(`{"id":"evil","pad":"` + strings.Repeat("x", 200_000) + `"}`)
	evil := fakeDevice(t, ns.URL(), "evil", bigMeta, func(string) []byte { return huge })
	fakeDevice(t, ns.URL(), "mute", nil, nil)
	const bidi = "pi\u202Egpj\u0007"
	bidiReply, _ := json.Marshal(map[string]any{"displayed": true, "id": bidi})
	fakeDevice(t, ns.URL(), bidi, nil, func(string) []byte { return bidiReply })

	// Rounds long enough that a loaded machine marks nobody gone: what is
	// timed here is the replies.
	o := testOpts()
	o.Every, o.Wait, o.GoneAfter = time.Second, 500*time.Millisecond, 10
	o.ReplyWait = 4 * time.Second
	srv, base := startFleet(t, ns.URL(), o)
	testutil.WaitFor(t, 10*time.Second, "four cards", func() bool { return len(cards(t, base)) == 4 })
	testutil.WaitFor(t, 10*time.Second, "pi1's env reading on its card", func() bool { return cards(t, base)["pi1"].Readings["env"] != nil })

	// The flood: 1,000 kinds of 100 KB, then the contract's kinds with a
	// 100 KB field outside the contract and numbers no chip gives, and
	// readings of ids nobody discovered.
	pad := strings.Repeat("p", 100_000)
	for i := range 1000 {
		if err := evil.Publish(fmt.Sprintf("sensehat.evil.sensors.k%d", i), []byte(`{"v":1,"pad":"`+pad+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	absurd := map[string]string{
		"sensehat.evil.sensors.env":    `{"temperature_c":1.7e308,"pressure_hpa":-1.7e308,"humidity_pct":50,"pad":"` + pad + `"}`,
		"sensehat.evil.sensors.motion": `{"accel_g":[1e300,0,1],"gyro_dps":[0,0,0],"roll_deg":1e9,"pitch_deg":0}`,
		"sensehat.evil.joystick.up":    `{"key":"` + pad + `","action":"pressed"}`,
	}
	for range 20 {
		for subj, body := range absurd {
			if err := evil.Publish(subj, []byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(120 * time.Millisecond) // readings keep coming, as a device's do
	}
	for i := range 300 {
		if err := evil.Publish(fmt.Sprintf("sensehat.ghost%d.sensors.env", i), []byte(`{"humidity_pct":40}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := evil.Flush(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "evil's absurd temperature dropped", func() bool {
		return srv.Limits().Dropped > 0 && strings.Contains(string(cards(t, base)["evil"].Readings["env"]), `"dropped"`)
	})

	// What the page holds: four cards, each bounded.
	resp, err := http.Get(base + "/fleet/devices")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lim := srv.Limits()
	// A card is at most its status, metadata and readings of the
	// contract's quantities (a few hundred bytes a kind).
	cardMax := lim.MaxStatusBytes + lim.MaxMetadataBytes + 4096
	t.Logf("/fleet/devices: %d bytes for %d cards; rings %d bytes; %d values dropped", len(body), lim.Devices, lim.RingBytes, lim.Dropped)
	if len(body) > 4*cardMax {
		t.Errorf("/fleet/devices is %d bytes, want at most %d (4 cards of %d)", len(body), 4*cardMax, cardMax)
	}
	var list []struct {
		ID, Label, Note, StatusErr string
		StatusError                string `json:"status_error"`
		Metadata                   map[string]string
		Readings                   map[string]struct {
			Values  map[string]float64
			Words   map[string]string
			Dropped map[string]string
		}
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		switch c.ID {
		case "evil":
			if len(c.Readings) > 4 {
				t.Errorf("evil's card keeps %d kinds, want the contract's at most", len(c.Readings))
			}
			env := c.Readings["env"]
			if env.Values["humidity_pct"] != 50 || env.Dropped["temperature_c"] != "1.7e308" || env.Dropped["pressure_hpa"] != "-1.7e308" {
				t.Errorf("evil's env %+v, want humidity 50 and the absurd temperature and pressure shown dropped", env)
			}
			if _, ok := env.Values["temperature_c"]; ok {
				t.Errorf("evil's absurd temperature kept as a value: %+v", env)
			}
			if js := c.Readings["joystick"]; len(js.Words) != 1 || js.Words["action"] != "pressed" {
				t.Errorf("evil's joystick %+v, want its action only: a 100 KB key is no key; devices %s", js, body)
			}
			if len(c.Metadata) > 16 || !strings.Contains(c.Note, "left out") {
				t.Errorf("evil's metadata: %d entries, note %q; want at most 16 and a note", len(c.Metadata), c.Note)
			}
			if !strings.Contains(c.StatusError, "more than") {
				t.Errorf("evil's 200 KB status: error %q, want it refused", c.StatusError)
			}
		case bidi:
			// Escaped as \u{XXXX}: the Unicode code points of RIGHT-TO-LEFT
			// OVERRIDE (U+202E) and BELL (U+0007).
			if want := `pi\u{202E}gpj\u{0007}`; c.Label != want {
				t.Errorf("label of the bidi id %q, want %q", c.Label, want)
			}
		}
	}
	// Rings: the discovered devices' quantities only, none for the ghosts
	// nor for a value out of range.
	if max := lim.Devices * lim.DeviceRingBytes; lim.RingBytes > max || lim.RingBytes == 0 {
		t.Errorf("rings hold %d bytes, want some and at most %d (%d devices of %d)", lim.RingBytes, max, lim.Devices, lim.DeviceRingBytes)
	}
	var hum map[string][]fleet.Sample
	getJSON(t, base+"/fleet/series?q=env.humidity_pct", &hum)
	for id := range hum {
		if strings.HasPrefix(id, "ghost") {
			t.Errorf("a plot for %s, which no discovery found", id)
			break
		}
	}
	// The spans answer JSON, the absurd values left out of every mean.
	for _, span := range []string{"hour", "day", "week"} {
		var s map[string][]fleet.Sample
		getJSON(t, base+"/fleet/series?q=env.temperature_c&span="+span, &s)
		if len(s["evil"]) != 0 || len(s["pi1"]) == 0 {
			t.Errorf("span %s: evil %v, pi1 %d samples; want pi1's only", span, s["evil"], len(s["pi1"]))
		}
		for id, ss := range s {
			for _, x := range ss {
				if math.IsNaN(x.V) || math.Abs(x.V) > 120 {
					t.Errorf("span %s: %s has %v", span, id, x.V)
				}
			}
		}
	}

	// Send to all: pi1's reply comes at once although mute never answers;
	// the answer ends at ReplyWait, naming mute.
	for _, tc := range []struct {
		path        string
		form        url.Values
		first, wait time.Duration
	}{
		{"/fleet/clear", url.Values{"to": {"all"}}, time.Second, o.ReplyWait},
		// A one-glyph text is shown still for a second before the
		// "displayed" reply (design.md); a second per character to all.
		{"/fleet/text", url.Values{"to": {"all"}, "text": {"A"}}, 3 * time.Second, o.ReplyWait + time.Second},
	} {
		first, total, lines := postStream(t, base, tc.path, tc.form, "pi1")
		t.Logf("%s to all: pi1's reply after %v, the answer complete after %v: %v", tc.path, first.Round(time.Millisecond), total.Round(time.Millisecond), lines)
		if first > tc.first {
			t.Errorf("%s: pi1's reply after %v, want it within %v", tc.path, first, tc.first)
		}
		if total > tc.wait+time.Second {
			t.Errorf("%s: answered after %v, want within %v", tc.path, total, tc.wait+time.Second)
		}
		var muteSeen, evilRefused bool
		for _, l := range lines {
			muteSeen = muteSeen || (l.From == "mute" && strings.Contains(l.Error, "no reply within"))
			evilRefused = evilRefused || strings.Contains(l.Error, "more than")
		}
		if !muteSeen {
			t.Errorf("%s: no line saying mute did not reply: %v", tc.path, lines)
		}
		if !evilRefused {
			t.Errorf("%s: evil's 200 KB reply not refused: %v", tc.path, lines)
		}
	}
}

// postStream posts form asking for the replies as they come, and returns
// when the reply from `from` came, when the answer ended, and its lines.
func postStream(t *testing.T, base, path string, form url.Values, from string) (first, total time.Duration, lines []fleet.Reply) {
	t.Helper()
	req, err := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Accept", "application/x-ndjson")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: %s %s", path, resp.Status, b)
	}
	first = -1
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var r fleet.Reply
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: line %q: %v", path, sc.Text(), err)
		}
		if r.From == from && first < 0 {
			first = time.Since(start)
		}
		lines = append(lines, r)
	}
	total = time.Since(start)
	if first < 0 {
		t.Fatalf("%s: no reply from %s in %v", path, from, lines)
	}
	return first, total, lines
}

// The escaping of what devices send, against the Unicode categories named
// in the cases (Cc control, Cf format: bidi controls, zero-width joiner).
func TestShown(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"pi1", "pi1"},
		{"café-€", "café-€"},
		{"a\u202Eb", `a\u{202E}b`},               // RIGHT-TO-LEFT OVERRIDE, Cf
		{"a\u2066b\u2069", `a\u{2066}b\u{2069}`}, // LEFT-TO-RIGHT ISOLATE, POP DIRECTIONAL ISOLATE
		{"a\u200Db", `a\u{200D}b`},               // ZERO WIDTH JOINER, Cf
		{"a\x1b[31mb", `a\u{001B}[31mb`},         // ESCAPE, Cc
		{"a\u0085b", `a\u{0085}b`},               // NEXT LINE, Cc
		{`a\u{202E}b`, `a\\u{202E}b`},            // a faked escape stays visibly faked
		{"a\xffb", `a\x{FF}b`},                   // not UTF-8
	} {
		if got := fleet.Shown(tc.in); got != tc.want {
			t.Errorf("Shown(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
