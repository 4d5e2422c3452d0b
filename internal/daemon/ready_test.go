package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/testutil"
)

// fakeSystemd listens where sd_notify(3) sends: a unixgram socket named by
// $NOTIFY_SOCKET. It sets the variable for the test, so the daemon's own
// Systemd notifier (go-systemd's SdNotify) talks to it.
type fakeSystemd struct{ conn *net.UnixConn }

func newFakeSystemd(t *testing.T) *fakeSystemd {
	t.Helper()
	// sun_path holds 108 bytes (unix(7)); t.TempDir can be longer.
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return &fakeSystemd{conn: conn}
}

// states returns what was sent until nothing more comes within quiet.
func (s *fakeSystemd) states(t *testing.T, quiet time.Duration) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 4096)
	for {
		if err := s.conn.SetReadDeadline(time.Now().Add(quiet)); err != nil {
			t.Fatal(err)
		}
		n, err := s.conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return out
			}
			t.Fatal(err)
		}
		out = append(out, strings.Split(string(buf[:n]), "\n")...)
	}
}

// waitState waits until state is sent.
func (s *fakeSystemd) waitState(t *testing.T, state string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, st := range s.states(t, 100*time.Millisecond) {
			if st == state {
				return
			}
		}
	}
	t.Fatalf("%s not sent within %v", state, within)
}

// TestBadLocalFileEndsStartBeforeReady: a certificate, key, creds or nkey
// file that is missing or not what its flag wants ends Run with an error
// naming the flag, and systemd never hears READY=1 (so the unit fails to
// start, instead of starting and dying). A good start through the same
// socket shows the fake systemd does hear READY=1.
func TestBadLocalFileEndsStartBeforeReady(t *testing.T) {
	testutil.CheckLeaks(t)
	sd := newFakeSystemd(t)
	srv := testutil.StartServer(t, nil)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(cfg config.Config) (context.CancelFunc, <-chan error) {
		d := &Daemon{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		return cancel, done
	}
	for _, tc := range []struct {
		name string
		set  func(*config.Config)
		want []string
	}{
		{"tlsca missing", func(c *config.Config) { c.TLSCA = missing }, []string{"--tlsca", missing, "give the CA certificate"}},
		{"tlsca not PEM", func(c *config.Config) { c.TLSCA = notPEM }, []string{"--tlsca " + notPEM + " is not PEM"}},
		{"tlscert and tlskey not PEM", func(c *config.Config) { c.TLSCert, c.TLSKey = notPEM, notPEM }, []string{"--tlscert " + notPEM, "--tlskey " + notPEM}},
		{"creds missing", func(c *config.Config) { c.Creds = missing }, []string{"--creds", missing}},
		{"nkey not a seed", func(c *config.Config) { c.NKey = notPEM }, []string{"--nkey " + notPEM}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := simConfig(t, srv.URL(), "pi1")
			tc.set(&cfg)
			cancel, done := run(cfg)
			defer cancel()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run still running with a bad file")
			}
			if err == nil {
				t.Fatal("Run = nil")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, st := range sd.states(t, 200*time.Millisecond) {
				if st == "READY=1" {
					t.Errorf("READY=1 sent before the error %q", err)
				}
			}
		})
	}

	cancel, done := run(simConfig(t, srv.URL(), "pi1"))
	sd.waitState(t, "READY=1", 10*time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("a good start stopped with %v", err)
	}
}

// TestNoServerIsAWarningAtOnce: with nothing listening at --nats, the
// daemon starts (READY: the server may come later) and says so at WARN,
// the default level, from the first attempt, not after 20 s of silence.
func TestNoServerIsAWarningAtOnce(t *testing.T) {
	testutil.CheckLeaks(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "nats://" + l.Addr().String()
	l.Close() // refused from now on
	var log testutil.LogBuffer
	r := startWith(t, simConfig(t, url, "pi1"), startOpts{log: &log, level: slog.LevelInfo})
	line := log.WaitLog(t, 5*time.Second, "level=WARN", "cannot reach the NATS server", "failed_attempts=1 ")
	if !strings.Contains(line, "server="+url) {
		t.Errorf("warning %q does not name the server", line)
	}
	if r.notify.count("READY=1") != 1 {
		t.Error("no READY=1 while the server is away")
	}
}
