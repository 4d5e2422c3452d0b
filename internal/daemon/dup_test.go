package daemon

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
)

// TestDuplicateIDDetected runs two daemons with the same id on one server
// (and a third with another id). The newer one must find the older at
// start, the older one must find the newer on its next periodic look;
// each logs one ERROR however many looks follow, lists the other in its
// status, and forgets it once it is gone.
func TestDuplicateIDDetected(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	var logA, logB, logC logBuffer
	a := startWith(t, simConfig(t, srv.URL(), "pi1"), startOpts{log: &logA, dupCheck: 50 * time.Millisecond})
	c := startWith(t, simConfig(t, srv.URL(), "pi2"), startOpts{log: &logC, dupCheck: 50 * time.Millisecond})
	nc := connect(t, srv.URL())

	// Alone (pi2 is another id), A finds nothing, look after look.
	waitFor(t, 10*time.Second, "A looked three times", func() bool { return a.d.dups.checksDone() >= 3 })
	if d := status(t, nc, "pi1").Duplicates; len(d) != 0 {
		t.Fatalf("A alone lists duplicates %+v", d)
	}

	// B appears later. Its periodic look is an hour away, so what it
	// finds it finds at start.
	b := startWith(t, simConfig(t, srv.URL(), "pi1"), startOpts{log: &logB, dupCheck: time.Hour})
	idA, idB := a.d.svc.Info().ID, b.d.svc.Info().ID
	if idA == idB {
		t.Fatalf("both daemons have micro instance id %s", idA)
	}
	host, _ := os.Hostname()
	waitFor(t, 10*time.Second, "B finds A at start", func() bool {
		d := b.d.Status().Duplicates
		return len(d) == 1 && d[0].Instance == idA
	})
	if d := b.d.Status().Duplicates[0]; d.Host != host || d.Version == "" {
		t.Errorf("B's duplicate entry %+v, want host %q and a version", d, host)
	}
	waitFor(t, 10*time.Second, "A finds B on a later look", func() bool {
		d := a.d.Status().Duplicates
		return len(d) == 1 && d[0].Instance == idB
	})
	// Over NATS, whichever of the two answers lists the other.
	if d := status(t, nc, "pi1").Duplicates; len(d) != 1 || (d[0].Instance != idA && d[0].Instance != idB) {
		t.Errorf("status of pi1 over NATS lists %+v, want the other instance", d)
	}
	// The supervise loop refreshes STATUS= every 2 s.
	waitFor(t, 10*time.Second, "A's STATUS= line names the duplicate", func() bool {
		return containsState(a.notify, "DUPLICATE ID: 1 other instance(s)")
	})

	// Many more looks: still one ERROR each.
	n := a.d.dups.checksDone()
	waitFor(t, 10*time.Second, "A looked five more times", func() bool { return a.d.dups.checksDone() >= n+5 })
	for name, l := range map[string]*logBuffer{"A": &logA, "B": &logB} {
		if got := l.lines("level=ERROR", "another sensehatd serves this device id"); len(got) != 1 {
			t.Errorf("%s logged %d ERROR lines about the duplicate, want 1:\n%s", name, len(got), l.String())
		}
	}
	if d := c.d.Status().Duplicates; len(d) != 0 || len(logC.lines("level=ERROR")) != 0 {
		t.Errorf("pi2 lists duplicates %+v or logged an error; it has none", d)
	}

	// B stops: A forgets it and says so.
	b.stop(t)
	waitFor(t, 10*time.Second, "A forgets B", func() bool { return len(a.d.Status().Duplicates) == 0 })
	logA.waitLog(t, 5*time.Second, "level=INFO", "other sensehatd with this device id is gone", idB)
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
