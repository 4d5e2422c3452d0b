package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// deployDir is deploy/nats of this checkout: the tests run the files a
// user installs, not copies of them.
func deployDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test's source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "deploy", "nats")
}

// leafServer is one nats-server binary to run the Pi's leaf node with.
type leafServer struct{ name, bin string }

// debianServer is where Debian's (and Raspberry Pi OS's) nats-server
// package puts the binary. It is not on a user's PATH ahead of the pinned
// one; tests name it by path.
const debianServer = "/usr/sbin/nats-server"

// leafServers are the versions the leaf configuration is tested with: the
// pinned one, and the one a Pi gets from apt (SENSEHAT_NATS_SERVER_LEAF, or
// Debian's path). A missing Debian server skips that case on a
// workstation and fails it in CI.
func leafServers(t *testing.T) []leafServer {
	t.Helper()
	out := []leafServer{{"pinned", tool(t, "nats-server")}}
	bin := os.Getenv("SENSEHAT_NATS_SERVER_LEAF")
	if bin == "" {
		bin = debianServer
	}
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("%s: %v; install Debian's nats-server (apt-get install nats-server) or set SENSEHAT_NATS_SERVER_LEAF", bin, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Log("leaf with the apt nats-server not tested: " + msg)
		return out
	}
	return append(out, leafServer{"apt", bin})
}

// render writes deploy/nats/<name> with the replacements applied, into dir.
func render(t *testing.T, dir, name string, repl ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(repl); i += 2 {
		if !strings.Contains(s, repl[i]) {
			t.Fatalf("%s has no %q to replace: the test and the file disagree", name, repl[i])
		}
		s = strings.ReplaceAll(s, repl[i], repl[i+1])
	}
	out := filepath.Join(dir, name)
	if err := os.WriteFile(out, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// server is a nats-server process the test can stop and start again with
// the same configuration and store, as systemd would.
type server struct {
	bin, conf string
	env       []string // added to the environment (hub.conf's password)
	port      int
	proc      *process
}

func (s *server) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

func (s *server) start(t *testing.T) {
	t.Helper()
	s.proc = startProcessEnv(t, s.env, s.bin, "-c", s.conf, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port))
	deadline := time.Now().Add(20 * time.Second)
	for {
		nc, err := nats.Connect(s.url(), nats.Timeout(time.Second))
		if err == nil {
			nc.Close()
			return
		}
		select {
		case <-s.proc.waited:
			t.Fatalf("%s exited on start: %v\n%s", s.conf, s.proc.err, s.proc.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not accepting clients within 20s: %v", s.conf, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the server as systemd does (SIGTERM) and waits for it.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.proc.terminate(t, s.conf, 30*time.Second)
}

// fleet is a hub, a Pi's leaf node and the daemon on the simulated HAT
// connected to the leaf, set up from deploy/nats as README describes.
type fleet struct {
	dir       string
	hub, leaf *server
	cli       natsCLI
	daemon    *process
	client    *nats.Conn // to the hub, as the laptop would be
}

const (
	sfID = "pi1"
	// leafPassword is what the hub's environment gives hub.conf, as a
	// systemd drop-in would; the leaf node logs in with it in its URL.
	leafPassword = "leaf-pw-4Yq9"
	leafUser     = "sensehat-leaf" // hub.conf's leaf node user
)

// hubServer is deploy/nats/hub.conf on loopback, with its leaf node port at
// leafPort and the password in its environment.
func hubServer(t *testing.T, dir string, leafPort int) *server {
	t.Helper()
	return &server{bin: tool(t, "nats-server"), port: testutil.FreePort(t), conf: render(t, dir, "hub.conf",
		"0.0.0.0:7422", fmt.Sprintf("127.0.0.1:%d", leafPort),
		"/var/lib/nats/hub", filepath.Join(dir, "hub-store")),
		env: []string{"SENSEHAT_LEAF_PASSWORD=" + leafPassword}}
}

// leafNode is deploy/nats/leaf.conf as setup-pi.sh writes it, dialling
// hubURL.
func leafNode(t *testing.T, dir, bin, hubURL string) *server {
	t.Helper()
	return &server{bin: bin, port: testutil.FreePort(t), conf: render(t, dir, "leaf.conf",
		"@ID@", sfID,
		"@HUB_URL@", hubURL,
		"/var/lib/nats/sensehat", filepath.Join(dir, "leaf-store"))}
}

func startFleet(t *testing.T, leafBin string) *fleet {
	t.Helper()
	f := &fleet{dir: t.TempDir()}
	leafPort := testutil.FreePort(t)
	f.hub = hubServer(t, f.dir, leafPort)
	f.leaf = leafNode(t, f.dir, leafBin, fmt.Sprintf("nats-leaf://%s:%s@127.0.0.1:%d", leafUser, leafPassword, leafPort))
	f.hub.start(t)
	f.leaf.start(t)
	f.cli = natsCLI{bin: tool(t, "nats"), config: t.TempDir()}
	f.explain(t)
	return f
}

// explain logs both streams as the nats CLI shows them (sources, lag,
// errors) when the test has failed, to say why the hub did not catch up.
func (f *fleet) explain(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, s := range []struct{ url, name string }{{f.hub.url(), "SENSEHAT"}, {f.leaf.url(), "SENSEHAT_" + sfID}} {
			cmd := exec.Command(f.cli.bin, "--server", s.url, "stream", "info", s.name)
			cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+f.cli.config, "NATS_CONTEXT=")
			out, err := cmd.CombinedOutput()
			t.Logf("nats stream info %s (%v):\n%s", s.name, err, out)
		}
	})
}

// streams creates both streams with deploy/nats/store-and-forward.sh.
func (f *fleet) streams(t *testing.T) {
	t.Helper()
	script := filepath.Join(deployDir(t), "store-and-forward.sh")
	for _, run := range []struct{ url, role string }{{f.leaf.url(), "pi"}, {f.hub.url(), "hub"}} {
		cmd := exec.Command("sh", script, run.role, sfID)
		cmd.Env = append(os.Environ(), "NATS="+f.cli.bin, "NATS_URL="+run.url,
			"XDG_CONFIG_HOME="+f.cli.config, "NATS_CONTEXT=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("store-and-forward.sh %s %s: %v\n%s", run.role, sfID, err, out)
		}
	}
}

func (f *fleet) startDaemon(t *testing.T, bin string) {
	t.Helper()
	f.daemon = startProcess(t, bin,
		"--display", "none", "--joystick", "none", "--sensors", "sim",
		"--env-interval", "50ms", "--motion-interval", "20ms",
		"--state-dir", filepath.Join(f.dir, "state"), "--resend-window", "10s",
		"--id", sfID, "--nats", f.leaf.url())
	nc := testutil.Connect(t, f.hub.url(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond), nats.RetryOnFailedConnect(true))
	f.client = nc
	f.status(t, 30*time.Second) // the daemon answers through the leaf link
}

// sfStatus is the part of the daemon's status these tests read.
type sfStatus struct {
	Published struct {
		Boot                          string
		Env, Motion, Colour, Joystick uint64
	} `json:"published"`
	Errors struct {
		Counts map[string]uint64 `json:"counts"`
	} `json:"errors"`
}

func (s sfStatus) total() uint64 {
	p := s.Published
	return p.Env + p.Motion + p.Colour + p.Joystick
}

// status asks the daemon, through the hub and the leaf link, retrying
// until it answers within the given time.
func (f *fleet) status(t *testing.T, within time.Duration) sfStatus {
	t.Helper()
	return f.statusOn(t, f.client, within)
}

// statusOn asks through nc (the leaf's clients reach the daemon without
// the hub).
func (f *fleet) statusOn(t *testing.T, nc *nats.Conn, within time.Duration) sfStatus {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		m, err := nc.Request(wire.Subjects{Prefix: wire.DefaultPrefix, ID: sfID}.Status(), nil, time.Second)
		if err == nil && m.Header.Get("Nats-Service-Error-Code") == "" {
			var st sfStatus
			if err := json.Unmarshal(m.Data, &st); err != nil {
				t.Fatalf("status is not JSON: %v\n%s", err, m.Data)
			}
			return st
		}
		select {
		case <-f.daemon.waited:
			t.Fatalf("sensehatd exited: %v", f.daemon.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sensehatd status not answered within %v: %v", within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// streamState is a stream's state, read from the server at url (the
// stream's own server, so no domain is needed).
func streamState(t *testing.T, url, stream string) jetstream.StreamState {
	t.Helper()
	s, ctx, done := openStream(t, url, stream, 10*time.Second)
	defer done()
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s on %s: %v", stream, url, err)
	}
	return info.State
}

// lastID is the Nats-Msg-Id of a stream's newest message, "" when empty.
func lastID(t *testing.T, url, stream string) string {
	t.Helper()
	st := streamState(t, url, stream)
	if st.Msgs == 0 {
		return ""
	}
	s, ctx, done := openStream(t, url, stream, 10*time.Second)
	defer done()
	m, err := s.GetMsg(ctx, st.LastSeq)
	if err != nil {
		t.Fatalf("stream %s seq %d: %v", stream, st.LastSeq, err)
	}
	return m.Header.Get(nats.MsgIdHdr)
}

// reading is one stored message: its stream sequence, subject and
// Nats-Msg-Id split into boot, kind and number.
type reading struct {
	seq        uint64
	subject    string
	boot, kind string
	n          uint64
	data       []byte
}

// readAll reads a whole stream in order with an ordered consumer.
func readAll(t *testing.T, url, stream string) []reading {
	t.Helper()
	s, ctx, done := openStream(t, url, stream, 60*time.Second)
	defer done()
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs == 0 {
		return nil
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []reading
	for len(out) < int(info.State.Msgs) {
		batch, err := c.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			r := reading{seq: md.Sequence.Stream, subject: m.Subject(), data: m.Data()}
			id := m.Headers().Get(nats.MsgIdHdr)
			// <id>-<boot>-<kind>-<n>, parsed from the right (msgid.go).
			parts := strings.Split(id, "-")
			if len(parts) < 4 || strings.Join(parts[:len(parts)-3], "-") != sfID {
				t.Fatalf("stream %s seq %d: Nats-Msg-Id %q, want %s-<boot>-<kind>-<n>", stream, r.seq, id, sfID)
			}
			r.boot, r.kind = parts[len(parts)-3], parts[len(parts)-2]
			if r.n, err = strconv.ParseUint(parts[len(parts)-1], 10, 64); err != nil {
				t.Fatalf("stream %s seq %d: Nats-Msg-Id %q: %v", stream, r.seq, id, err)
			}
			if !json.Valid(r.data) {
				t.Fatalf("stream %s seq %d: payload is not JSON: %q", stream, r.seq, r.data)
			}
			out = append(out, r)
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
		if got == 0 {
			t.Fatalf("stream %s: fetch returned nothing after %d of %d messages", stream, len(out), info.State.Msgs)
		}
	}
	return out
}

// runs groups readings by boot and kind, in stream order, and checks the
// numbers of each group only rise.
func runs(t *testing.T, stream string, rs []reading) map[string][]uint64 {
	t.Helper()
	out := map[string][]uint64{}
	for _, r := range rs {
		k := r.boot + "/" + r.kind
		if prev := out[k]; len(prev) > 0 && r.n <= prev[len(prev)-1] {
			t.Fatalf("stream %s seq %d: %s reading %d after %d: out of order or duplicate", stream, r.seq, k, r.n, prev[len(prev)-1])
		}
		out[k] = append(out[k], r.n)
	}
	return out
}

// openStream opens stream on the server at url (its own server, so no
// domain is needed); ctx bounds the calls to within, and done closes the
// connection. Helpers polled in a loop call done at once, so no
// connection outlives its look.
func openStream(t *testing.T, url, stream string, within time.Duration) (jetstream.Stream, context.Context, func()) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	done := func() { cancel(); nc.Close() }
	js, err := jetstream.New(nc)
	if err != nil {
		done()
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		done()
		t.Fatalf("stream %s on %s: %v", stream, url, err)
	}
	return s, ctx, done
}
