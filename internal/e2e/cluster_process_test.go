package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/simulate"
	"github.com/sensehat/sensehat/internal/testutil"
)

// hubCluster is deploy/nats/cluster as local.sh renders it for one
// machine: three hub nodes and a Pi's leaf node listing all three.
type hubCluster struct {
	dir   string
	base  int
	nodes [3]*server
	leaf  *server
	cli   natsCLI
}

// clusterPassword is the leaf password of the rendered configurations
// (local.sh puts it in the leaf's URLs, the nodes read it from their
// environment as a systemd drop-in would give it).
const clusterPassword = "cluster-pw-7Rk2"

// freeBase finds BASE for local.sh: the 31 loopback ports it uses from
// there (clients, routes, leaf nodes, the Pi's leaf) were all free a
// moment ago. The blocks lie below Linux's ephemeral range (32768 and
// up), where the connections of the other tests of a busy run take their
// local ports.
func freeBase(t *testing.T) int {
	t.Helper()
	var last error
	for try := 0; try < 400; try++ {
		base := 10000 + (os.Getpid()*7+try*131)%22000
		ok := true
		for off := 0; off <= 30 && ok; off++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+off))
			if err != nil {
				last, ok = err, false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatalf("no block of 31 free loopback ports found (last: %v)", last)
	return 0
}

// clusterScript runs a script of deploy/nats/cluster with env added.
func clusterScript(t *testing.T, env []string, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command("sh", append([]string{filepath.Join(deployDir(t), "cluster", script)}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startHubCluster renders the configurations with local.sh, starts the
// three nodes and the Pi's leaf node (leafBin), creates the Pi's stream
// with store-and-forward.sh and the hub stream with streams.sh (env
// overrides the limits). It returns once streams.sh succeeded and the leaf
// node is connected.
func startHubCluster(t *testing.T, leafBin string, streamEnv ...string) *hubCluster {
	t.Helper()
	c := &hubCluster{dir: t.TempDir(), base: freeBase(t)}
	c.cli = natsCLI{bin: tool(t, "nats"), config: t.TempDir()}
	env := []string{"SENSEHAT_LEAF_PASSWORD=" + clusterPassword, "SENSEHAT_ID=" + sfID}
	clusterScript(t, env, "local.sh", "render", c.dir, strconv.Itoa(c.base))
	bin := tool(t, "nats-server")
	for i := range c.nodes {
		c.nodes[i] = &server{bin: bin, port: c.base + i, conf: filepath.Join(c.dir, fmt.Sprintf("hub-%d.conf", i+1)),
			env: []string{"SENSEHAT_LEAF_PASSWORD=" + clusterPassword}}
	}
	// Concurrently: a node waits for the others before its JetStream is
	// ready, not before it takes clients, so in turn would do too; this is
	// how three machines booting together start.
	for _, n := range c.nodes {
		n.start(t)
	}
	c.leaf = &server{bin: leafBin, port: c.base + 30, conf: filepath.Join(c.dir, "leaf-"+sfID+".conf")}
	c.leaf.start(t)
	c.explain(t)

	cliEnv := []string{"NATS=" + c.cli.bin, "XDG_CONFIG_HOME=" + c.cli.config, "NATS_CONTEXT="}
	clusterScript(t, append(cliEnv, "NATS_URL="+c.leaf.url()), "../store-and-forward.sh", "pi", sfID)
	// The cluster elects its JetStream meta leader after the routes are
	// up: streams.sh is retried until it can create the streams.
	deadline := time.Now().Add(60 * time.Second)
	for {
		cmd := exec.Command("sh", filepath.Join(deployDir(t), "cluster", "streams.sh"), sfID)
		cmd.Env = append(append(append(os.Environ(), cliEnv...), "NATS_URL="+c.urls()), streamEnv...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("streams.sh %s: %v\n%s", sfID, err, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	testutil.WaitFor(t, 30*time.Second, "the leaf node connected to a hub node", func() bool { return c.leafNode() >= 0 })
	return c
}

// urls lists the three nodes, as a client of the cluster is given them.
func (c *hubCluster) urls() string {
	u := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		u[i] = n.url()
	}
	return strings.Join(u, ",")
}

var leafConnected = regexp.MustCompile(`127\.0\.0\.1:(\d+) - lid:\d+ - Leafnode connection created`)

// leafNode is the index of the node the leaf is connected to now, from the
// leaf's log (the last connection it made, if not closed since); -1 when
// none.
func (c *hubCluster) leafNode() int {
	log := c.leaf.proc.out.String()
	m := leafConnected.FindAllStringSubmatchIndex(log, -1)
	if len(m) == 0 {
		return -1
	}
	last := m[len(m)-1]
	if strings.Contains(log[last[1]:], "Leafnode connection closed") {
		return -1
	}
	port, _ := strconv.Atoi(log[last[2]:last[3]])
	i := port - (c.base + 20)
	if i < 0 || i > 2 {
		return -1
	}
	return i
}

// explain logs the hub stream as the nats CLI shows them (sources, lag,
// replicas) when the test failed.
func (c *hubCluster) explain(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, s := range []string{"SENSEHAT"} {
			cmd := exec.Command(c.cli.bin, "--server", c.urls(), "stream", "info", s)
			cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+c.cli.config, "NATS_CONTEXT=")
			out, err := cmd.CombinedOutput()
			t.Logf("nats stream info %s (%v):\n%s", s, err, out)
		}
	})
}

// streamInfo reads a hub stream's configuration and state, retrying for
// up to 30 s: after a node is lost, the stream's (and JetStream's) leader
// may be elected again first.
func (c *hubCluster) streamInfo(t *testing.T, name string) *jetstream.StreamInfo {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := c.tryStreamInfo(name)
		if err == nil {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s on %s: %v", name, c.urls(), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *hubCluster) tryStreamInfo(name string) (*jetstream.StreamInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, done, err := c.stream(ctx, name)
	if err != nil {
		return nil, err
	}
	defer done()
	return s.Info(ctx)
}

// jetStream connects a client to the cluster; call done when through
// with it.
func (c *hubCluster) jetStream() (js jetstream.JetStream, done func(), err error) {
	nc, err := nats.Connect(c.urls())
	if err != nil {
		return nil, nil, err
	}
	if js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, nil, err
	}
	return js, nc.Close, nil
}

// leafJetStream connects a client to the Pi's leaf node until the test
// ends and returns the JetStream of the Pi's domain.
func (c *hubCluster) leafJetStream(t *testing.T, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.NewWithDomain(testutil.Connect(t, c.leaf.url(), opts...), "sensehat-"+sfID)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// stream connects a client to the cluster and looks up the stream name;
// call done when through with it.
func (c *hubCluster) stream(ctx context.Context, name string) (s jetstream.Stream, done func(), err error) {
	js, done, err := c.jetStream()
	if err != nil {
		return nil, nil, err
	}
	if s, err = js.Stream(ctx, name); err != nil {
		done()
		return nil, nil, err
	}
	return s, done, nil
}

// The cluster of deploy/nats/cluster, three nats-server processes on
// loopback as local.sh renders them, with a Pi's leaf node listing all
// three: the hub stream is replicated on the three nodes; then, while
// the Pi's stream takes about 150 readings a second, the node the leaf is
// connected to is killed (SIGKILL, as a power cut). The leaf must be
// connected to another node within 10 s (the bound), and once the
// load stops the hub stream must hold every reading stored on the Pi,
// by kind, each once: the Nats-Msg-Id numbers each kind's readings 1..n,
// so a gap or a repeat is seen.
func TestHubClusterNodeKilledUnderLoad(t *testing.T) {
	for _, ls := range leafServers(t) {
		t.Run("leaf="+ls.name, func(t *testing.T) {
			c := startHubCluster(t, ls.bin)
			for _, name := range []string{"SENSEHAT"} {
				info := c.streamInfo(t, name)
				if info.Config.Replicas != 3 || info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != 2 {
					t.Fatalf("stream %s: replicas %d, cluster %+v; want 3 replicas: a leader and two others", name, info.Config.Replicas, info.Cluster)
				}
			}

			js := c.leafJetStream(t, nats.MaxReconnects(-1))
			// The load: what sensehatd publishes, with its message ids,
			// stored by the Pi's stream (acknowledged) before counted.
			kinds := []struct{ kind, subject string }{
				{"env", "sensehat." + sfID + ".sensors.env"},
				{"motion", "sensehat." + sfID + ".sensors.motion"},
				{"motion", "sensehat." + sfID + ".sensors.motion"},
				{"joystick", "sensehat." + sfID + ".joystick.up"},
			}
			counts := map[string]uint64{}
			var mu sync.Mutex
			ctx, stop := context.WithCancel(context.Background())
			loadDone := make(chan error, 1)
			go func() {
				for i := 0; ctx.Err() == nil; i++ {
					k := kinds[i%len(kinds)]
					mu.Lock()
					n := counts[k.kind] + 1
					mu.Unlock()
					id := fmt.Sprintf("%s-b1-%s-%d", sfID, k.kind, n)
					pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					_, err := js.Publish(pctx, k.subject, []byte(fmt.Sprintf(`{"n":%d}`, n)), jetstream.WithMsgID(id))
					cancel()
					if err != nil {
						if ctx.Err() != nil {
							break
						}
						loadDone <- fmt.Errorf("publishing %s to the Pi's stream: %w", id, err)
						return
					}
					mu.Lock()
					counts[k.kind] = n
					mu.Unlock()
					time.Sleep(6 * time.Millisecond)
				}
				loadDone <- nil
			}()
			defer stop()

			time.Sleep(3 * time.Second)
			victim := c.leafNode()
			if victim < 0 {
				t.Fatal("the leaf node is not connected to any hub node")
			}
			leader := c.streamInfo(t, "SENSEHAT").Cluster.Leader
			t.Logf("killing sensehat-hub-%d, the leaf's node (the SENSEHAT stream's leader is %s)", victim+1, leader)
			if err := c.nodes[victim].proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed := time.Now()
			<-c.nodes[victim].proc.waited
			// The leaf notices the lost connection and dials the next URL.
			deadline := killed.Add(10 * time.Second)
			for {
				if n := c.leafNode(); n >= 0 && n != victim {
					t.Logf("the leaf node reconnected to sensehat-hub-%d %v after the kill", n+1, time.Since(killed).Round(10*time.Millisecond))
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the leaf node did not reconnect to another hub node within 10s of the kill")
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(3 * time.Second)
			stop()
			if err := <-loadDone; err != nil {
				t.Fatal(err)
			}
			// What the Pi's stream holds is what must reach the hub: a
			// publish cut short by stop() may be stored without its ack
			// counted.
			want := map[string]uint64{}
			pctx, pcancel := context.WithTimeout(context.Background(), 10*time.Second)
			ps, err := js.Stream(pctx, "SENSEHAT_"+sfID)
			if err != nil {
				pcancel()
				t.Fatal(err)
			}
			pinfo, err := ps.Info(pctx, jetstream.WithSubjectFilter(">"))
			pcancel()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range kinds {
				want[k.kind] = pinfo.State.Subjects[k.subject]
			}
			mu.Lock()
			for k, acked := range counts {
				if want[k] < acked || want[k] > acked+1 {
					t.Errorf("the Pi's stream holds %d %s readings, %d acknowledged", want[k], k, acked)
				}
			}
			mu.Unlock()
			t.Logf("stored on the Pi: %v", want)

			// Every reading reaches the hub stream (sourcing resumes on
			// the two nodes left); the bound is a hang guard.
			streams := map[string][]string{"SENSEHAT": {"env", "joystick", "motion"}}
			caughtUp := time.Now()
			for name, ks := range streams {
				var total uint64
				for _, k := range ks {
					total += want[k]
				}
				testutil.WaitFor(t, 120*time.Second, fmt.Sprintf("stream %s holding all %d readings", name, total), func() bool {
					return c.streamInfo(t, name).State.Msgs >= total
				})
			}
			t.Logf("the hub stream held every reading %v after the load stopped (%v after the kill)",
				time.Since(caughtUp).Round(10*time.Millisecond), time.Since(killed).Round(10*time.Millisecond))
			for name, ks := range streams {
				rs := c.readAll(t, name)
				got := runs(t, name, rs) // fails on a repeat or disorder
				for _, k := range ks {
					ns := got["b1/"+k]
					if uint64(len(ns)) != want[k] || (len(ns) > 0 && (ns[0] != 1 || ns[len(ns)-1] != want[k])) {
						t.Errorf("stream %s: %d %s readings (%d..%d), want 1..%d once each", name, len(ns), k, first(ns), lastOf(ns), want[k])
					}
				}
				if uint64(len(rs)) != func() (s uint64) {
					for _, k := range ks {
						s += want[k]
					}
					return s
				}() {
					t.Errorf("stream %s holds %d messages: some are not the Pi's readings of its kinds", name, len(rs))
				}
			}
			// Still three replicas, one of them lost: the stream has a
			// leader among the two nodes left.
			info := c.streamInfo(t, "SENSEHAT")
			if info.Cluster == nil || info.Cluster.Leader == "" || info.Cluster.Leader == fmt.Sprintf("sensehat-hub-%d", victim+1) {
				t.Errorf("after the kill the SENSEHAT stream's cluster is %+v; want a leader on a live node", info.Cluster)
			}
		})
	}
}

func lastOf(ns []uint64) uint64 {
	if len(ns) == 0 {
		return 0
	}
	return ns[len(ns)-1]
}

// readAll reads a hub stream message by message (direct gets, which any
// replica answers), retrying each for a while: just after a node is lost,
// a request may find no responder until the stream's leader is elected
// again. Message ids are parsed as readAll (storeforward) does.
func (c *hubCluster) readAll(t *testing.T, name string) []reading {
	t.Helper()
	info := c.streamInfo(t, name)
	js, done, err := c.jetStream()
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	var out []reading
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		var m *jetstream.RawStreamMsg
		deadline := time.Now().Add(30 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			s, err := js.Stream(ctx, name)
			if err == nil {
				m, err = s.GetMsg(ctx, seq)
			}
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("stream %s seq %d: %v", name, seq, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		r := reading{seq: seq, subject: m.Subject, data: m.Data}
		id := m.Header.Get(nats.MsgIdHdr)
		parts := strings.Split(id, "-")
		if len(parts) < 4 || strings.Join(parts[:len(parts)-3], "-") != sfID {
			t.Fatalf("stream %s seq %d: Nats-Msg-Id %q, want %s-<boot>-<kind>-<n>", name, seq, id, sfID)
		}
		r.boot, r.kind = parts[len(parts)-3], parts[len(parts)-2]
		if r.n, err = strconv.ParseUint(parts[len(parts)-1], 10, 64); err != nil {
			t.Fatalf("stream %s seq %d: Nats-Msg-Id %q: %v", name, seq, id, err)
		}
		out = append(out, r)
	}
	return out
}

// Retention by kind (deploy/nats/cluster/streams.sh), with its limits
// scaled down so a test fills them: 20 readings per subject (by default
// 864,000, a day of motion at ten a second) and 8 s (by default a week).
// A Pi floods env, colour and motion after five joystick presses: each
// kind of the device keeps its own 20, the presses survive the flood of
// the other kinds, the newest are the ones kept, and everything ages out
// after 8 s. The limits are nats-server's (the expected counts are the
// configured ones, enforced by the server, not by our code); the test
// checks that streams.sh configures them, with the budget formula of
// docs/hub-cluster.md.
func TestHubRetentionByKind(t *testing.T) {
	c := startHubCluster(t, tool(t, "nats-server"),
		"SENSEHAT_PER_SUBJECT=20", "SENSEHAT_KEEP=8", "SENSEHAT_READING_BYTES=1000")
	// devices x (env + colour + motion kept) x bytes: min(8 s at 1/s, 20)
	// twice and min(8 s at 10/s, 20) once.
	cfg := c.streamInfo(t, "SENSEHAT").Config
	if cfg.MaxMsgsPerSubject != 20 || cfg.MaxAge != 8*time.Second || cfg.MaxBytes != 1*(2*8+20)*1000 || cfg.Replicas != 3 {
		t.Errorf("stream SENSEHAT: per subject %d, age %v, bytes %d, replicas %d; want 20, 8s, %d, 3",
			cfg.MaxMsgsPerSubject, cfg.MaxAge, cfg.MaxBytes, cfg.Replicas, 1*(2*8+20)*1000)
	}

	js := c.leafJetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pub := func(kind string, n int) {
		subj := "sensehat." + sfID + "." + kind
		if _, err := js.Publish(ctx, subj, []byte(fmt.Sprintf(`{"n":%d}`, n))); err != nil {
			t.Fatalf("publishing %s %d: %v", subj, n, err)
		}
	}
	for n := 1; n <= 5; n++ {
		pub("joystick.up", n)
	}
	for n := 1; n <= 100; n++ {
		pub("sensors.env", n)
		pub("sensors.colour", n)
		pub("sensors.motion", n)
	}

	// Every message sourced (the last sequence counts them), then what the
	// limits keep, per subject. The age (8 s) is longer than this takes.
	testutil.WaitFor(t, 60*time.Second, "SENSEHAT sourcing all 305 readings", func() bool {
		info, err := c.tryStreamInfo("SENSEHAT")
		return err == nil && info.State.LastSeq >= 305
	})
	want := map[string]uint64{
		"sensehat." + sfID + ".sensors.env":    20,
		"sensehat." + sfID + ".sensors.colour": 20,
		"sensehat." + sfID + ".sensors.motion": 20,
		"sensehat." + sfID + ".joystick.up":    5,
	}
	got := c.subjects(t, "SENSEHAT")
	if len(got) != len(want) {
		t.Errorf("SENSEHAT holds subjects %v, want %v", got, want)
	}
	for s, n := range want {
		if got[s] != n {
			t.Errorf("SENSEHAT holds %d of %s, want %d", got[s], s, n)
		}
	}
	// The newest are kept: the last env reading is number 100, the first
	// kept number 81.
	hs, done, err := c.stream(ctx, "SENSEHAT")
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if m, err := hs.GetLastMsgForSubject(ctx, "sensehat."+sfID+".sensors.env"); err != nil || string(m.Data) != `{"n":100}` {
		t.Errorf("SENSEHAT's last env reading: %v %v, want {\"n\":100}", err, m)
	}
	kept := 0
	for seq := uint64(1); seq <= 305; seq++ {
		m, err := hs.GetMsg(ctx, seq)
		if err != nil {
			continue // removed by a limit
		}
		kept++
		var r struct{ N int }
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatalf("SENSEHAT seq %d: %v", seq, err)
		}
		if m.Subject != "sensehat."+sfID+".joystick.up" && r.N < 81 {
			t.Errorf("SENSEHAT kept %s reading %d, older than the newest 20", m.Subject, r.N)
		}
	}
	if kept != 65 {
		t.Errorf("SENSEHAT answers %d of sequences 1..305, want 65", kept)
	}

	// Then everything ages out.
	testutil.WaitFor(t, 30*time.Second, "SENSEHAT emptied by its max_age", func() bool {
		info, err := c.tryStreamInfo("SENSEHAT")
		return err == nil && info.State.Msgs == 0
	})
}

// subjects counts a hub stream's messages per subject.
func (c *hubCluster) subjects(t *testing.T, name string) map[string]uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, done, err := c.stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(">"))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects
}

// Twenty Pis, each behind a leaf node of its own listing the three hub
// nodes (sensehat simulate --leaf, in this process), are all reachable
// through the cluster; one node is killed and every one of them answers
// discovery through the two nodes left within 10 s of the kill: each
// leaf node that was connected to the lost node has dialled another.
// nats-server shuffles a remote's URLs, so about a third of the leaf
// nodes were on the node killed (none, with odds of (2/3)^20, 1 in 3,000).
func TestHubClusterTwentyLeavesFailOver(t *testing.T) {
	c := startHubCluster(t, tool(t, "nats-server"))
	var leafURLs []string
	for i := range c.nodes {
		leafURLs = append(leafURLs, fmt.Sprintf("nats-leaf://sensehat-leaf:%s@127.0.0.1:%d", clusterPassword, c.base+20+i))
	}
	o := simulate.DefaultOpts
	o.Devices = 20
	o.Leaf = &simulate.LeafOpts{HubURLs: leafURLs}
	o.Ready = make(chan struct{})
	f, err := simulate.New(&o)
	if err != nil {
		t.Fatal(err)
	}
	testutil.GoReadyWithin(t, "the simulated fleet", 60*time.Second, o.Ready, f.Run)

	nc, err := nats.Connect(c.urls(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// discover is one discovery round through the cluster: the devices
	// that answer $SRV.PING.sensehat within a second.
	discover := func() map[string]bool {
		inbox := nats.NewInbox()
		sub, err := nc.SubscribeSync(inbox)
		if err != nil {
			return nil
		}
		defer sub.Unsubscribe()
		if err := nc.PublishRequest("$SRV.PING.sensehat", inbox, nil); err != nil {
			return nil
		}
		seen := map[string]bool{}
		end := time.Now().Add(time.Second)
		for len(seen) < o.Devices {
			m, err := sub.NextMsg(time.Until(end))
			if err != nil {
				break
			}
			var p struct{ Metadata map[string]string }
			if json.Unmarshal(m.Data, &p) == nil {
				seen[p.Metadata["id"]] = true
			}
		}
		return seen
	}
	testutil.WaitFor(t, 30*time.Second, "all 20 simulated Pis answering discovery through the cluster", func() bool {
		return len(discover()) == o.Devices
	})

	victim := 1
	if err := c.nodes[victim].proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	<-c.nodes[victim].proc.waited
	var seen map[string]bool
	for time.Since(killed) < 10*time.Second {
		if seen = discover(); len(seen) == o.Devices {
			break
		}
	}
	if len(seen) != o.Devices {
		var missing []string
		for n := 1; n <= o.Devices; n++ {
			if !seen[simulate.ID(n)] {
				missing = append(missing, simulate.ID(n))
			}
		}
		t.Fatalf("10s after sensehat-hub-%d was killed, %d of %d Pis answer through the cluster; missing %v", victim+1, len(seen), o.Devices, missing)
	}
	t.Logf("all %d Pis answered through the cluster %v after sensehat-hub-%d was killed", o.Devices, time.Since(killed).Round(10*time.Millisecond), victim+1)
}
