package daemon

import (
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sensehat/sensehat/internal/testutil"
)

// linkProxy forwards TCP connections from its address to target until
// Cut, which drops them all and stops listening; Restore listens again on
// the same address. It stands for the Pi's uplink.
type linkProxy struct {
	t      testing.TB
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newLinkProxy(t testing.TB, target string) *linkProxy {
	p := &linkProxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

func (p *linkProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

// Cut drops the link.
func (p *linkProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Restore brings the link back.
func (p *linkProxy) Restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("restoring the link on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// A setting changed on the hub while the Pi's link is cut is applied when
// the link returns: the daemon talks to its Pi's leaf node, which reaches
// the hub's JetStream (domain "hub") over the link, as deploy/nats's
// store-and-forward setup does. Then the Pi restarts with its link down
// and comes up with the desired state it last read.
func TestDesiredChangedWhileLinkCutAppliedWhenItReturns(t *testing.T) {
	hubOpts := testutil.DefaultOptions()
	hubOpts.JetStream, hubOpts.StoreDir, hubOpts.JetStreamDomain = true, t.TempDir(), "hub"
	hubOpts.LeafNode.Host, hubOpts.LeafNode.Port = "127.0.0.1", server.RANDOM_PORT
	// The leaf must know the hub only through the link, not the address
	// the hub would tell it.
	hubOpts.LeafNode.NoAdvertise = true
	hub := testutil.StartServer(t, hubOpts)
	link := newLinkProxy(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(hub.Opts.LeafNode.Port)))

	leafOpts := testutil.DefaultOptions()
	leafOpts.JetStream, leafOpts.StoreDir, leafOpts.JetStreamDomain = true, t.TempDir(), "sensehat-pi1"
	leafOpts.LeafNode.ReconnectInterval = 100 * time.Millisecond
	leafOpts.LeafNode.Remotes = []*server.RemoteLeafOpts{{URLs: []*url.URL{{Scheme: "nats", Host: link.addr}}}}
	leaf := testutil.StartServer(t, leafOpts)
	testutil.WaitFor(t, 10*time.Second, "the leaf joins the hub", func() bool { return leaf.NumLeafNodes() == 1 })

	admin := connect(t, hub.URL())
	kv := desiredKV(t, admin, "")
	put(t, kv, "pi1", `{"rotation":90}`)

	cfg := simConfig(t, leaf.URL(), "pi1")
	cfg.DesiredDomain = "hub"
	r := startWith(t, cfg, startOpts{})
	testutil.WaitFor(t, 10*time.Second, "rotation 90 applied through the leaf", func() bool { return rotation(r.d.desired.State()) == 90 })

	link.Cut()
	testutil.WaitFor(t, 10*time.Second, "the link is down", func() bool { return leaf.NumLeafNodes() == 0 })
	rev := put(t, kv, "pi1", `{"rotation":270}`)
	time.Sleep(time.Second)
	if got := rotation(r.d.desired.State()); got != 90 {
		t.Fatalf("rotation %d while the link is cut", got)
	}

	link.Restore()
	testutil.WaitFor(t, 30*time.Second, "rotation 270 applied once the link is back", func() bool {
		s := r.d.desired.State()
		return rotation(s) == 270 && s.Revision == rev
	})
	if got := r.d.player.Status().Orientation.Rotation; got != 270 {
		t.Errorf("the player runs rotation %d", got)
	}

	// The Pi reboots while its link is down: the daemon comes up with the
	// desired state it last read (the state directory's copy), and says
	// it cannot reach the bucket.
	r.stop(t)
	link.Cut()
	testutil.WaitFor(t, 10*time.Second, "the link is down again", func() bool { return leaf.NumLeafNodes() == 0 })
	r2 := startWith(t, cfg, startOpts{})
	s := r2.d.desired.State()
	if rotation(s) != 270 || s.Source != "local copy" || s.Revision != rev || r2.d.player.Status().Orientation.Rotation != 270 {
		t.Errorf("restarted without the hub: rotation %d from %q at revision %d", rotation(s), s.Source, s.Revision)
	}
	testutil.WaitFor(t, 15*time.Second, "the problem reported", func() bool { return r2.d.desired.State().Problem != "" })
}
