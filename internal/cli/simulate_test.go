package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
)

// `sensehat simulate` serves devices that `sensehat status` lists, and
// stops when its context ends.
func TestSimulateThenStatus(t *testing.T) {
	testutil.CheckLeaks(t)
	s := testutil.StartServer(t, nil)
	var out, errOut testutil.LogBuffer
	a := &App{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- a.Run(ctx, []string{"simulate", "--nats", s.URL(), "--devices", "3", "--first", "11"}) }()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("simulate exited %d: %s", code, errOut.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("simulate did not stop within 20s of its context ending")
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "simulating 3 devices, sim-0011 to sim-0013") {
		if time.Now().After(deadline) {
			t.Fatalf("simulate did not say it serves: %q %q", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, stdout, stderr := run(context.Background(), "status", "--nats", s.URL())
	if code != 0 {
		t.Fatalf("status exited %d: %s", code, stderr)
	}
	for _, id := range []string{"sim-0011", "sim-0012", "sim-0013"} {
		if !strings.Contains(stdout, id) {
			t.Errorf("status does not list %s:\n%s", id, stdout)
		}
	}
}

func TestSimulateRefusesNoDevices(t *testing.T) {
	code, _, stderr := run(context.Background(), "simulate", "--devices", "0")
	if code != 1 || !strings.Contains(stderr, "give 1 to") {
		t.Errorf("simulate --devices 0: exit %d, %q", code, stderr)
	}
}
