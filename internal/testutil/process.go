package testutil

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// DebianServer is where Debian's (and Raspberry Pi OS's) nats-server
// package puts the binary: what a Pi's leaf node runs (2.9.10 on Debian
// 12).
const DebianServer = "/usr/sbin/nats-server"

// PiServer returns the nats-server binary a Pi's leaf node runs:
// SENSEHAT_NATS_SERVER_LEAF, else DebianServer. Missing, it fails the
// test in CI and returns "" on a workstation (the caller tests the
// embedded server only, and says so).
func PiServer(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("SENSEHAT_NATS_SERVER_LEAF")
	if bin == "" {
		bin = DebianServer
	}
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("%s: %v; install Debian's nats-server (apt-get install nats-server) or set SENSEHAT_NATS_SERVER_LEAF", bin, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Log("the Pi's nats-server not tested: " + msg)
		return ""
	}
	return bin
}

// StartServerProcess runs bin with the configuration conf (written to a
// file of the test's) until the test ends, and waits until it accepts
// connections on addr. Its log is shown when the test fails.
func StartServerProcess(t testing.TB, bin, conf, addr string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "nats-server.conf")
	if err := os.WriteFile(p, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &LogBuffer{}
	cmd := exec.Command(bin, "-c", p)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("%s -c %s:\n%s", bin, p, out.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			t.Fatalf("%s -c %s exited:\n%s", bin, p, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s within 20s:\n%s", bin, addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
