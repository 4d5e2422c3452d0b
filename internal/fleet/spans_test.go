package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/fleet"
	"github.com/sensehat/sensehat/internal/testutil"
)

// getSeries fetches a series and returns it with the answer's source and
// note headers.
func getSeries(t *testing.T, u string) (map[string][]fleet.Sample, string, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", u, resp.Status, b)
	}
	var s map[string][]fleet.Sample
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return s, resp.Header.Get("Sensehat-Series-Source"), resp.Header.Get("Sensehat-Series-Note")
}

// allAt checks that every point of s is v (readings published within
// milliseconds may fall in one slice or two; the mean is v either way).
func allAt(s []fleet.Sample, v float64) bool {
	for _, p := range s {
		if p.V != v {
			return false
		}
	}
	return len(s) > 0
}

// Day and week are read from the history stream on demand: every device's
// stored readings of the quantity, or only the named device's; a second
// ask within the cache's 30 s is answered without reading again.
func TestSpanFromStream(t *testing.T) {
	testutil.CheckLeaks(t)
	ns := testutil.StartServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir()})
	js, ctx := readingsJS(t, ns.URL(), 20*time.Second)
	pub := func(subject, body string) {
		t.Helper()
		if _, err := js.Publish(ctx, subject, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	pub("sensehat.pi1.sensors.env", `{"temperature_c":20.5}`)
	pub("sensehat.pi1.sensors.env", `{"temperature_c":20.5}`)
	pub("sensehat.pi2.sensors.env", `{"temperature_c":30}`)
	pub("sensehat.pi1.sensors.motion", `{"accel_g":[0,0,1]}`) // another kind: filtered out

	o := testOpts()
	o.HistoryStream = "READINGS"
	_, base := startFleet(t, ns.URL(), o)

	for _, span := range []string{"day", "week"} {
		s, src, note := getSeries(t, base+"/fleet/series?q=env.temperature_c&span="+span)
		if src != "stream" || note != "" {
			t.Errorf("%s: source %q note %q, want stream and no note", span, src, note)
		}
		if len(s) != 2 || !allAt(s["pi1"], 20.5) || !allAt(s["pi2"], 30) {
			t.Errorf("%s: %v, want pi1 at 20.5 and pi2 at 30", span, s)
		}
	}
	s, _, _ := getSeries(t, base+"/fleet/series?q=env.temperature_c&span=day&id=pi2")
	if len(s) != 1 || !allAt(s["pi2"], 30) {
		t.Errorf("id=pi2: %v, want pi2 only", s)
	}
	s, _, _ = getSeries(t, base+"/fleet/series?q=motion.accel_g.z&span=day")
	if len(s) != 1 || !allAt(s["pi1"], 1) {
		t.Errorf("motion.accel_g.z: %v, want pi1 at 1", s)
	}

	// Cached: a reading stored now is not in the day already read, but is
	// in a request not asked before.
	pub("sensehat.pi3.sensors.env", `{"temperature_c":5}`)
	if s, _, _ := getSeries(t, base+"/fleet/series?q=env.temperature_c&span=day"); s["pi3"] != nil {
		t.Errorf("day read again within 30 s: %v", s)
	}
	if s, _, _ := getSeries(t, base+"/fleet/series?q=env.temperature_c&span=day&id=pi3"); !allAt(s["pi3"], 5) {
		t.Errorf("id=pi3: %v, want pi3 at 5", s)
	}

	for _, bad := range []string{
		"q=env.temperature_c&span=month",
		"q=env*.x&span=day",
		"q=env&span=week",
		"q=motion.accel_g.0&span=day",
		"q=joystick.key&span=day",
		"q=env.temperature_c&span=day&id=a.b",
		"q=env.temperature_c&span=day&id=" + strings.Repeat("x&id=x", 40),
	} {
		resp, err := http.Get(base + "/fleet/series?" + bad)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "fleet:") {
			t.Errorf("%s: %s %s, want 400 saying what was wrong", bad, resp.Status, b)
		}
	}
}

// A span holding more readings than HistoryMaxMessages is read up to the
// bound and answered with a note saying so.
func TestSpanMessageBound(t *testing.T) {
	testutil.CheckLeaks(t)
	ns := testutil.StartServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir()})
	js, ctx := readingsJS(t, ns.URL(), 20*time.Second)
	for i := range 50 {
		if _, err := js.Publish(ctx, fmt.Sprintf("sensehat.d%d.sensors.env", i), []byte(`{"pressure_hpa":1000}`)); err != nil {
			t.Fatal(err)
		}
	}
	o := testOpts()
	o.HistoryStream = "READINGS"
	o.HistoryMaxMessages = 7
	_, base := startFleet(t, ns.URL(), o)
	s, src, note := getSeries(t, base+"/fleet/series?q=env.pressure_hpa&span=week")
	if src != "stream" || !strings.Contains(note, "stopped after 7 readings") {
		t.Errorf("source %q note %q, want stream and a note of the bound", src, note)
	}
	// The first 7 stored, one device each: d0..d6.
	if len(s) != 7 || s["d0"] == nil || s["d6"] == nil || s["d7"] != nil {
		t.Errorf("%d devices %v, want d0..d6", len(s), s)
	}
}

// A span longer than one fetch (1000 readings) is read to its end: the
// devices only in the third thousand are there, each at its mean.
func TestSpanManyBatches(t *testing.T) {
	testutil.CheckLeaks(t)
	ns := testutil.StartServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir()})
	js, ctx := readingsJS(t, ns.URL(), 60*time.Second)
	const devices, each = 200, 12
	for i := range devices * each {
		subj := fmt.Sprintf("sensehat.d%d.sensors.env", i/each)
		if _, err := js.Publish(ctx, subj, []byte(fmt.Sprintf(`{"pressure_hpa":%d}`, 1000+i/each))); err != nil {
			t.Fatal(err)
		}
	}
	o := testOpts()
	o.HistoryStream = "READINGS"
	_, base := startFleet(t, ns.URL(), o)
	s, _, note := getSeries(t, base+"/fleet/series?q=env.pressure_hpa&span=day")
	if note != "" || len(s) != devices {
		t.Fatalf("%d devices, note %q; want %d and no note", len(s), note, devices)
	}
	for i := range devices {
		if id := fmt.Sprintf("d%d", i); !allAt(s[id], float64(1000+i)) {
			t.Errorf("%s: %v, want %d", id, s[id], 1000+i)
		}
	}
}

// Without a history stream, day and week are what memory holds, and the
// answer says longer spans need the stream.
func TestSpanWithoutStream(t *testing.T) {
	testutil.CheckLeaks(t)
	ns := testutil.StartServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir()})
	// The page keeps the readings of devices it discovered only.
	nc := fakeDevice(t, ns.URL(), "live1", nil, func(string) []byte { return []byte(`{}`) })
	for _, stream := range []string{"", "NO_SUCH_STREAM"} {
		o := testOpts()
		o.HistoryStream = stream
		_, base := startFleet(t, ns.URL(), o)
		testutil.WaitFor(t, 10*time.Second, "a live reading in memory", func() bool {
			if err := nc.Publish("sensehat.live1.sensors.env", []byte(`{"humidity_pct":40}`)); err != nil {
				t.Fatal(err)
			}
			s, _, _ := getSeries(t, base+"/fleet/series?q=env.humidity_pct")
			return len(s["live1"]) > 0
		})
		s, src, note := getSeries(t, base+"/fleet/series?q=env.humidity_pct&span=day")
		if src != "memory" || !strings.Contains(note, "only the last 1h kept in memory") || !strings.Contains(note, "--history-stream") || !allAt(s["live1"], 40) {
			t.Errorf("stream %q: %v source %q note %q, want memory's samples and a note on the stream", stream, s, src, note)
		}
	}
}

// A stream that cannot be read for the span is an error the page shows,
// not an empty chart. Here it is a work queue, where nats-server refuses
// the ordered consumer (it acks nothing and starts by time).
func TestSpanStreamError(t *testing.T) {
	testutil.CheckLeaks(t)
	ns := testutil.StartServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir()})
	nc := testutil.Connect(t, ns.URL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"sensehat.*.sensors.>"}, Retention: jetstream.WorkQueuePolicy}); err != nil {
		t.Fatal(err)
	}
	o := testOpts()
	o.HistoryStream = "OTHER"
	_, base := startFleet(t, ns.URL(), o)
	resp, err := http.Get(base + "/fleet/series?q=env.temperature_c&span=day")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Error string }
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(e.Error, "history stream OTHER") {
		t.Errorf("%s %q, want 502 naming the stream", resp.Status, e.Error)
	}
}
