// Package testutil holds what tests across the project share: real NATS
// servers, a check that a test leaves no goroutine behind, waiting for a
// condition, free loopback ports and a log buffer safe for several
// goroutines. Starting a daemon on a simulated board is in package
// simdaemon, a headless browser in package headless (both below this one),
// so that this package imports neither the daemon nor Chromium's driver.
package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"periph.io/x/conn/v3/physic"
)

// Server is an embedded nats-server on a free loopback port.
type Server struct {
	*server.Server
	Opts *server.Options
}

// URL is the client URL.
func (s *Server) URL() string { return s.ClientURL() }

// Connect connects a client to url with opts (credentials, TLS), closed
// when the test ends.
func Connect(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// DefaultOptions returns options for a loopback server on a random port.
func DefaultOptions() *server.Options {
	return &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT}
}

// StartServer starts an embedded nats-server on 127.0.0.1 and stops it
// when the test ends. Pass opts to set auth or TLS; Host and Port are
// filled in when unset.
func StartServer(t testing.TB, opts *server.Options) *Server {
	t.Helper()
	if opts == nil {
		opts = &server.Options{}
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Port == 0 {
		opts.Port = server.RANDOM_PORT
	}
	opts.NoLog, opts.NoSigs = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("starting nats-server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready in 10s")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return &Server{Server: s, Opts: opts}
}

// goroutines returns the stacks of all goroutines but the caller's.
func goroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range bytes.Split(buf, []byte("\n\n")) {
		if i == 0 {
			continue // the caller
		}
		out = append(out, string(g))
	}
	return out
}

// ignorable are goroutines owned by the runtime or the testing package.
func ignorable(stack string) bool {
	for _, s := range []string{
		"testing.(*T).Run", "testing.tRunner", "testing.(*M).", "runtime.goexit0",
		"os/signal.signal_recv", "runtime.ensureSigM", "signal.loop",
		"testing.runFuzzing", "testing.(*F).Fuzz",
	} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return strings.Contains(stack, "created by testing.") || strings.TrimSpace(stack) == ""
}

func goid(stack string) string {
	first, _, _ := strings.Cut(stack, "\n")
	f := strings.Fields(first)
	if len(f) >= 2 {
		return f[1]
	}
	return first
}

// CheckLeaks fails the test if goroutines started during it are still
// running when it ends (after its other cleanups: call it first). It waits
// up to 5 s for them to exit, since shutdown is asynchronous.
func CheckLeaks(t testing.TB) {
	t.Helper()
	before := map[string]bool{}
	for _, g := range goroutines() {
		before[goid(g)] = true
	}
	t.Cleanup(func() {
		var leaked []string
		deadline := time.Now().Add(5 * time.Second)
		for {
			leaked = leaked[:0]
			for _, g := range goroutines() {
				if !before[goid(g)] && !ignorable(g) {
					leaked = append(leaked, g)
				}
			}
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(leaked) > 0 {
			sort.Strings(leaked)
			if len(leaked) > 5 {
				leaked = append(leaked[:5], fmt.Sprintf("... and %d more", len(leaked)-5))
			}
			t.Errorf("%d goroutine(s) leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

// LogBuffer collects log output written from several goroutines (a
// client's callbacks, the daemon's loops), so a test can read what a user
// would see in the journal.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Lines returns the lines written so far that contain every one of words.
func (l *LogBuffer) Lines(words ...string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		all := line != ""
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}

// WaitLog waits until a line holds every one of words and returns the
// first such line; it fails the test, showing the log, if none does
// within.
func (l *LogBuffer) WaitLog(t testing.TB, within time.Duration, words ...string) string {
	t.Helper()
	var line string
	WaitFor(t, within, fmt.Sprintf("a log line with %q", words), func() bool {
		ls := l.Lines(words...)
		if len(ls) > 0 {
			line = ls[0]
		}
		return len(ls) > 0
	}, func() string { return "log:\n" + l.String() })
	return line
}

// WaitFor polls cond every 10 ms until it holds, and fails the test naming
// what if it does not within: the deadline bounds a hang, it does not
// measure speed. explain, if given, adds to the failure what the test saw
// (a log, a last value).
func WaitFor(t testing.TB, within time.Duration, what string, cond func() bool, explain ...func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("%s: not within %v", what, within)
			for _, e := range explain {
				msg += "; " + e()
			}
			t.Fatal(msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FreePort returns a loopback TCP port that was free a moment ago, for a
// server the test starts as a process or by address, which cannot be
// handed an open listener. Another process may take it in between; on
// loopback in a test that is rare enough.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// SubscribeSync subscribes nc to subject and flushes, so the server holds
// the interest before the test makes anything publish.
func SubscribeSync(t testing.TB, nc *nats.Conn, subject string) *nats.Subscription {
	t.Helper()
	sub, err := nc.SubscribeSync(subject)
	if err != nil {
		t.Fatalf("subscribing to %s: %v", subject, err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flushing the subscription to %s: %v", subject, err)
	}
	return sub
}

// Sensor is a chip driver that reads into an R and can be halted, as
// every driver under sensehat/ is.
type Sensor[R any] interface {
	Sense(r *R) error
	Halt() error
}

// SenseOnce opens a sensor with open, reads it once, halts it and returns
// the reading, failing the test on any error: reading back through the
// real driver what a simulated chip or a fake sysfs tree was set to.
func SenseOnce[R any, D Sensor[R]](t testing.TB, open func() (D, error)) R {
	t.Helper()
	d, err := open()
	if err != nil {
		t.Fatalf("opening the sensor: %v", err)
	}
	defer d.Halt()
	var r R
	if err := d.Sense(&r); err != nil {
		t.Fatalf("reading the sensor: %v", err)
	}
	return r
}

// SenseThenHalt plays a driver's life on a bus that replays what the chip
// should see (periph's i2ctest.Playback): open, one Sense, Halt. Then the
// bus must have played every transaction (Close says what was left), and
// a Sense after Halt must fail with halted. It returns the one reading.
func SenseThenHalt[R any, D Sensor[R]](t testing.TB, bus io.Closer, open func() (D, error), halted error) R {
	t.Helper()
	d, err := open()
	if err != nil {
		t.Fatalf("opening the sensor: %v", err)
	}
	var r R
	if err := d.Sense(&r); err != nil {
		t.Fatalf("reading the sensor: %v", err)
	}
	if err := d.Halt(); err != nil {
		t.Fatalf("halting the sensor: %v", err)
	}
	if err := bus.Close(); err != nil {
		t.Fatalf("the bus did not see what the chip should: %v", err)
	}
	var after R
	if err := d.Sense(&after); !errors.Is(err, halted) {
		t.Fatalf("Sense after Halt: %v, want %v", err, halted)
	}
	return r
}

// BindI2CDriver makes the sysfs tree at root say that the kernel driver
// named driver is bound to the I2C device dev ("1-005f": bus 1, address
// 0x5f), as Linux does: bus/i2c/devices/<dev>/driver is a symlink to
// bus/i2c/drivers/<driver>.
func BindI2CDriver(t testing.TB, root, dev, driver string) {
	t.Helper()
	dir := filepath.Join(root, "bus", "i2c", "devices", dev)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../bus/i2c/drivers/"+driver, filepath.Join(dir, "driver")); err != nil {
		t.Fatal(err)
	}
}

// BenchSense times Sense of the sensor open returns, with allocations
// reported: a sensor read must make none.
func BenchSense[R any, D Sensor[R]](b *testing.B, open func() (D, error)) {
	b.Helper()
	d, err := open()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Halt()
	var r R
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Sense(&r); err != nil {
			b.Fatal(err)
		}
	}
}

// SkipShort skips a test that does what (builds or runs processes) when
// the tests run with -short, the quick pass a developer makes while
// editing.
func SkipShort(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("%s; skipped with -short", what)
	}
}

// BenchShow times show on the two frames in turn, with allocations
// reported: a picture that changes at every frame, so no write is skipped
// as unchanged, and showing one must allocate nothing.
func BenchShow[F any](b *testing.B, frames [2]F, show func(F) error) {
	b.Helper()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := show(frames[i&1]); err != nil {
			b.Fatal(err)
		}
	}
}

// DeniedBus is an I2C bus the user may not use: every transaction fails
// with EACCES, as i2c-dev's does for a user outside the i2c group.
type DeniedBus struct{}

// String implements i2c.Bus.
func (DeniedBus) String() string { return "denied" }

// Tx implements i2c.Bus.
func (DeniedBus) Tx(uint16, []byte, []byte) error { return syscall.EACCES }

// SetSpeed implements i2c.Bus.
func (DeniedBus) SetSpeed(physic.Frequency) error { return nil }

// WantPermissionHint fails the test unless err, from opening a chip on a
// DeniedBus (what names the call), is a permission error that says how to
// get the permission.
func WantPermissionHint(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "add the user to the i2c group") {
		t.Errorf("%s = %v, want a permission error with the hint to add the user to the i2c group", what, err)
	}
}

// CheckMapping fails the test for every input in want that f (named fn in
// the message) maps to something else than want says.
func CheckMapping[In, Out comparable](t testing.TB, fn string, f func(In) Out, want map[In]Out) {
	t.Helper()
	for in, w := range want {
		if got := f(in); got != w {
			t.Errorf("%s(%#v) = %#v, want %#v", fn, in, got, w)
		}
	}
}
