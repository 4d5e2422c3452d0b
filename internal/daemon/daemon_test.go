package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// fakeNotifier records sd_notify states.
type fakeNotifier struct {
	mu     sync.Mutex
	states []string
	wd     time.Duration
}

func (f *fakeNotifier) Notify(s string) error {
	f.mu.Lock()
	f.states = append(f.states, s)
	f.mu.Unlock()
	return nil
}

func (f *fakeNotifier) WatchdogInterval() time.Duration { return f.wd }

func (f *fakeNotifier) has(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.states {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

type running struct {
	d      *Daemon
	hat    *sim.HAT
	notify *fakeNotifier
	run    *testutil.Task
}

// stop cancels the daemon and checks it exits cleanly.
func (r *running) stop(t testing.TB) {
	t.Helper()
	if err := r.run.Stop(); err != nil {
		r.run.Fail(err)
	}
}

func simConfig(t testing.TB, url, id string) config.Config {
	t.Helper()
	cfg := config.DefaultConfig()
	cfg.NATS = url
	cfg.ID = id
	for _, b := range []*config.Backend{&cfg.Display, &cfg.Joystick, &cfg.Sensors} {
		if err := b.Set("sim"); err != nil {
			t.Fatal(err)
		}
	}
	cfg.EnvInterval = 50 * time.Millisecond
	cfg.MotionInterval = 20 * time.Millisecond
	cfg.TempFactor = 0
	cfg.StateDir = t.TempDir()
	return cfg
}

// startPi1 checks the test for leaked goroutines and starts a server and,
// on it, daemon pi1 on a simulated board, with o.
func startPi1(t *testing.T, o startOpts) (*testutil.Server, *running) {
	t.Helper()
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	return srv, startWith(t, simConfig(t, srv.URL(), "pi1"), o)
}

// start runs a daemon on a fresh simulated HAT and waits until its service
// is registered.
func start(t testing.TB, cfg config.Config) *running { return startWith(t, cfg, startOpts{}) }

// startOpts is what start fixes and some tests vary: a watchdog interval, a
// log to read back and a frame hook.
type startOpts struct {
	watchdog time.Duration
	log      io.Writer // nil discards
	level    slog.Level
	onFrame  func(*display.Frame)
	clock    func() time.Time // nil: time.Now
	dupCheck time.Duration    // 0: DefaultDuplicateCheck
	model    sim.Model        // the zero Model: a Sense HAT v2
}

// startWith is start with startOpts. Ready does not depend on a server: it
// is closed once the service is registered, connected or not.
func startWith(t testing.TB, cfg config.Config, o startOpts) *running {
	t.Helper()
	r := &running{hat: sim.NewHATModel(o.model), notify: &fakeNotifier{wd: o.watchdog}}
	if o.log == nil {
		o.log = io.Discard
	}
	r.d = &Daemon{
		Config:         cfg,
		Log:            slog.New(slog.NewTextHandler(o.log, &slog.HandlerOptions{Level: o.level})),
		HAT:            r.hat,
		Notifier:       r.notify,
		OnFrame:        o.onFrame,
		Ready:          make(chan struct{}),
		Clock:          o.clock,
		DuplicateCheck: o.dupCheck,
	}
	r.run = testutil.GoReady(t, "the daemon's Run", r.d.Ready, r.d.Run)
	return r
}

func connect(t testing.TB, url string) *nats.Conn { return testutil.Connect(t, url) }

// watchLit reports, once, whether any LED lit within the given time: it
// watches in the background while the test waits for a reply.
func watchLit(hat *sim.HAT, within time.Duration) <-chan bool {
	seen := make(chan bool, 1)
	go func() {
		deadline := time.Now().Add(within)
		for time.Now().Before(deadline) {
			if lit(hat) > 0 {
				seen <- true
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		seen <- false
	}()
	return seen
}

// lit counts the LEDs that are on in the simulated ATtiny's frame.
func lit(hat *sim.HAT) int {
	n := 0
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			r, g, b := hat.ATtiny.Pixel(x, y)
			if r|g|b != 0 {
				n++
			}
		}
	}
	return n
}

func request(t testing.TB, nc *nats.Conn, subj string, data []byte, timeout time.Duration) *nats.Msg {
	t.Helper()
	m, err := nc.Request(subj, data, timeout)
	if err != nil {
		t.Fatalf("request %s: %v", subj, err)
	}
	return m
}

func TestStatusAndTextReplyAfterDisplay(t *testing.T) {
	srv, r := startPi1(t, startOpts{})
	nc := connect(t, srv.URL())

	m := request(t, nc, "sensehat.pi1.status", nil, 2*time.Second)
	var st wire.Status
	if err := json.Unmarshal(m.Data, &st); err != nil {
		t.Fatalf("status %s: %v", m.Data, err)
	}
	if st.ID != "pi1" || st.Backends.Display != "sim" || st.Backends.Sensors != "sim" || !st.NATS.Connected {
		t.Errorf("status = %+v", st)
	}

	// While the text scrolls, LEDs light; the reply only comes after.
	seenLit := watchLit(r.hat, 5*time.Second)
	m = request(t, nc, "sensehat.pi1.led.text", []byte(`{"text":"Hi","speed":80}`), 10*time.Second)
	var rep struct {
		Displayed  bool   `json:"displayed"`
		ID         string `json:"id"`
		DurationMS int64  `json:"duration_ms"`
	}
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Displayed || rep.ID != "pi1" {
		t.Errorf("reply = %s", m.Data)
	}
	// "Hi" is 6 columns; entering and leaving 8-wide at 80 col/s takes
	// about (6+8)/80 s = 175 ms: the reply waited for the scroll.
	if rep.DurationMS < 150 {
		t.Errorf("duration_ms = %d, want the scroll's length (>= 150)", rep.DurationMS)
	}
	if !<-seenLit {
		t.Error("no LED lit while the text scrolled")
	}
	if lit(r.hat) != 0 {
		t.Error("matrix not blank after the scroll ended")
	}
}

func TestPixelsClearAndConfig(t *testing.T) {
	srv, r := startPi1(t, startOpts{})
	nc := connect(t, srv.URL())

	raw := make([]byte, 192)
	raw[0] = 255      // (0,0) red
	raw[63*3+2] = 255 // (7,7) blue
	m := request(t, nc, "sensehat.pi1.led.pixels", raw, 5*time.Second)
	if m.Header.Get("Nats-Service-Error-Code") != "" {
		t.Fatalf("pixels refused: %s", m.Header.Get("Nats-Service-Error"))
	}
	if rr, _, _ := r.hat.ATtiny.Pixel(0, 0); rr != 31 {
		t.Errorf("(0,0) red = %d, want 31", rr)
	}
	if _, _, bb := r.hat.ATtiny.Pixel(7, 7); bb != 31 {
		t.Errorf("(7,7) blue = %d, want 31", bb)
	}

	m = request(t, nc, "sensehat.pi1.led.config", []byte(`{"rotation":180}`), 2*time.Second)
	if m.Header.Get("Nats-Service-Error-Code") != "" {
		t.Fatalf("config refused: %s", m.Header.Get("Nats-Service-Error"))
	}
	request(t, nc, "sensehat.pi1.led.pixels", raw, 5*time.Second)
	if _, _, bb := r.hat.ATtiny.Pixel(0, 0); bb != 31 {
		t.Errorf("after rotation 180, (0,0) blue = %d, want 31 (the old (7,7))", bb)
	}
	m = request(t, nc, "sensehat.pi1.status", nil, 2*time.Second)
	var st wire.Status
	if err := json.Unmarshal(m.Data, &st); err != nil {
		t.Fatal(err)
	}
	if st.Display.Rotation != 180 {
		t.Errorf("status rotation = %d, want 180", st.Display.Rotation)
	}

	m = request(t, nc, "sensehat.pi1.led.clear", []byte("green"), 5*time.Second)
	if m.Header.Get("Nats-Service-Error-Code") != "" {
		t.Fatalf("clear refused: %s", m.Header.Get("Nats-Service-Error"))
	}
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			if rr, g, b := r.hat.ATtiny.Pixel(x, y); rr != 0 || b != 0 || g == 0 {
				t.Fatalf("after clear green, (%d,%d) = %d,%d,%d", x, y, rr, g, b)
			}
		}
	}
}

func TestBadInputAnswered400AndChangesNothing(t *testing.T) {
	srv, r := startPi1(t, startOpts{})
	nc := connect(t, srv.URL())
	before := r.hat.ATtiny.FrameWrites()
	for _, tc := range []struct {
		name, subject string
		data          []byte
		want          string
	}{
		{"too large", "led.text", []byte(strings.Repeat("a", 70*1024)), "too large"},
		{"invalid utf-8", "led.text", []byte{'h', 0xff, 'i'}, "UTF-8"},
		{"malformed json", "led.text", []byte(`{"text":`), "JSON"},
		{"unknown field", "led.text", []byte(`{"text":"x","blink":true}`), "blink"},
		{"unknown colour", "led.text", []byte(`{"text":"x","color":"bleu"}`), "bleu"},
		{"wrong frame size", "led.pixels", make([]byte, 150), "150 bytes"},
		{"clear unknown colour", "led.clear", []byte("mauve-ish"), "colour"},
		{"config rotation", "led.config", []byte(`{"rotation":45}`), "rotation"},
		{"config unknown field", "led.config", []byte(`{"spin":1}`), "spin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := request(t, nc, "sensehat.pi1."+tc.subject, tc.data, 2*time.Second)
			if code := m.Header.Get("Nats-Service-Error-Code"); code != "400" {
				t.Fatalf("code = %q (%s), want 400", code, m.Data)
			}
			if msg := m.Header.Get("Nats-Service-Error"); !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.want)) {
				t.Errorf("message %q does not mention %q", msg, tc.want)
			}
		})
	}
	// Still serving, display untouched.
	request(t, nc, "sensehat.pi1.status", nil, 2*time.Second)
	if got := r.hat.ATtiny.FrameWrites(); got != before {
		t.Errorf("bad input wrote %d frames", got-before)
	}
}

func TestFanOutAllAndAny(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	ids := []string{"pi1", "pi2", "pi3"}
	devs := map[string]*running{}
	for _, id := range ids {
		devs[id] = start(t, simConfig(t, srv.URL(), id))
	}
	nc := connect(t, srv.URL())

	// all: every device shows it and replies.
	inbox := nc.NewRespInbox()
	sub := testutil.SubscribeSync(t, nc, inbox)
	if err := nc.PublishRequest("sensehat.all.led.text", inbox, []byte(`{"text":"A","speed":100}`)); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for range ids {
		m, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("all: got replies from %v only: %v", got, err)
		}
		var rep struct {
			Displayed bool   `json:"displayed"`
			ID        string `json:"id"`
		}
		if err := json.Unmarshal(m.Data, &rep); err != nil || !rep.Displayed {
			t.Fatalf("all reply %s", m.Data)
		}
		got[rep.ID] = true
	}
	if len(got) != 3 {
		t.Errorf("all shown on %v, want all three", got)
	}

	// any: each message shown exactly once, spread over the fleet.
	const n = 30
	counts := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			m, err := nc.Request("sensehat.any.led.text", []byte(fmt.Sprintf(`{"text":"%d","speed":100}`, i%10)), 30*time.Second)
			if err != nil {
				t.Errorf("any %d: %v", i, err)
				return
			}
			var rep struct {
				Displayed bool   `json:"displayed"`
				ID        string `json:"id"`
			}
			if err := json.Unmarshal(m.Data, &rep); err != nil || !rep.Displayed {
				t.Errorf("any reply %s (%s)", m.Data, m.Header.Get("Nats-Service-Error"))
				return
			}
			mu.Lock()
			counts[rep.ID]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	if total != n {
		t.Errorf("any: %d messages shown, want %d exactly once each (%v)", total, n, counts)
	}
	if len(counts) < 2 {
		t.Errorf("any: all %d messages went to %v; want them spread over the queue group", n, counts)
	}
	// A device showed them: its player counted the texts.
	for _, id := range ids {
		if st := devs[id].d.Status(); st.Display.FramesSent == 0 {
			t.Errorf("%s sent no frames", id)
		}
	}
}

func TestStartsWithoutServerAndReconnects(t *testing.T) {
	testutil.CheckLeaks(t)
	// Reserve a port, then leave it empty: the daemon must come up anyway.
	port := testutil.FreePort(t)
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	r := start(t, simConfig(t, url, "pi1"))
	if !r.notify.has("READY=1") {
		t.Fatal("READY=1 not sent before the server exists")
	}

	opts := testutil.DefaultOptions()
	opts.Port = port
	srv := testutil.StartServer(t, opts)
	nc := testutil.Connect(t, url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	waitStatus(t, nc, "pi1", 15*time.Second)

	// Server restart: the daemon reconnects and serves again.
	srv.Shutdown()
	srv.WaitForShutdown()
	srv2 := testutil.StartServer(t, opts)
	_ = srv2
	waitStatus(t, nc, "pi1", 20*time.Second)
	var st wire.Status
	m := request(t, nc, "sensehat.pi1.status", nil, 2*time.Second)
	if err := json.Unmarshal(m.Data, &st); err != nil {
		t.Fatal(err)
	}
	if st.NATS.Reconnects < 1 {
		t.Errorf("reconnects = %d, want >= 1", st.NATS.Reconnects)
	}
	// And the text endpoint still works.
	m = request(t, nc, "sensehat.pi1.led.text", []byte(`{"text":"ok","speed":100}`), 10*time.Second)
	if !strings.Contains(string(m.Data), `"displayed":true`) {
		t.Errorf("text after reconnect: %s", m.Data)
	}
}

// waitStatus retries the status request until the daemon answers.
func waitStatus(t testing.TB, nc *nats.Conn, id string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		m, err := nc.Request("sensehat."+id+".status", nil, 500*time.Millisecond)
		if err == nil && m.Header.Get("Nats-Service-Error-Code") == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no status from %s within %v: %v", id, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestJoystickAndReadingsPublished(t *testing.T) {
	srv, r := startPi1(t, startOpts{})
	r.hat.HTS221.Set(30, 60)
	r.hat.LPS25H.Set(990, 30)
	nc := connect(t, srv.URL())
	joy := testutil.SubscribeSync(t, nc, "sensehat.pi1.joystick.*")
	env := testutil.SubscribeSync(t, nc, "sensehat.pi1.sensors.env")
	mot := testutil.SubscribeSync(t, nc, "sensehat.pi1.sensors.motion")

	r.hat.ATtiny.Press(sensehat.KeyUp)
	m, err := joy.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal("no joystick event:", err)
	}
	var ev struct{ Key, Action, Time string }
	if err := json.Unmarshal(m.Data, &ev); err != nil {
		t.Fatal(err)
	}
	if m.Subject != "sensehat.pi1.joystick.up" || ev.Key != "up" || ev.Action != "pressed" {
		t.Errorf("event %s on %s", m.Data, m.Subject)
	}
	if _, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil {
		t.Errorf("time %q: %v", ev.Time, err)
	}
	r.hat.ATtiny.Release(sensehat.KeyUp)
	if m, err = joy.NextMsg(5 * time.Second); err != nil || !strings.Contains(string(m.Data), `"released"`) {
		t.Errorf("release: %v %v", m, err)
	}

	// Readings follow the simulated values.
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := env.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatal("no env reading:", err)
		}
		var e map[string]float64
		_ = json.Unmarshal(m.Data, &e) // "time" is a string: ignored by the float map
		if abs(e["temperature_c"]-30) < 0.1 && abs(e["humidity_pct"]-60) < 0.5 && abs(e["pressure_hpa"]-990) < 0.01 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("env reading %s never matched 30 °C / 60 %% / 990 hPa", m.Data)
		}
	}
	m, err = mot.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal("no motion reading:", err)
	}
	if !strings.Contains(string(m.Data), `"accel_g":[`) || !strings.Contains(string(m.Data), `"roll_deg"`) {
		t.Errorf("motion %s", m.Data)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestStopDuringScrollClearsAndNotifies(t *testing.T) {
	srv, r := startPi1(t, startOpts{})
	nc := connect(t, srv.URL())
	reply := make(chan *nats.Msg, 1)
	go func() {
		m, err := nc.Request("sensehat.pi1.led.text", []byte(`{"text":"a long message that takes a while","speed":5}`), 10*time.Second)
		if err == nil {
			reply <- m
		}
		close(reply)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for lit(r.hat) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("scroll never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	began := time.Now()
	r.stop(t)
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("stop took %v, want < 2s", d)
	}
	if n := lit(r.hat); n != 0 {
		t.Errorf("%d LEDs still lit after stop", n)
	}
	if !r.notify.has("STOPPING=1") {
		t.Error("STOPPING=1 not sent")
	}
	if m, ok := <-reply; ok && !strings.Contains(string(m.Data), `"displayed":false`) {
		t.Errorf("reply to the cut text: %s", m.Data)
	}
}
