package emulator

import (
	"context"
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Run did not return 15s after cancel")
		}
	})
	select {
	case <-e.Ready:
	case err := <-done:
		t.Fatalf("Run ended before ready: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("emulator not ready in 15s")
	}
	return e, ns
}
