package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/cli"
	"github.com/sensehat/sensehat/internal/fleetid"
	"github.com/sensehat/sensehat/internal/testutil"
)

// fleetCluster is deploy/nats/cluster with per-device identity: the
// fleet made by sensehat fleet init --cluster, its auth.conf and
// leaf-auth.conf on three pinned nats-server nodes (local.sh with
// SENSEHAT_FLEET_HUB), and Pis whose leaf nodes log in with their own
// device credentials and list all three nodes.
type fleetCluster struct {
	root, fdir string
	base       int
	hubBin     string
	confs      [3]string // each node's configuration, as local.sh rendered it
	nodes      [3]*process
	sys        *nats.Conn // the system account: LEAFZ of every node
	admin      *nats.Conn // the tool's admin identity: the hub stream
	cli        natsCLI
}

// fleetPi is one Pi: its leaf node, its daemon on the simulated HAT and
// a client of its leaf node with the device's credentials.
type fleetPi struct {
	id, creds string
	port      int
	leaf      *process
	daemon    *process
	local     *nats.Conn
}

// runFleet runs the sensehat tool in this process, as a user would run it.
func runFleet(args ...string) (string, error) {
	var out, errb bytes.Buffer
	app := &cli.App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if rc := app.Run(context.Background(), args); rc != 0 {
		return "", fmt.Errorf("sensehat %s: exit %d\n%s%s", strings.Join(args, " "), rc, out.String(), errb.String())
	}
	return out.String(), nil
}

func mustFleet(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runFleet(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// startListening starts bin -c conf and waits until its client port
// accepts TCP connections (the servers here refuse anonymous clients, so
// a NATS connection cannot be the probe).
func startListening(t *testing.T, bin, conf string, port int) *process {
	t.Helper()
	p := startProcess(t, bin, "-c", conf)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return p
		}
		select {
		case <-p.waited:
			t.Fatalf("%s -c %s exited on start: %v\n%s", bin, conf, p.err, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s -c %s not listening on %s within 20s", bin, conf, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *fleetCluster) urls() string {
	return fmt.Sprintf("nats://127.0.0.1:%d,nats://127.0.0.1:%d,nats://127.0.0.1:%d", c.base, c.base+1, c.base+2)
}

func (c *fleetCluster) leafURLs() string {
	return fmt.Sprintf("tls://127.0.0.1:%d,tls://127.0.0.1:%d,tls://127.0.0.1:%d", c.base+20, c.base+21, c.base+22)
}

// startFleetCluster makes the fleet with devices ids (offline: no hub
// yet), renders and starts the three nodes, and runs fleet push until the
// cluster's JetStream takes the hub stream.
func startFleetCluster(t *testing.T, ids ...string) *fleetCluster {
	t.Helper()
	hubBin := tool(t, "nats-server")
	c := &fleetCluster{root: t.TempDir(), base: freeBase(t)}
	c.fdir = filepath.Join(c.root, "fleet")
	c.cli = natsCLI{bin: tool(t, "nats"), config: t.TempDir()}
	mustFleet(t, "fleet", "init", c.fdir, "--cluster", "--leaf-host", "127.0.0.1", "--leaf-url", c.leafURLs(),
		"--hub-url", c.urls(), "--mqtt-listen", "", "--store", filepath.Join(c.root, "unused"), "--nats-server", hubBin)
	for _, id := range ids {
		mustFleet(t, "fleet", "add", id, "--dir", c.fdir, "--offline")
	}
	dir := filepath.Join(c.root, "cluster")
	clusterScript(t, []string{"SENSEHAT_FLEET_HUB=" + filepath.Join(c.fdir, "hub")}, "local.sh", "render", dir, strconv.Itoa(c.base))
	c.hubBin = hubBin
	for i := range c.nodes {
		c.confs[i] = filepath.Join(dir, fmt.Sprintf("hub-%d.conf", i+1))
		c.nodes[i] = startListening(t, hubBin, c.confs[i], c.base+i)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := runFleet("fleet", "push", "--dir", c.fdir)
		if err == nil {
			t.Logf("fleet push: %s", strings.TrimSpace(out))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleet push to the cluster: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	f, err := fleetid.Open(c.fdir)
	if err != nil {
		t.Fatal(err)
	}
	reconnect := []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond)}
	c.sys = testutil.Connect(t, c.urls(), append(reconnect, nats.UserCredentials(filepath.Join(c.fdir, fleetid.SystemCreds)))...)
	c.admin = testutil.Connect(t, c.urls(), append(reconnect, nats.UserCredentials(f.CredsPath(fleetid.ToolName)))...)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		cmd := exec.Command(c.cli.bin, "--server", c.urls(), "--creds", f.CredsPath(fleetid.ToolName), "stream", "info", "SENSEHAT")
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+c.cli.config, "NATS_CONTEXT=")
		out, err := cmd.CombinedOutput()
		t.Logf("nats stream info SENSEHAT (%v):\n%s", err, out)
	})
	return c
}

// startPi writes the Pi's leaf configuration with fleet leaf-conf (all
// three nodes' leaf URLs), starts it with leafBin, makes its stream with
// store-and-forward.sh and the device's credentials, as
// setup-fleet-pi.sh does, and starts the daemon on the simulated HAT.
func (c *fleetCluster) startPi(t *testing.T, id, leafBin, daemonBin string) *fleetPi {
	t.Helper()
	f, err := fleetid.Open(c.fdir)
	if err != nil {
		t.Fatal(err)
	}
	p := &fleetPi{id: id, creds: f.CredsPath(id), port: testutil.FreePort(t)}
	conf := mustFleet(t, "fleet", "leaf-conf", id, "--dir", c.fdir, "--hub-leaf", c.leafURLs(),
		"--creds", p.creds, "--ca", filepath.Join(c.fdir, "hub", fleetid.LeafCA),
		"--store", filepath.Join(c.root, id+"-store"), "--listen", fmt.Sprintf("127.0.0.1:%d", p.port))
	confPath := filepath.Join(c.root, id+"-leaf.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p.leaf = startListening(t, leafBin, confPath, p.port)
	url := fmt.Sprintf("nats://127.0.0.1:%d", p.port)
	clusterScript(t, []string{"NATS=" + c.cli.bin, "XDG_CONFIG_HOME=" + c.cli.config, "NATS_CONTEXT=",
		"NATS_URL=" + url, "NATS_CREDS=" + p.creds}, "../store-and-forward.sh", "pi", id)
	p.daemon = startProcess(t, daemonBin,
		"--display", "none", "--joystick", "none", "--sensors", "sim",
		"--env-interval", "50ms", "--motion-interval", "20ms",
		"--state-dir", filepath.Join(c.root, id+"-state"), "--resend-window", "10s",
		"--id", id, "--nats", url, "--creds", p.creds)
	p.local = testutil.Connect(t, url, nats.UserCredentials(p.creds))
	return p
}

// leafNodes asks every node (LEAFZ, system account) which leaf node
// servers are connected to it: node indexes by leaf server name. It waits
// for the answers of the nodes still running, or a second.
func (c *fleetCluster) leafNodes(t *testing.T) map[string][]int {
	t.Helper()
	inbox := nats.NewInbox()
	sub, err := c.sys.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := c.sys.PublishRequest("$SYS.REQ.SERVER.PING.LEAFZ", inbox, nil); err != nil {
		t.Fatal(err)
	}
	out := map[string][]int{}
	running := 0
	for _, n := range c.nodes {
		select {
		case <-n.waited:
		default:
			running++
		}
	}
	for answered := 0; answered < running; answered++ {
		m, err := sub.NextMsg(time.Second)
		if err != nil {
			return out
		}
		var r struct {
			Server struct {
				Name string `json:"name"`
			} `json:"server"`
			Data struct {
				Leafs []struct {
					Name string `json:"name"`
				} `json:"leafs"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatalf("LEAFZ reply: %v\n%s", err, m.Data)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(r.Server.Name, "sensehat-hub-"))
		if err != nil {
			t.Fatalf("LEAFZ reply from %q: not a node of the cluster", r.Server.Name)
		}
		for _, l := range r.Data.Leafs {
			out[l.Name] = append(out[l.Name], n-1)
		}
	}
	return out
}

// hubStream is the hub stream as the fleet's admin sees it, retried
// while a leader is elected again.
func (c *fleetCluster) hubStream(t *testing.T) *jetstream.StreamInfo {
	t.Helper()
	js, err := jetstream.New(c.admin)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s, err := js.Stream(ctx, "SENSEHAT")
		var info *jetstream.StreamInfo
		if err == nil {
			info, err = s.Info(ctx, jetstream.WithSubjectFilter(">"))
		}
		cancel()
		if err == nil {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub stream SENSEHAT: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// deviceCount is what the hub stream holds of device id, by subject.
func deviceCount(info *jetstream.StreamInfo, id string) (n uint64) {
	for subj, k := range info.State.Subjects {
		if strings.HasPrefix(subj, "sensehat."+id+".") {
			n += k
		}
	}
	return n
}

// msgIDs reads every message of stream (in js) on subjects filter with an
// ordered consumer and returns their Nats-Msg-Id headers in stream order.
func msgIDs(t *testing.T, js jetstream.JetStream, stream, filter string, want uint64) []string {
	t.Helper()
	var out []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		out = out[:0]
		err := func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := js.Stream(ctx, stream)
			if err != nil {
				return err
			}
			cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
			if err != nil {
				return err
			}
			for uint64(len(out)) < want {
				batch, err := cons.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
				if err != nil {
					return err
				}
				got := 0
				for m := range batch.Messages() {
					got++
					out = append(out, m.Headers().Get(nats.MsgIdHdr))
				}
				if err := batch.Error(); err != nil {
					return err
				}
				if got == 0 {
					return fmt.Errorf("fetch returned nothing after %d of %d", len(out), want)
				}
			}
			return nil
		}()
		if err == nil {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("reading %s (%s): %v", stream, filter, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// The hub cluster with per-device identity: three pinned nats-server
// 2.15.2 nodes with the fleet's operator, full resolver and leaf TLS
// (fleet init --cluster's auth.conf and leaf-auth.conf in local.sh's
// rendering), two Pis (pi1's leaf node on the pinned server, pi2's on
// Debian's 2.9.10 when installed) whose leaf configurations, from fleet
// leaf-conf, list all three nodes, and the real sensehatd on the
// simulated HAT behind each. The hub stream is the one fleet push makes:
// three replicas, one filtered source per reading subject of each
// device, delivered under the device's own prefix.
//
//  1. Readings of both devices arrive in the hub stream.
//  2. fleet remove pi2 closes pi2's connections on every node: a client
//     with its credentials on each of the three and its leaf node, which
//     stays refused; the hub stream no longer sources it, and holds no
//     more of its readings while its daemon keeps publishing on its Pi.
//  3. The node pi1's leaf node is on is killed (SIGKILL): the leaf is on
//     another node within 10 s (the bound), and once the daemon
//     stops, the hub holds exactly the readings of pi1's own stream, each
//     once (the message ids the daemon gives, compared as sets).
//  4. A person (reader rita) is removed while that node is down; the node
//     is started again from its old files, and after fleet push (the step
//     docs/hub-cluster.md gives) it refuses rita too.
//
// What is expected comes from nats-server's documented behaviour (a
// revocation closes the user's connections; a full resolver takes claim
// updates on every server) and from the Pi's own stream, not from our
// code.
func TestHubClusterFleetIdentity(t *testing.T) {
	testutil.SkipShort(t, "starts five nats-server processes and two daemons")
	c := startFleetCluster(t, "pi1", "pi2")
	info := c.hubStream(t)
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("hub stream: %d replicas, cluster %+v; want 3 (fleet init --cluster)", info.Config.Replicas, info.Cluster)
	}
	for _, s := range info.Config.Sources {
		if s.External == nil || s.External.DeliverPrefix != fleetid.SourceDeliverPrefix(strings.TrimPrefix(s.Name, "SENSEHAT_")) {
			t.Fatalf("hub stream source %s %s: external %+v; want the device's deliver prefix", s.Name, s.FilterSubject, s.External)
		}
	}
	daemonBin := buildDaemon(t, t.TempDir())
	pinned := tool(t, "nats-server")
	pi2Bin, pi2Server := pinned, "pinned"
	if ls := leafServers(t); len(ls) > 1 {
		pi2Bin, pi2Server = ls[1].bin, "Debian's"
	}
	pi1 := c.startPi(t, "pi1", pinned, daemonBin)
	pi2 := c.startPi(t, "pi2", pi2Bin, daemonBin)
	t.Logf("pi1's leaf node: the pinned nats-server; pi2's: %s (%s)", pi2Server, pi2Bin)

	// 1. Readings arrive from both.
	testutil.WaitFor(t, 60*time.Second, "readings of pi1 and pi2 in the hub stream", func() bool {
		info := c.hubStream(t)
		return deviceCount(info, "pi1") > 20 && deviceCount(info, "pi2") > 20
	})
	leafs := c.leafNodes(t)
	t.Logf("leaf nodes by node: %v", leafs)
	if len(leafs["sensehat-pi1"]) != 1 || len(leafs["sensehat-pi2"]) != 1 {
		t.Fatalf("leaf nodes connected: %v; want sensehat-pi1 and sensehat-pi2 once each", leafs)
	}

	// 2. fleet remove pi2, with pi2's credentials in use on every node.
	closed := make(chan int, 3)
	for i := range c.nodes {
		i := i
		nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", c.base+i), nats.UserCredentials(pi2.creds),
			nats.NoReconnect(), nats.ClosedHandler(func(*nats.Conn) { closed <- i }),
			nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})) // the revocation is expected
		if err != nil {
			t.Fatalf("pi2's credentials on node %d before fleet remove: %v", i+1, err)
		}
		t.Cleanup(nc.Close)
	}
	removed := time.Now()
	t.Logf("fleet remove pi2: %s", strings.TrimSpace(mustFleet(t, "fleet", "remove", "pi2", "--dir", c.fdir)))
	for range c.nodes {
		select {
		case i := <-closed:
			t.Logf("pi2's client on sensehat-hub-%d closed %v after fleet remove began", i+1, time.Since(removed).Round(time.Millisecond))
		case <-time.After(10 * time.Second):
			t.Fatal("a client with pi2's credentials was still connected 10s after fleet remove")
		}
	}
	for i := range c.nodes {
		if nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", c.base+i), nats.UserCredentials(pi2.creds), nats.NoReconnect()); err == nil {
			nc.Close()
			t.Fatalf("pi2's credentials still log in to sensehat-hub-%d after fleet remove", i+1)
		}
	}
	testutil.WaitFor(t, 10*time.Second, "pi2's leaf node gone from every node", func() bool {
		return len(c.leafNodes(t)["sensehat-pi2"]) == 0
	})
	info = c.hubStream(t)
	for _, s := range info.Config.Sources {
		if s.Name == "SENSEHAT_pi2" {
			t.Fatalf("the hub stream still sources %s (%s) after fleet remove", s.Name, s.FilterSubject)
		}
	}
	held := deviceCount(info, "pi2")
	piJS, err := jetstream.New(pi2.local)
	if err != nil {
		t.Fatal(err)
	}
	pi2Stored := func() uint64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s, err := piJS.Stream(ctx, "SENSEHAT_pi2")
		if err != nil {
			t.Fatal(err)
		}
		i, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return i.State.Msgs
	}
	before := pi2Stored()
	time.Sleep(3 * time.Second)
	if n := c.leafNodes(t)["sensehat-pi2"]; len(n) != 0 {
		t.Fatalf("pi2's leaf node logged in again to node(s) %v after fleet remove", n)
	}
	if after := pi2Stored(); after <= before {
		t.Fatalf("pi2's own stream did not grow (%d, then %d): its daemon should keep storing on the Pi", before, after)
	}
	if n := deviceCount(c.hubStream(t), "pi2"); n != held {
		t.Fatalf("the hub stream took %d more readings of pi2 after fleet remove", n-held)
	}
	t.Logf("after fleet remove: the hub keeps pi2's %d earlier readings and takes no more; pi2's own stream grew %d to %d", held, before, pi2Stored())

	// 3. Kill the node pi1's leaf is on.
	victim := c.leafNodes(t)["sensehat-pi1"]
	if len(victim) != 1 {
		t.Fatalf("pi1's leaf node on nodes %v; want one", victim)
	}
	v := victim[0]
	if err := c.nodes[v].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	<-c.nodes[v].waited
	var to int
	testutil.WaitFor(t, 10*time.Second, "pi1's leaf node on another node within 10s of the kill", func() bool {
		n := c.leafNodes(t)["sensehat-pi1"]
		if len(n) == 1 && n[0] != v {
			to = n[0]
			return true
		}
		return false
	})
	t.Logf("killed sensehat-hub-%d; pi1's leaf node on sensehat-hub-%d %v later", v+1, to+1, time.Since(killed).Round(10*time.Millisecond))
	time.Sleep(3 * time.Second)
	pi1.daemon.terminate(t, "sensehatd pi1", 30*time.Second)

	// Everything pi1's stream holds reaches the hub, once.
	piJS1, err := jetstream.New(pi1.local)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	ps, err := piJS1.Stream(ctx, "SENSEHAT_pi1")
	var pinfo *jetstream.StreamInfo
	if err == nil {
		pinfo, err = ps.Info(ctx, jetstream.WithSubjectFilter(">"))
	}
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	var want uint64
	for _, subj := range fleetid.ReadingSubjects("sensehat", "pi1") {
		want += pinfo.State.Subjects[subj]
	}
	caught := time.Now()
	testutil.WaitFor(t, 120*time.Second, fmt.Sprintf("the hub stream holding pi1's %d readings", want), func() bool {
		return deviceCount(c.hubStream(t), "pi1") >= want
	})
	t.Logf("the hub held pi1's %d readings %v after its daemon stopped (%v after the kill)", want,
		time.Since(caught).Round(10*time.Millisecond), time.Since(killed).Round(10*time.Millisecond))
	hubJS, err := jetstream.New(c.admin)
	if err != nil {
		t.Fatal(err)
	}
	onHub := msgIDs(t, hubJS, "SENSEHAT", "sensehat.pi1.>", want)
	var onPi []string
	for _, subj := range fleetid.ReadingSubjects("sensehat", "pi1") {
		if n := pinfo.State.Subjects[subj]; n > 0 {
			onPi = append(onPi, msgIDs(t, piJS1, "SENSEHAT_pi1", subj, n)...)
		}
	}
	if n := deviceCount(c.hubStream(t), "pi1"); n != want {
		t.Errorf("the hub stream holds %d readings of pi1, its Pi %d", n, want)
	}
	sort.Strings(onHub)
	sort.Strings(onPi)
	for i := 1; i < len(onHub); i++ {
		if onHub[i] == onHub[i-1] {
			t.Errorf("reading %s is in the hub stream twice", onHub[i])
		}
	}
	if strings.Join(onHub, " ") != strings.Join(onPi, " ") {
		t.Errorf("the hub's readings of pi1 (%d) are not its Pi's (%d)", len(onHub), len(onPi))
	}

	// 4. A removal while node v is down, then v back from its old files.
	mustFleet(t, "fleet", "creds", "reader", "rita", "--dir", c.fdir)
	f, err := fleetid.Open(c.fdir)
	if err != nil {
		t.Fatal(err)
	}
	// fleet remove deletes the credentials file: keep what rita holds.
	b, err := os.ReadFile(f.CredsPath("rita"))
	if err != nil {
		t.Fatal(err)
	}
	rita := filepath.Join(c.root, "rita-kept.creds")
	if err := os.WriteFile(rita, b, 0o600); err != nil {
		t.Fatal(err)
	}
	dialNode := func(i int) error {
		nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", c.base+i), nats.UserCredentials(rita), nats.NoReconnect(),
			nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		if err == nil {
			nc.Close()
		}
		return err
	}
	mustFleet(t, "fleet", "remove", "rita", "--dir", c.fdir)
	c.nodes[v] = startListening(t, c.hubBin, c.confs[v], c.base+v)
	if err := dialNode(v); err == nil {
		t.Logf("sensehat-hub-%d, started again from its files of before the removal, lets rita in until its resolver syncs (nats-server's behaviour, not asserted)", v+1)
	} else {
		t.Logf("sensehat-hub-%d, started again from its files of before the removal, refuses rita already: %v", v+1, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := runFleet("fleet", "push", "--dir", c.fdir)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleet push after sensehat-hub-%d came back: %v", v+1, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for i := range c.nodes {
		if err := dialNode(i); err == nil {
			t.Errorf("rita, removed, logs in to sensehat-hub-%d after fleet push", i+1)
		}
	}
}
