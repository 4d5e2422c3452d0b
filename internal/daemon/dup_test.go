package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/testutil"
)

// TestDuplicateIDDetected runs two daemons with the same id on one server
// (and a third with another id). The newer one must find the older at
// start and the older one must find the newer as it appears; each logs
// one ERROR however many announcements follow, lists the other in its
// status and STATUS= line, and forgets it once it is gone. The server runs
// the shipped fleet permissions, so it works for a least-privilege device.
func TestDuplicateIDDetected(t *testing.T) {
	testutil.CheckLeaks(t)
	opts, err := server.ProcessConfigFile(filepath.Join("..", "..", "deploy", "nats", "nats-server.conf"))
	if err != nil {
		t.Fatalf("loading the shipped server config: %v", err)
	}
	opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
	srv := testutil.StartServer(t, opts)
	// The shipped config has one device user, pi1; the laptop's user may
	// serve as a device too (sensehat emulate), so pi2 runs as that.
	asDevice := func(id string) config.Config {
		cfg := simConfig(t, srv.URL(), id)
		cfg.User, cfg.Password = id, "change-me-"+id
		if id != "pi1" {
			cfg.User, cfg.Password = "laptop", "change-me-laptop"
		}
		return cfg
	}
	var logA, logB, logC testutil.LogBuffer
	a := startWith(t, asDevice("pi1"), startOpts{log: &logA, dupCheck: 50 * time.Millisecond})
	c := startWith(t, asDevice("pi2"), startOpts{log: &logC, dupCheck: 50 * time.Millisecond})
	nc := testutil.Connect(t, srv.URL(), nats.UserInfo("laptop", "change-me-laptop"))

	// Alone (pi2 is another id), A finds nothing, announcement after
	// announcement.
	testutil.WaitFor(t, 10*time.Second, "A announced three times", func() bool { return a.d.dups.announcements() >= 3 })
	if d := status(t, nc, "pi1").Duplicates; len(d) != 0 {
		t.Fatalf("A alone lists duplicates %+v", d)
	}

	// B appears later. Its next periodic announcement is an hour away, so
	// what it finds it finds at start.
	b := startWith(t, asDevice("pi1"), startOpts{log: &logB, dupCheck: time.Hour})
	idA, idB := a.d.svc.Info().ID, b.d.svc.Info().ID
	if idA == idB {
		t.Fatalf("both daemons have micro instance id %s", idA)
	}
	host, _ := os.Hostname()
	testutil.WaitFor(t, 10*time.Second, "B finds A at start", func() bool {
		d := b.d.Status().Duplicates
		return len(d) == 1 && d[0].Instance == idA
	})
	if d := b.d.Status().Duplicates[0]; d.Host != host || d.Version == "" {
		t.Errorf("B's duplicate entry %+v, want host %q and a version", d, host)
	}
	testutil.WaitFor(t, 10*time.Second, "A finds B as it appears", func() bool {
		d := a.d.Status().Duplicates
		return len(d) == 1 && d[0].Instance == idB
	})
	// Over NATS, whichever of the two answers lists the other.
	if d := status(t, nc, "pi1").Duplicates; len(d) != 1 || (d[0].Instance != idA && d[0].Instance != idB) {
		t.Errorf("status of pi1 over NATS lists %+v, want the other instance", d)
	}
	// The supervise loop refreshes STATUS= every 2 s.
	testutil.WaitFor(t, 10*time.Second, "A's STATUS= line names the duplicate", func() bool {
		return containsState(a.notify, "DUPLICATE ID: 1 other instance(s)")
	})

	// Many more announcements: still one ERROR each.
	n := a.d.dups.announcements()
	testutil.WaitFor(t, 10*time.Second, "A announced five more times", func() bool { return a.d.dups.announcements() >= n+5 })
	for name, l := range map[string]*testutil.LogBuffer{"A": &logA, "B": &logB} {
		if got := l.Lines("level=ERROR", "another sensehatd serves this device id"); len(got) != 1 {
			t.Errorf("%s logged %d ERROR lines about the duplicate, want 1:\n%s", name, len(got), l.String())
		}
	}
	if d := c.d.Status().Duplicates; len(d) != 0 || len(logC.Lines("level=ERROR")) != 0 {
		t.Errorf("pi2 lists duplicates %+v or logged an error; it has none", d)
	}

	// B stops: A forgets it and says so.
	b.stop(t)
	testutil.WaitFor(t, 10*time.Second, "A forgets B", func() bool { return len(a.d.Status().Duplicates) == 0 })
	logA.WaitLog(t, 5*time.Second, "level=INFO", "other sensehatd with this device id stopped", idB)
	for name, l := range map[string]*testutil.LogBuffer{"A": &logA, "B": &logB, "C": &logC} {
		if ls := l.Lines("ermission"); len(ls) > 0 {
			t.Errorf("%s hit permission errors under the shipped config: %q", name, ls)
		}
	}
}

func containsState(f *fakeNotifier, sub string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.states {
		if strings.HasPrefix(s, "STATUS=") && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestDuplicateFoundAfterReconnect starts B while A is cut off from the
// server: B's announcement at start reaches nobody. A announces again when
// it reconnects, so both learn of each other then, although their periodic
// announcements are an hour away.
func TestDuplicateFoundAfterReconnect(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	g := newGate(t, srv.Addr().String())
	var logA testutil.LogBuffer
	a := startWith(t, simConfig(t, g.url(), "pi1"), startOpts{log: &logA, dupCheck: time.Hour})
	testutil.WaitFor(t, 10*time.Second, "A connected", a.d.nc.IsConnected)

	g.shut()
	testutil.WaitFor(t, 10*time.Second, "A disconnected", func() bool { return !a.d.nc.IsConnected() })
	b := startWith(t, simConfig(t, srv.URL(), "pi1"), startOpts{dupCheck: time.Hour})
	testutil.WaitFor(t, 10*time.Second, "B announced", func() bool { return b.d.dups.announcements() >= 1 })
	if n := a.d.dups.count() + b.d.dups.count(); n != 0 {
		t.Fatalf("%d duplicates known while A is cut off; nobody can know yet", n)
	}

	g.open.Store(true)
	testutil.WaitFor(t, 30*time.Second, "A finds B after reconnecting", func() bool { return a.d.dups.count() == 1 })
	testutil.WaitFor(t, 10*time.Second, "B finds A after A reconnects", func() bool { return b.d.dups.count() == 1 })
	logA.WaitLog(t, 5*time.Second, "level=ERROR", "another sensehatd serves this device id")
}
