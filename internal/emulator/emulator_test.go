package emulator

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
)

// startEmulator runs the daemon and the page against a fresh embedded
// server, both on free loopback ports, until the test ends.
func startEmulator(t *testing.T, envInterval time.Duration) (*Emulator, *testutil.Server) {
	t.Helper()
	ns := testutil.StartServer(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := SimConfig("emu", ns.URL(), t.TempDir())
	cfg.EnvInterval = envInterval
	e := &Emulator{
		Config:   cfg,
		Log:      slog.New(slog.DiscardHandler),
		Listener: ln,
		Ready:    make(chan struct{}),
	}
	testutil.GoReady(t, "the emulator", e.Ready, e.Run)
	return e, ns
}
