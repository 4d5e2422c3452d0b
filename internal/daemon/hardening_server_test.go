package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat"
)

// gate is a TCP forwarder in front of a NATS server that the test opens
// and shuts. The daemon dials the gate, the test's own clients dial the
// server directly; so after a restart the test can put its subscriptions in
// place before the daemon is let back in, and nothing it buffered can race
// past a subscription that is not there yet.
type gate struct {
	l      net.Listener
	target string
	open   atomic.Bool
	// dials counts the connections the gate accepted: every attempt of a
	// client that keeps retrying.
	dials atomic.Int64
	wg    sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool
}

func newGate(t testing.TB, target string) *gate {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{l: l, target: target, conns: map[net.Conn]bool{}}
	g.open.Store(true)
	g.wg.Add(1)
	go g.accept()
	t.Cleanup(g.close)
	return g
}

func (g *gate) url() string { return "nats://" + g.l.Addr().String() }

func (g *gate) accept() {
	defer g.wg.Done()
	for {
		c, err := g.l.Accept()
		if err != nil {
			return
		}
		g.dials.Add(1)
		if !g.open.Load() {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", g.target)
		if err != nil {
			c.Close()
			continue
		}
		if !g.track(c, s) {
			return
		}
		g.wg.Add(2)
		go g.pipe(c, s)
		go g.pipe(s, c)
	}
}

func (g *gate) track(cs ...net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.conns == nil { // closed
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		g.conns[c] = true
	}
	return true
}

// pipe copies one way; when either side ends, both are closed, as a
// server going away looks to the client.
func (g *gate) pipe(dst, src net.Conn) {
	defer g.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// shut refuses new connections and cuts the ones through the gate.
func (g *gate) shut() {
	g.open.Store(false)
	g.mu.Lock()
	for c := range g.conns {
		c.Close()
	}
	g.conns = map[net.Conn]bool{}
	g.mu.Unlock()
}

func (g *gate) close() {
	g.open.Store(false)
	g.l.Close()
	g.mu.Lock()
	for c := range g.conns {
		c.Close()
	}
	g.conns = nil
	g.mu.Unlock()
	g.wg.Wait()
}

// serverRestart is the outage the restart test goes through; it returns the
// time from the server being reachable again to the first status reply.
func serverRestart(t testing.TB, outage time.Duration) time.Duration {
	srv := testutil.StartServer(t, nil)
	g := newGate(t, srv.Addr().String())
	r := start(t, simConfig(t, g.url(), "pi1"))
	nc := connect(t, srv.URL())
	waitStatus(t, nc, "pi1", 10*time.Second)

	// Something queued and scrolling when the server goes: one long text
	// and two behind it, sent without a reply subject.
	for i, txt := range []string{"a text that is still scrolling", "second", "third"} {
		if err := nc.Publish("sensehat.pi1.led.text", []byte(fmt.Sprintf(`{"text":%q,"speed":40}`, txt))); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "text queued", func() bool { return r.d.Status().Display.QueueLength == 2 })
	testutil.WaitFor(t, 5*time.Second, "readings flowing", func() bool { return lastOf(r).Env != "" })
	envBefore := lastOf(r).Env

	// testutil's Restart reads the port from the stopped server, which no
	// longer has one: keep it while it is up.
	restart := srv.Opts.Clone()
	restart.Port = srv.Addr().(*net.TCPAddr).Port

	// The outage: the server stops; the daemon is cut at the same moment.
	g.shut()
	srv.Shutdown()
	srv.WaitForShutdown()
	testutil.WaitFor(t, 5*time.Second, "daemon notices the outage", func() bool { return !r.d.nc.IsConnected() })
	framesAtOutage := r.hat.ATtiny.FrameWrites()

	// Pressed during the outage: held in the reconnect buffer.
	keys := []sensehat.Key{sensehat.KeyUp, sensehat.KeyLeft, sensehat.KeyDown}
	for _, k := range keys {
		r.hat.ATtiny.Press(k)
		testutil.WaitFor(t, 2*time.Second, "press seen", func() bool {
			return strings.HasPrefix(lastOf(r).Joystick, fmt.Sprintf(`{"key":%q,"action":"pressed"`, k.String()))
		})
		r.hat.ATtiny.Release(k)
		testutil.WaitFor(t, 2*time.Second, "release seen", func() bool {
			return strings.HasPrefix(lastOf(r).Joystick, fmt.Sprintf(`{"key":%q,"action":"released"`, k.String()))
		})
	}
	testutil.WaitFor(t, 5*time.Second, "readings buffered", func() bool { return r.d.Status().NATS.Buffered > 0 })
	if outage > 0 {
		time.Sleep(outage)
	}
	r.stillRunning(t)
	if r.hat.ATtiny.FrameWrites() == framesAtOutage {
		t.Error("the display stopped while NATS was away")
	}
	if lastOf(r).Env == envBefore {
		t.Error("sensor readings stopped while NATS was away")
	}
	st := r.d.Status()
	if st.NATS.Connected || st.NATS.Buffered == 0 {
		t.Errorf("status during the outage: connected %v, buffered %d; want false and > 0", st.NATS.Connected, st.NATS.Buffered)
	}

	// Same port, fresh server; the watcher subscribes first.
	srv2 := testutil.StartServer(t, restart)
	watch := connect(t, srv2.URL())
	joy := testutil.SubscribeSync(t, watch, "sensehat.pi1.joystick.*")
	env := testutil.SubscribeSync(t, watch, "sensehat.pi1.sensors.env")
	g.open.Store(true)
	back := time.Now()
	waitStatus(t, watch, "pi1", 30*time.Second)
	took := time.Since(back)

	// Every event of the outage, in order, after the reconnect.
	for _, k := range keys {
		for _, action := range []string{"pressed", "released"} {
			m, err := joy.NextMsg(5 * time.Second)
			if err != nil {
				t.Fatalf("%s %s pressed during the outage never arrived: %v", k, action, err)
			}
			want := fmt.Sprintf(`{"key":%q,"action":%q`, k.String(), action)
			if m.Subject != "sensehat.pi1.joystick."+k.String() || !strings.HasPrefix(string(m.Data), want) {
				t.Fatalf("got %s on %s, want %s... on joystick.%s", m.Data, m.Subject, want, k)
			}
		}
	}
	if _, err := env.NextMsg(5 * time.Second); err != nil {
		t.Errorf("no env reading after the reconnect: %v", err)
	}
	// The subscriptions survived: requests are served, reconnect counted.
	st = status(t, watch, "pi1")
	if !st.NATS.Connected || st.NATS.Reconnects < 1 {
		t.Errorf("status after restart: %+v", st.NATS)
	}
	m := request(t, watch, "sensehat.pi1.led.text", []byte(`{"text":"ok","speed":100,"mode":"replace"}`), 10*time.Second)
	if !strings.Contains(string(m.Data), `"displayed":true`) {
		t.Errorf("text after restart: %s %v", m.Data, m.Header)
	}
	r.stillRunning(t)
	return took
}

func TestHardeningServerRestartKeepsEverything(t *testing.T) {
	testutil.CheckLeaks(t)
	took := serverRestart(t, 0)
	t.Logf("reconnect: %v from the server being back to the first status reply", took)
	// The backoff starts at 500 ms and the outage lasted about a second:
	// one or two attempts, each at most a few seconds apart.
	if took > 15*time.Second {
		t.Errorf("reconnect took %v; the backoff should bring it back within seconds", took)
	}
}

// cluster starts three routed nats-servers on loopback and waits until
// each has routes to the other two.
func cluster(t testing.TB) []*testutil.Server {
	t.Helper()
	opts := func() *server.Options {
		o := testutil.DefaultOptions()
		o.ServerName = fmt.Sprintf("n%d", time.Now().UnixNano())
		o.Cluster = server.ClusterOpts{Name: "sensehat", Host: "127.0.0.1", Port: -1}
		return o
	}
	a := testutil.StartServer(t, opts())
	seed := server.RoutesFromStr(fmt.Sprintf("nats://127.0.0.1:%d", a.ClusterAddr().Port))
	nodes := []*testutil.Server{a}
	for range 2 {
		o := opts()
		o.Routes = seed
		nodes = append(nodes, testutil.StartServer(t, o))
	}
	testutil.WaitFor(t, 15*time.Second, "cluster routes up", func() bool {
		for _, n := range nodes {
			rz, err := n.Routez(nil)
			if err != nil {
				return false
			}
			peers := map[string]bool{}
			for _, r := range rz.Routes {
				peers[r.RemoteID] = true
			}
			if len(peers) < 2 {
				return false
			}
		}
		return true
	})
	return nodes
}

func TestHardeningClusterFailover(t *testing.T) {
	testutil.CheckLeaks(t)
	nodes := cluster(t)
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = n.URL()
	}
	r := start(t, simConfig(t, strings.Join(urls, ","), "pi1"))
	// Requests come from each node in turn: interest crosses the routes.
	clients := make([]*nats.Conn, len(nodes))
	for i, n := range nodes {
		clients[i] = connect(t, n.URL())
		waitStatus(t, clients[i], "pi1", 10*time.Second)
	}
	st := status(t, clients[0], "pi1")
	on := -1
	for i, n := range nodes {
		if st.NATS.Server == n.URL() {
			on = i
		}
	}
	if on < 0 {
		t.Fatalf("status nats.server %q is none of %v", st.NATS.Server, urls)
	}

	nodes[on].Shutdown()
	killed := time.Now()
	other := clients[(on+1)%len(nodes)]
	testutil.WaitFor(t, 20*time.Second, "failover", func() bool {
		m, err := other.Request("sensehat.pi1.status", nil, 500*time.Millisecond)
		if err != nil {
			return false
		}
		var s wire.Status
		return json.Unmarshal(m.Data, &s) == nil && s.NATS.Connected && s.NATS.Server != urls[on]
	})
	t.Logf("failover: %v from killing %s to a status reply through another node", time.Since(killed), urls[on])
	st = status(t, other, "pi1")
	if st.NATS.Reconnects < 1 {
		t.Errorf("reconnects = %d after failover, want >= 1", st.NATS.Reconnects)
	}
	m := request(t, other, "sensehat.pi1.led.text", []byte(`{"text":"ok","speed":100}`), 10*time.Second)
	if !strings.Contains(string(m.Data), `"displayed":true`) {
		t.Errorf("text after failover: %s %v", m.Data, m.Header)
	}
	r.stillRunning(t)
}
