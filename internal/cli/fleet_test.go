package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFleetHelpAndList(t *testing.T) {
	var out, errb bytes.Buffer
	app := &App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if rc := app.Run(context.Background(), []string{"fleet", "--help"}); rc != 0 {
		t.Fatalf("fleet --help: exit %d: %s", rc, errb.String())
	}
	for _, want := range []string{"fleet init DIR", "fleet add ID", "fleet remove NAME", "fleet creds ROLE NAME", "fleet list",
		"admin", "operator", "homeassistant", "web", "reader", "2.14.0", "creds/NAME.creds"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("fleet --help does not mention %q", want)
		}
	}
	dir := filepath.Join(t.TempDir(), "fleet")
	run := func(args ...string) string {
		t.Helper()
		out.Reset()
		errb.Reset()
		if rc := app.Run(context.Background(), args); rc != 0 {
			t.Fatalf("sensehat %s: exit %d: %s%s", strings.Join(args, " "), rc, out.String(), errb.String())
		}
		return out.String()
	}
	run("fleet", "init", dir, "--store", t.TempDir(), "--leaf-host", "127.0.0.1", "--nats-server", "no-such-nats-server")
	run("fleet", "add", "pi1", "--dir", dir, "--offline")
	run("fleet", "creds", "reader", "rita", "--dir", dir, "--offline")
	list := run("fleet", "list", "--dir", dir)
	for _, want := range []string{"pi1", "device", "rita", "reader", "0 revoked"} {
		if !strings.Contains(list, want) {
			t.Errorf("fleet list lacks %q:\n%s", want, list)
		}
	}
	if rc := app.Run(context.Background(), []string{"fleet", "creds", "device", "x", "--dir", dir, "--offline"}); rc == 0 {
		t.Error("fleet creds device: accepted; devices come from fleet add")
	}
	if rc := app.Run(context.Background(), []string{"fleet", "add", "all", "--dir", dir, "--offline"}); rc == 0 {
		t.Error("fleet add all: accepted a reserved id")
	}
	// Debian bookworm's nats-server (2.9.10), where there is one: too old
	// for a hub, and init says why.
	if _, err := os.Stat("/usr/sbin/nats-server"); err == nil {
		errb.Reset()
		rc := app.Run(context.Background(), []string{"fleet", "init", filepath.Join(t.TempDir(), "f"), "--nats-server", "/usr/sbin/nats-server"})
		if rc == 0 || !strings.Contains(errb.String(), "2.14.0") {
			t.Errorf("fleet init with Debian's nats-server: exit %d, %q; want a refusal naming 2.14.0", rc, errb.String())
		}
	}
}
