package fleet_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/fleet"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
)

// startDevice runs device id on a simulated HAT, publishing often enough
// for the page's plots to move within a test.
func startDevice(t *testing.T, natsURL, id string) *simdaemon.Device {
	t.Helper()
	cfg := simdaemon.Config(t, natsURL, id)
	cfg.EnvInterval = 100 * time.Millisecond
	cfg.MotionInterval = 200 * time.Millisecond
	return simdaemon.Start(t, cfg, nil)
}

// testOpts makes rounds short so a test sees devices come and go in
// seconds: gone after 3 rounds of 300 ms.
func testOpts() fleet.Opts {
	o := fleet.DefaultOpts
	o.Every = 300 * time.Millisecond
	o.Wait = 200 * time.Millisecond
	o.SampleEvery = 100 * time.Millisecond
	o.Lease = 3 * time.Second
	return o
}

// startFleet serves the page on a loopback port and returns its base URL.
func startFleet(t *testing.T, natsURL string, o fleet.Opts) (*fleet.Server, string) {
	t.Helper()
	nc := testutil.Connect(t, natsURL)
	s, err := fleet.New(nc, &o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Go(t, "the fleet page's Serve", func(ctx context.Context) error { return s.Serve(ctx, ln) })
	return s, "http://" + ln.Addr().String()
}

// cardJSON is what /fleet/devices says of a device.
type cardJSON struct {
	ID       string          `json:"id"`
	Version  string          `json:"version"`
	Gone     bool            `json:"gone"`
	Status   json.RawMessage `json:"status"`
	Frame    string          `json:"frame"`
	Readings map[string]json.RawMessage
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s %s", u, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func cards(t *testing.T, base string) map[string]cardJSON {
	t.Helper()
	var list []cardJSON
	getJSON(t, base+"/fleet/devices", &list)
	m := map[string]cardJSON{}
	for _, c := range list {
		m[c.ID] = c
	}
	return m
}

// post sends a form as the page does (same-origin fetch: Origin set).
func post(t *testing.T, base, path string, form url.Values, origin string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type sseEvent struct{ name, data string }

// events opens the page's event stream and delivers its events until the
// test ends.
func events(t *testing.T, base string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/fleet/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("events: %s", resp.Status)
	}
	ch := make(chan sseEvent, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			case line == "" && ev.name != "":
				select {
				case ch <- ev:
				default:
				}
				ev = sseEvent{}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
	})
	return ch
}

// readingsJS connects to the JetStream server at url and creates the
// stream READINGS of every device's readings, as store and forward keeps
// them; the connection closes when the test ends, and ctx bounds the
// test's stream calls to within.
func readingsJS(t *testing.T, url string, within time.Duration) (jetstream.JetStream, context.Context) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	t.Cleanup(cancel)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "READINGS", Subjects: []string{"sensehat.*.sensors.>"}}); err != nil {
		t.Fatal(err)
	}
	return js, ctx
}
