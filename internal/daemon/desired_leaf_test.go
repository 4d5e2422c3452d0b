package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sensehat/sensehat/internal/desired"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
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

// piLeaf is the Pi's own nats-server in a test: a leaf node of the hub
// through link, with JetStream in domain sensehat-<id>.
type piLeaf struct {
	name string
	// start runs it and returns its client URL.
	start func(t *testing.T, link string) string
}

// piLeaves are the nats-servers a Pi runs: the pinned one (embedded) and
// Debian's 2.9 (a process), when it is installed.
func piLeaves(t *testing.T) []piLeaf {
	out := []piLeaf{{"pinned", func(t *testing.T, link string) string {
		o := testutil.DefaultOptions()
		o.JetStream, o.StoreDir, o.JetStreamDomain = true, t.TempDir(), "sensehat-pi1"
		o.LeafNode.ReconnectInterval = 100 * time.Millisecond
		o.LeafNode.Remotes = []*server.RemoteLeafOpts{{URLs: []*url.URL{{Scheme: "nats", Host: link}}}}
		return testutil.StartServer(t, o).URL()
	}}}
	if bin := testutil.PiServer(t); bin != "" {
		out = append(out, piLeaf{"debian", func(t *testing.T, link string) string {
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testutil.FreePort(t)))
			testutil.StartServerProcess(t, bin, fmt.Sprintf(`listen: %q
jetstream { domain: "sensehat-pi1", store_dir: %q }
leafnodes { reconnect: 1, remotes [ { urls: ["nats://%s"] } ] }
`, addr, t.TempDir(), link), addr)
			return "nats://" + addr
		}})
	}
	return out
}

// A Pi that boots while its hub cannot be reached, its state directory's
// copy gone, comes up with the desired state its own JetStream kept while
// the link was up: a change made on the hub while the daemon was stopped
// (the hub's republish crossed the leaf into the Pi's copy), and one made
// while the link was cut, which the daemon read when the link came back
// and stored in the copy itself. The daemon makes the copy stream
// (--desired-mirror); it keeps the device's key and the default key, not
// another device's.
func TestBootWithoutHubAppliesPiCopy(t *testing.T) {
	for _, pl := range piLeaves(t) {
		t.Run(pl.name, func(t *testing.T) {
			// The leaf must know the hub only through the link; nats-server
			// 2.9 wants the hub to advertise an address, so it advertises
			// the link's.
			leafPort := testutil.FreePort(t)
			link := newLinkProxy(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(leafPort)))
			hubOpts := testutil.DefaultOptions()
			hubOpts.JetStream, hubOpts.StoreDir, hubOpts.JetStreamDomain = true, t.TempDir(), "hub"
			hubOpts.LeafNode.Host, hubOpts.LeafNode.Port, hubOpts.LeafNode.Advertise = "127.0.0.1", leafPort, link.addr
			hub := testutil.StartServer(t, hubOpts)
			leafURL := pl.start(t, link.addr)
			testutil.WaitFor(t, 10*time.Second, "the leaf joins the hub", func() bool { return hub.NumLeafNodes() == 1 })

			kv := desiredKV(t, connect(t, hub.URL()), "")
			put(t, kv, "pi2", `{"rotation":270}`)
			put(t, kv, wire.DesiredDefaultKey, `{"low_light":true}`)
			put(t, kv, "pi1", `{"rotation":90}`)

			cfg := simConfig(t, leafURL, "pi1")
			cfg.DesiredDomain, cfg.DesiredMirror = "hub", "sensehat-pi1"
			r := startWith(t, cfg, startOpts{})
			testutil.WaitFor(t, 10*time.Second, "rotation 90 applied from the bucket", func() bool { return rotation(r.d.desired.State()) == 90 })
			s := wire.Subjects{Prefix: cfg.Prefix, ID: "pi1"}
			js, err := desired.JetStream(connect(t, leafURL), "sensehat-pi1")
			if err != nil {
				t.Fatal(err)
			}
			kept := func(what, key string, rev uint64) {
				t.Helper()
				testutil.WaitFor(t, 15*time.Second, what, func() bool {
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					got, _, ok, _ := desired.ReadCopy(ctx, js, s, key)
					return ok && got == rev
				})
			}
			// written before the copy stream was made: the daemon stores
			// what it read
			kept("the daemon stored the default key in the Pi's copy", wire.DesiredDefaultKey, r.d.desired.State().DefaultRevision)
			r.stop(t)

			// Changed on the hub while the daemon is stopped: only the
			// Pi's JetStream sees it, through the hub's republish. A
			// revision-checked write, as sensehat config makes.
			rev, err := desired.Set(context.Background(), kv, "pi1", 0, []string{"rotation=180", "flip=h"})
			if err != nil {
				t.Fatal(err)
			}
			kept("the Pi's copy holds the change", "pi1", rev)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, _, other, err := desired.ReadCopy(ctx, js, s, "pi2")
			cancel()
			if other || err != nil {
				t.Errorf("the Pi keeps pi2's key (%v, %v): its own and the default key only", other, err)
			}

			link.Cut()
			testutil.WaitFor(t, 10*time.Second, "the link is down", func() bool { return hub.NumLeafNodes() == 0 })
			if err := os.Remove(filepath.Join(cfg.StateDir, desired.CopyFile)); err != nil {
				t.Fatalf("the state directory's copy: %v", err)
			}
			r2 := startWith(t, cfg, startOpts{})
			testutil.WaitFor(t, 15*time.Second, "the Pi's copy applied", func() bool {
				s := r2.d.desired.State()
				return rotation(s) == 180 && s.Revision == rev && s.Source == "pi stream"
			})
			st := r2.d.desired.State()
			if p := r2.d.player.Status(); p.Orientation.Rotation != 180 || !p.Orientation.FlipH || !p.LowLight {
				t.Errorf("the player runs rotation %d, flip h %v, low light %v; want 180, true, true (the default key's)", p.Orientation.Rotation, p.Orientation.FlipH, p.LowLight)
			}
			if st.Problem == "" {
				t.Error("no problem reported while the hub cannot be reached")
			}
			// The link returns: the bucket takes over.
			link.Restore()
			testutil.WaitFor(t, 30*time.Second, "the bucket reached again", func() bool {
				s := r2.d.desired.State()
				return s.Source == "bucket" && s.Problem == ""
			})

			// Changed while the link is cut: the republish cannot cross;
			// the daemon reads it when the link is back and keeps it.
			link.Cut()
			testutil.WaitFor(t, 10*time.Second, "the link is down", func() bool { return hub.NumLeafNodes() == 0 })
			rev2 := put(t, kv, "pi1", `{"rotation":270}`)
			link.Restore()
			testutil.WaitFor(t, 30*time.Second, "the change read once the link is back", func() bool {
				return r2.d.desired.State().Revision == rev2
			})
			kept("the daemon stored the change in the Pi's copy", "pi1", rev2)
			r2.stop(t)
			link.Cut()
			testutil.WaitFor(t, 10*time.Second, "the link is down", func() bool { return hub.NumLeafNodes() == 0 })
			if err := os.Remove(filepath.Join(cfg.StateDir, desired.CopyFile)); err != nil {
				t.Fatalf("the state directory's copy: %v", err)
			}
			r3 := startWith(t, cfg, startOpts{})
			testutil.WaitFor(t, 15*time.Second, "the stored change applied", func() bool {
				s := r3.d.desired.State()
				return rotation(s) == 270 && s.Revision == rev2 && s.Source == "pi stream"
			})
		})
	}
}
