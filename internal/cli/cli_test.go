package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
	"github.com/sensehat/sensehat/sensehat"
)

// run runs the tool once with no environment and returns its exit code
// and output.
func run(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut testutil.LogBuffer
	code = newApp(&out, &errOut).Run(ctx, args)
	return code, out.String(), errOut.String()
}

// newApp is the tool with no environment, writing to out and errOut.
func newApp(out, errOut *testutil.LogBuffer) *App {
	return &App{Stdout: out, Stderr: errOut, Getenv: func(string) string { return "" }}
}

// background is one long-running command (watch, web, emulate) of the
// tool, run while the test reads its output.
type background struct {
	out, errOut testutil.LogBuffer
	cancel      context.CancelFunc
	code        chan int
	stopped     bool
	exit        int
}

// runBackground starts the tool with args; it is stopped when the test
// ends if the test has not stopped it.
func runBackground(t *testing.T, args ...string) *background {
	t.Helper()
	b := &background{code: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	a := newApp(&b.out, &b.errOut)
	go func() { b.code <- a.Run(ctx, args) }()
	t.Cleanup(func() { b.stop(t) })
	return b
}

// stop cancels the command, as Ctrl-C does, and returns its exit code; a
// command that does not return within 15 s fails the test.
func (b *background) stop(t *testing.T) int {
	t.Helper()
	if b.stopped {
		return b.exit
	}
	b.stopped = true
	b.cancel()
	select {
	case b.exit = <-b.code:
	case <-time.After(15 * time.Second):
		t.Fatalf("the command did not return 15 s after its context was cancelled; stderr:\n%s", b.errOut.String())
	}
	return b.exit
}

func TestSayOneDevice(t *testing.T) {
	srv, devs := simdaemon.OnServer(t, "pi1")
	hat := devs[0].HAT
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
	srv, _ := simdaemon.OnServer(t, "pi1", "pi2")

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
	srv, _ := simdaemon.OnServer(t, "pi1")

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

// statusOf runs `sensehat status` against daemons started with ids on a
// fresh server; it wants exit status 0 and a header and one line per
// distinct id, and returns the lines and stderr.
func statusOf(t *testing.T, ids ...string) (lines []string, stderr string) {
	t.Helper()
	srv, _ := simdaemon.OnServer(t, ids...)
	distinct := map[string]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	code, out, errOut := run(context.Background(), "status", "--nats", srv.URL())
	if code != 0 {
		t.Fatalf("status exit %d, stderr:\n%s", code, errOut)
	}
	lines = strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 1+len(distinct) {
		t.Fatalf("status printed %d lines, want a header and one row per id:\n%s", len(lines), out)
	}
	return lines, errOut
}

func TestStatusTable(t *testing.T) {
	lines, _ := statusOf(t, "pi1", "pi2")
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

// TestStatusMarksDuplicateIDs runs two daemons with id pi1 and one with
// pi2: the table has one row per id, and pi1's INSTANCES cell and a
// warning on stderr say that two daemons share it.
func TestStatusMarksDuplicateIDs(t *testing.T) {
	lines, errOut := statusOf(t, "pi1", "pi1", "pi2")
	header := strings.Fields(lines[0])
	if header[len(header)-1] != "INSTANCES" {
		t.Fatalf("last column %q, want INSTANCES", header[len(header)-1])
	}
	want := map[string]string{"pi1": "2!", "pi2": "1"}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if got := f[len(f)-1]; got != want[f[0]] {
			t.Errorf("%s INSTANCES = %q, want %q", f[0], got, want[f[0]])
		}
	}
	if !strings.Contains(errOut, "warning: 2 daemons run with id pi1") || strings.Contains(errOut, "id pi2") {
		t.Errorf("stderr %q, want one warning about pi1", errOut)
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
	srv, devs := simdaemon.OnServer(t, "pi1")
	hat := devs[0].HAT

	w := runBackground(t, "watch", "--nats", srv.URL(), "joystick")
	out, errOut := &w.out, &w.errOut

	// watch says so on stderr once it has subscribed and flushed.
	testutil.WaitFor(t, 10*time.Second, "watch to subscribe", func() bool { return strings.Contains(errOut.String(), "watching sensehat.*.joystick.*") })
	hat.ATtiny.Press(sensehat.KeyLeft)
	testutil.WaitFor(t, 10*time.Second, "the joystick event", func() bool { return strings.Contains(out.String(), "pi1.joystick.left ") })
	if c := w.stop(t); c != 0 {
		t.Errorf("watch exit %d after cancel, want 0; stderr:\n%s", c, errOut.String())
	}
	line, _, _ := strings.Cut(out.String(), "\n")
	// The quantities under the contract's names (wire.Quantities), the
	// time on the local clock.
	if !regexp.MustCompile(`^pi1\.joystick\.left \d\d:\d\d:\d\d\.\d{3} joystick\.key=left joystick\.action=pressed$`).MatchString(line) {
		t.Errorf("first line = %q, want the pressed event as subject, time and quantities", line)
	}
}
