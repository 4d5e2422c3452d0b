package fleetid_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sensehat/sensehat/internal/fleetid"
	"github.com/sensehat/sensehat/internal/testutil"
)

// A revocation outlives a hub restart: the full resolver keeps the pushed
// account JWT, and hub.conf preloads the newest one too.
func TestRevocationSurvivesRestart(t *testing.T) {
	testutil.SkipShort(t, "starts nats-server processes")
	hubBin := pinnedServer(t)
	if err := fleetid.CheckHubBinary(context.Background(), hubBin); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	fdir := filepath.Join(root, "fleet")
	port := testutil.FreePort(t)
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	runCLI(t, "fleet", "init", fdir, "--store", filepath.Join(root, "store"),
		"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--leaf-listen", fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)),
		"--mqtt-listen", "", "--http", fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)), "--hub-url", url,
		"--leaf-host", "127.0.0.1", "--nats-server", hubBin)
	runCLI(t, "fleet", "add", "pi1", "--dir", fdir, "--offline")
	f, err := fleetid.Open(fdir)
	if err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(root, "pi1.creds")
	b, err := os.ReadFile(f.CredsPath("pi1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kept, b, 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(fdir, "hub", fleetid.HubConf)
	// The hub as it was configured before the removal: only the resolver's
	// store can know about it after the restart.
	before := filepath.Join(root, "hub-before.conf")
	cb, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(before, cb, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	stop := startStoppable(t, hubBin, before, addr)
	c, err := tryDial(url, kept)
	if err != nil {
		t.Fatalf("pi1 before fleet remove: %v", err)
	}
	c.Close()
	runCLI(t, "fleet", "remove", "pi1", "--dir", fdir)
	stop()
	startServer(t, hubBin, before, addr)
	if c, err := tryDial(url, kept); err == nil {
		c.Close()
		t.Fatal("pi1, removed, logged in again after the hub restarted with its old configuration")
	} else {
		t.Logf("pi1 after fleet remove and a hub restart: %v", err)
	}
}
