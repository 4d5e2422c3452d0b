package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/testutil"
)

// Versions .ci/run pins; the hint below names them so a CI failure says
// exactly what to install.
const (
	natsServerVersion = "v2.15.2"
	natsCLIVersion    = "v0.5.1"
)

// toolsBin is where .ci/run installs the pinned tools.
func toolsBin() string {
	if d := os.Getenv("SENSEHAT_TOOLS"); d != "" {
		return filepath.Join(d, "bin")
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "sensehat-tools", "bin")
}

// tool finds name on PATH, then in the tools cache. A missing tool skips
// the test on a workstation but fails it in CI, where a skip would hide
// that the end-to-end check never ran.
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if dir := toolsBin(); dir != "" {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	hint := fmt.Sprintf("%s not found on PATH or in %s; install it with\n"+
		"  GOBIN=%s go install github.com/nats-io/nats-server/v2@%s\n"+
		"  GOBIN=%s go install github.com/nats-io/natscli/nats@%s\n"+
		"or run .ci/run once, which installs both", name, toolsBin(),
		toolsBin(), natsServerVersion, toolsBin(), natsCLIVersion)
	if os.Getenv("CI") == "true" {
		t.Fatal(hint)
	}
	t.Skip(hint)
	return ""
}

// process is a child the test started; stopping it twice is harmless.
type process struct {
	cmd    *exec.Cmd
	out    *testutil.LogBuffer
	waited chan struct{}
	err    error
}

func startProcess(t *testing.T, name string, args ...string) *process {
	t.Helper()
	return startProcessEnv(t, nil, name, args...)
}

// startProcessEnv is startProcess with env added to this process's
// environment.
func startProcessEnv(t *testing.T, env []string, name string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(name, args...), out: &testutil.LogBuffer{}, waited: make(chan struct{})}
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.waited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.waited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.waited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(name), p.out.String())
		}
	})
	return p
}

// terminate sends the process SIGTERM, as systemd stops a service, and
// waits up to within for it to exit; what names it in the failure.
func (p *process) terminate(t *testing.T, what string, within time.Duration) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.waited:
	case <-time.After(within):
		t.Fatalf("%s still running %v after SIGTERM", what, within)
	}
}

// buildDaemon builds cmd/sensehatd into dir, as a user would.
func buildDaemon(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not on PATH; cannot build sensehatd")
	}
	bin := filepath.Join(dir, "sensehatd")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/sensehat/sensehat/cmd/sensehatd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build sensehatd: %v\n%s", err, out)
	}
	return bin
}

// natsCLI runs the nats CLI against url with a private config directory,
// so a context the user selected on this machine cannot redirect it.
type natsCLI struct {
	bin, url, config string
}

func (c natsCLI) run(t *testing.T, args ...string) (stdout string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"--server", c.url}, args...)...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+c.config, "NATS_CONTEXT=")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		t.Fatalf("nats %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, so.String(), se.String())
	}
	return so.String()
}

// frameBytes reads the fb file: 128 bytes of RGB565 once the daemon has
// opened it.
func frameBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the framebuffer file: %v", err)
	}
	return b
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// waitFrame polls the fb file until ok reports what the test waits for.
// The deadline is generous: it bounds a hang, it does not measure speed.
func waitFrame(t *testing.T, path string, within time.Duration, what string, ok func([]byte) bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		b := frameBytes(t, path)
		if len(b) == 128 && ok(b) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("framebuffer file never %s within %v (%d bytes: % x)", what, within, len(b), b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestProcessWithNATSCLI is the README's story with real processes: a
// nats-server, the built daemon on a file framebuffer, and the nats CLI.
func TestProcessWithNATSCLI(t *testing.T) {
	testutil.SkipShort(t, "builds and runs processes")
	serverBin := tool(t, "nats-server")
	cli := natsCLI{bin: tool(t, "nats"), config: t.TempDir()}
	dir := t.TempDir()
	daemonBin := buildDaemon(t, dir)

	port := testutil.FreePort(t)
	cli.url = fmt.Sprintf("nats://127.0.0.1:%d", port)
	startProcess(t, serverBin, "-a", "127.0.0.1", "-p", fmt.Sprint(port))
	fbPath := filepath.Join(dir, "fb0")
	d := startProcess(t, daemonBin,
		"--display", "fb:"+fbPath, "--joystick", "none", "--sensors", "none",
		"--id", "pi1", "--nats", cli.url)

	// The daemon retries until the server is up, so wait on the status
	// endpoint rather than on either process's log.
	nc := testutil.Connect(t, cli.url, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, err := nc.Request("sensehat.pi1.status", nil, 500*time.Millisecond)
		if err == nil && m.Header.Get("Nats-Service-Error-Code") == "" {
			break
		}
		select {
		case <-d.waited:
			t.Fatalf("sensehatd exited before serving: %v", d.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sensehatd never answered status within 20s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Run("status", func(t *testing.T) {
		out := cli.run(t, "req", "sensehat.pi1.status", "")
		var st struct {
			ID       string `json:"id"`
			Backends struct {
				Display, Joystick, Sensors string
			} `json:"backends"`
			NATS struct {
				Connected bool `json:"connected"`
			} `json:"nats"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &st); err != nil {
			t.Fatalf("status reply is not JSON: %v\n%s", err, out)
		}
		if !strings.Contains(out, `"id":"pi1"`) || st.ID != "pi1" {
			t.Errorf(`status has no "id":"pi1": %s`, out)
		}
		if st.Backends.Display != "fb:"+fbPath || st.Backends.Joystick != "none" || st.Backends.Sensors != "none" {
			t.Errorf("backends = %+v, want fb:%s, none, none", st.Backends, fbPath)
		}
		if !st.NATS.Connected {
			t.Error("status says NATS is not connected, yet it answered over NATS")
		}
	})

	t.Run("micro", func(t *testing.T) {
		ls := cli.run(t, "micro", "ls")
		if !strings.Contains(ls, "sensehat") || !strings.Contains(ls, "pi1") {
			t.Errorf("nats micro ls does not list the sensehat service of pi1:\n%s", ls)
		}
		info := cli.run(t, "micro", "info", "sensehat")
		for _, want := range []string{
			"sensehat.pi1.led.text", "sensehat.pi1.led.pixels", "sensehat.pi1.led.clear",
			"sensehat.pi1.led.config", "sensehat.pi1.status",
			"id: pi1", "display: fb:" + fbPath,
		} {
			if !strings.Contains(info, want) {
				t.Errorf("nats micro info sensehat lacks %q:\n%s", want, info)
			}
		}
	})

	t.Run("text lights the framebuffer then clears", func(t *testing.T) {
		waitFrame(t, fbPath, 5*time.Second, "became blank before the text", allZero)
		cli.run(t, "pub", "sensehat.pi1.led.text", "hello")
		waitFrame(t, fbPath, 10*time.Second, "lit up", func(b []byte) bool { return !allZero(b) })
		// "hello" is about 25 columns plus 8 to leave the screen at 10
		// columns a second: a few seconds.
		waitFrame(t, fbPath, 30*time.Second, "went back to all zero", allZero)
	})

	t.Run("SIGTERM during a scroll", func(t *testing.T) {
		cli.run(t, "pub", "sensehat.pi1.led.text", `{"text":"a long message that scrolls for a good while","speed":5}`)
		waitFrame(t, fbPath, 10*time.Second, "lit up", func(b []byte) bool { return !allZero(b) })
		sent := time.Now()
		d.terminate(t, "sensehatd", 15*time.Second)
		if took := time.Since(sent); took > 2*time.Second {
			t.Errorf("sensehatd took %v to exit after SIGTERM, want < 2s", took)
		}
		if d.err != nil {
			t.Errorf("sensehatd exit after SIGTERM: %v, want status 0", d.err)
		}
		if b := frameBytes(t, fbPath); len(b) != 128 || !allZero(b) {
			t.Errorf("framebuffer after SIGTERM = % x, want 128 zero bytes", b)
		}
	})
}
