package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
)

// runMainEnv makes the test binary act as sensehatd, so a test can send
// signals to a real process without building a second binary.
const runMainEnv = "SENSEHATD_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// TestStopSignalsClearAndExitZero sends each stop signal to a running
// sensehatd during a scroll: the framebuffer file must be all zero and the
// exit status 0. Before SIGHUP was handled, its default action (terminate,
// signal(7)) killed the process with the matrix lit and NATS not drained.
func TestStopSignalsClearAndExitZero(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a daemon process; skipped with -short")
	}
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			id := "sig" + fmt.Sprint(int(sig))
			fb := filepath.Join(t.TempDir(), "fb0")
			cmd := exec.Command(os.Args[0], "--display", "fb:"+fb, "--joystick", "none", "--sensors", "none",
				"--id", id, "--nats", srv.URL())
			cmd.Env = append(os.Environ(), runMainEnv+"=1")
			var out testutil.LogBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var waitErr error
			exited := make(chan struct{})
			go func() {
				waitErr = cmd.Wait()
				close(exited)
			}()
			defer func() {
				select {
				case <-exited:
				default:
					_ = cmd.Process.Kill()
					<-exited
				}
				if t.Failed() {
					t.Logf("sensehatd output:\n%s", out.String())
				}
			}()

			nc := testutil.Connect(t, srv.URL())
			deadline := time.Now().Add(20 * time.Second)
			for {
				m, err := nc.Request("sensehat."+id+".status", nil, 500*time.Millisecond)
				if err == nil && m.Header.Get("Nats-Service-Error-Code") == "" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("sensehatd never answered status within 20s: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			// The requester waits for the text to be shown; a clean stop
			// answers it before NATS is drained and closed.
			inbox := nc.NewRespInbox()
			replies := testutil.SubscribeSync(t, nc, inbox)
			if err := nc.PublishRequest("sensehat."+id+".led.text", inbox, []byte(`{"text":"a long text that scrolls for a good while","speed":5}`)); err != nil {
				t.Fatal(err)
			}
			lit := false
			for deadline := time.Now().Add(10 * time.Second); !lit && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				b, err := os.ReadFile(fb)
				lit = err == nil && len(b) == 128 && !allZero(b)
			}
			if !lit {
				t.Fatal("the framebuffer file never lit up")
			}

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-exited:
				var ee *exec.ExitError
				if errors.As(waitErr, &ee) {
					t.Errorf("sensehatd after %v: %v, want exit status 0", sig, waitErr)
				} else if waitErr != nil {
					t.Fatal(waitErr)
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("sensehatd still running 15s after %v", sig)
			}
			b, err := os.ReadFile(fb)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != 128 || !allZero(b) {
				t.Errorf("framebuffer after %v = % x, want 128 zero bytes", sig, b)
			}
			if !strings.Contains(out.String(), "msg=stopping") {
				t.Errorf("no clean stop in the log after %v", sig)
			}
			m, err := replies.NextMsg(5 * time.Second)
			if err != nil {
				t.Fatalf("the waiting requester got no reply after %v: %v", sig, err)
			}
			if !strings.Contains(string(m.Data), `"displayed":false`) {
				t.Errorf("reply after %v = %s, want displayed:false", sig, m.Data)
			}
		})
	}
}

// TestBadCAExitsOneWithoutReady runs sensehatd under a fake systemd (a
// unixgram socket named by $NOTIFY_SOCKET, as sd_notify(3) describes) with
// a --tlsca file that is not PEM: it must exit 1 with an error naming the
// flag, and never send READY=1, so systemd reports a failed start.
func TestBadCAExitsOneWithoutReady(t *testing.T) {
	dir, err := os.MkdirTemp("", "sd") // sun_path holds 108 bytes (unix(7))
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "--display", "fb:"+filepath.Join(t.TempDir(), "fb0"), "--joystick", "none", "--sensors", "none",
		"--nats", "tls://127.0.0.1:1", "--tlsca", ca)
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "NOTIFY_SOCKET="+sock)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("sensehatd with a bad --tlsca: %v, want exit status 1; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "--tlsca "+ca+" is not PEM") {
		t.Errorf("output does not name the flag and the file:\n%s", out)
	}
	if err := conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			break // nothing more was sent
		}
		if strings.Contains(string(buf[:n]), "READY=1") {
			t.Errorf("READY=1 sent by a daemon that exits 1")
		}
	}
}
