package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/daemon"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// syncBuffer is an output the test reads while a command still writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDevice runs a daemon with id on a simulated HAT against url and stops
// it when the test ends.
func startDevice(t *testing.T, url, id string) *sim.HAT {
	t.Helper()
	cfg := config.DefaultConfig()
	cfg.NATS, cfg.ID = url, id
	for _, b := range []*config.Backend{&cfg.Display, &cfg.Joystick, &cfg.Sensors} {
		if err := b.Set("sim"); err != nil {
			t.Fatal(err)
		}
	}
	cfg.StateDir = t.TempDir()
	hat := sim.NewHAT()
	d := &daemon.Daemon{
		Config:   cfg,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		HAT:      hat,
		Notifier: nopNotifier{},
		Ready:    make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-d.Ready:
	case err := <-done:
		cancel()
		t.Fatalf("daemon %s exited before ready: %v", id, err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("daemon %s not ready in 10s", id)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("daemon %s: %v", id, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("daemon %s did not stop in 10s", id)
		}
	})
	return hat
}

type nopNotifier struct{}

func (nopNotifier) Notify(string) error             { return nil }
func (nopNotifier) WatchdogInterval() time.Duration { return 0 }

// run runs the tool once with no environment and returns its exit code
// and output.
func run(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut syncBuffer
	a := &App{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	code = a.Run(ctx, args)
	return code, out.String(), errOut.String()
}

func TestSayOneDevice(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	hat := startDevice(t, srv.URL(), "pi1")
	before := hat.ATtiny.FrameWrites()

	code, out, errOut := run(context.Background(), "say", "--nats", srv.URL(), "--id", "pi1", "--speed", "100", "hello")
	if code != 0 {
		t.Fatalf("say exit %d, stderr:\n%s", code, errOut)
	}
	if !regexp.MustCompile(`^pi1: displayed in \d+\.\ds\n$`).MatchString(out) {
		t.Errorf("stdout = %q, want one line %q", out, "pi1: displayed in N.Ns")
	}
	if !strings.Contains(errOut, "sensehat.pi1.led.text") {
		t.Errorf("stderr %q does not say where it sent the text", errOut)
	}
	if hat.ATtiny.FrameWrites() == before {
		t.Error("the device reported the text displayed but wrote no frame")
	}
}

func TestSayAllWaitsForEveryDevice(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	startDevice(t, srv.URL(), "pi1")
	startDevice(t, srv.URL(), "pi2")

	code, out, errOut := run(context.Background(), "say", "--nats", srv.URL(), "--all", "--speed", "100", "hi")
	if code != 0 {
		t.Fatalf("say --all exit %d, stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	got := map[string]bool{}
	for _, l := range lines {
		id, rest, _ := strings.Cut(l, ": ")
		if !strings.HasPrefix(rest, "displayed in ") {
			t.Errorf("line %q is not a displayed reply", l)
		}
		got[id] = true
	}
	if len(lines) != 2 || !got["pi1"] || !got["pi2"] {
		t.Errorf("stdout = %q, want one displayed line each for pi1 and pi2", out)
	}
	if !strings.Contains(errOut, "(2 devices)") {
		t.Errorf("stderr %q does not count the two devices", errOut)
	}
}

func TestSayUnknownDevice(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	startDevice(t, srv.URL(), "pi1")

	code, out, errOut := run(context.Background(), "say", "--nats", srv.URL(), "--id", "nosuch", "x")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
	want := "sensehat: say: no device listens on sensehat.nosuch.led.text; check the id with `sensehat status`"
	if !strings.Contains(errOut, want) {
		t.Errorf("stderr = %q, want it to contain %q", errOut, want)
	}
}

func TestStatusTable(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	startDevice(t, srv.URL(), "pi1")
	startDevice(t, srv.URL(), "pi2")

	code, out, errOut := run(context.Background(), "status", "--nats", srv.URL())
	if code != 0 {
		t.Fatalf("status exit %d, stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("status printed %d lines, want a header and one row per device:\n%s", len(lines), out)
	}
	header := strings.Fields(lines[0])
	wantHeader := []string{"ID", "VERSION", "UPTIME", "DISPLAY", "JOYSTICK", "SENSORS", "TEMP", "HUMIDITY", "PRESSURE", "QUEUE", "SHOWING", "ERRORS", "INSTANCES"}
	if strings.Join(header, " ") != strings.Join(wantHeader, " ") {
		t.Errorf("header = %q, want %q", header, wantHeader)
	}
	for i, id := range []string{"pi1", "pi2"} { // sorted by id
		f := strings.Fields(lines[i+1])
		if len(f) != len(wantHeader) {
			t.Errorf("row %q has %d columns, want %d", lines[i+1], len(f), len(wantHeader))
			continue
		}
		if f[0] != id || f[3] != "sim" || f[4] != "sim" || f[5] != "sim" || f[9] != "0" || f[10] != "-" {
			t.Errorf("row %d = %q, want %s on sim backends, empty queue, showing -", i, lines[i+1], id)
		}
	}
}

func TestStatusNoDevice(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	code, _, errOut := run(context.Background(), "status", "--nats", srv.URL())
	if code != 1 || !strings.Contains(errOut, "no sensehat device answered") {
		t.Errorf("exit %d, stderr %q; want 1 and that no device answered", code, errOut)
	}
}

func TestWatchJoystick(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	hat := startDevice(t, srv.URL(), "pi1")

	var out, errOut syncBuffer
	a := &App{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() { code <- a.Run(ctx, []string{"watch", "--nats", srv.URL(), "joystick"}) }()

	// watch says so on stderr once it has subscribed and flushed.
	waitFor(t, "watch to subscribe", func() bool { return strings.Contains(errOut.String(), "watching sensehat.*.joystick.*") })
	hat.ATtiny.Press(sensehat.KeyLeft)
	waitFor(t, "the joystick event", func() bool { return strings.Contains(out.String(), "pi1.joystick.left ") })
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("watch exit %d after cancel, want 0; stderr:\n%s", c, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not return after its context was cancelled")
	}
	line, _, _ := strings.Cut(out.String(), "\n")
	// The quantities under the contract's names (wire.Quantities), the
	// time on the local clock.
	if !regexp.MustCompile(`^pi1\.joystick\.left \d\d:\d\d:\d\d\.\d{3} joystick\.key=left joystick\.action=pressed$`).MatchString(line) {
		t.Errorf("first line = %q, want the pressed event as subject, time and quantities", line)
	}
}

// waitFor polls cond; the deadline only bounds a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
