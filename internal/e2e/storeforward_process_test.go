package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/catchup"
	"github.com/sensehat/sensehat/internal/cli"
	"github.com/sensehat/sensehat/internal/testutil"
)

// stopDaemon sends SIGTERM, as systemd does, and wants exit status 0: the
// daemon drains what it published into the leaf node first.
func stopDaemon(t *testing.T, f *fleet) {
	t.Helper()
	f.daemon.terminate(t, "sensehatd", 30*time.Second)
	if f.daemon.err != nil {
		t.Fatalf("sensehatd exit after SIGTERM: %v, want status 0", f.daemon.err)
	}
}

// stopAndForward stops the daemon and waits until the hub's stream holds
// the Pi's newest reading. It returns the Pi's stream as the daemon left
// it and every reading the hub then holds.
func stopAndForward(t *testing.T, f *fleet) (jetstream.StreamState, []reading) {
	t.Helper()
	stopDaemon(t, f)
	leaf := streamState(t, f.leaf.url(), "SENSEHAT_"+sfID)
	newest := lastID(t, f.leaf.url(), "SENSEHAT_"+sfID)
	// nats-server retries a source with a growing backoff (10 s per
	// failure, at most 2 min) once the hub is back: wait generously.
	testutil.WaitFor(t, 300*time.Second, "hub catches up with the Pi's newest reading", func() bool {
		return lastID(t, f.hub.url(), "SENSEHAT") == newest
	})
	return leaf, readAll(t, f.hub.url(), "SENSEHAT")
}

// TestStoreAndForwardOutage is the README's store-and-forward deployment
// with real processes, built from deploy/nats: a hub, the Pi's leaf node
// (each nats-server version the leaf configuration supports) and sensehatd
// on the simulated HAT publishing about 70 readings a second to the leaf.
// The link goes down (hub stopped), the leaf node restarts during the
// outage, the hub comes back: the hub's stream must then hold every
// reading the daemon published, in order, once. The daemon's status counts
// what it published per kind, and each message's Nats-Msg-Id numbers it
// (<id>-<boot>-<kind>-<n>), so "every reading" is checkable: numbers 1..n
// of each kind with no gap and no repeat, n at least the count the daemon
// reported.
func TestStoreAndForwardOutage(t *testing.T) {
	testutil.SkipShort(t, "builds and runs processes")
	testutil.CheckLeaks(t)
	daemonBin := buildDaemon(t, t.TempDir())
	for _, ls := range leafServers(t) {
		t.Run("leaf "+ls.name, func(t *testing.T) {
			f := startFleet(t, ls.bin)
			f.streams(t)
			f.startDaemon(t, daemonBin)
			testutil.WaitFor(t, 30*time.Second, "hub stream receives readings", func() bool {
				return streamState(t, f.hub.url(), "SENSEHAT").Msgs >= 50
			})
			before := f.status(t, 10*time.Second)

			hubBefore := streamState(t, f.hub.url(), "SENSEHAT").Msgs
			// sensehat catchup beside the hub (deploy/nats/sensehat-catchup.service)
			runCatchup(t, f.hub.url(), catchup.Opts{})
			f.hub.stop(t)
			cut := time.Now()
			time.Sleep(2 * time.Second)
			f.leaf.stop(t) // the Pi's nats-server restarts mid-outage
			time.Sleep(500 * time.Millisecond)
			f.leaf.start(t)
			time.Sleep(2 * time.Second)
			backlog := streamState(t, f.leaf.url(), "SENSEHAT_"+sfID).Msgs

			f.hub.start(t)
			back := time.Now()
			outage := back.Sub(cut)
			// Without the watcher nats-server would retry the source
			// after about 40 s; the bound is a hang guard.
			testutil.WaitFor(t, 300*time.Second, "hub catches up with the leaf's backlog", func() bool {
				return streamState(t, f.hub.url(), "SENSEHAT").Msgs >= backlog
			})
			catchUp := time.Since(back)
			after := f.status(t, 60*time.Second)
			if after.Published.Boot != before.Published.Boot {
				t.Fatalf("daemon restarted during the test (boot %s then %s)", before.Published.Boot, after.Published.Boot)
			}
			leafState, hub := stopAndForward(t, f)
			leaf := readAll(t, f.leaf.url(), "SENSEHAT_"+sfID)
			if len(hub) != len(leaf) {
				t.Fatalf("hub holds %d readings, the leaf %d", len(hub), len(leaf))
			}
			for i := range hub {
				if hub[i].boot != leaf[i].boot || hub[i].kind != leaf[i].kind || hub[i].n != leaf[i].n || hub[i].subject != leaf[i].subject {
					t.Fatalf("reading %d: hub has %s %s-%d, leaf %s %s-%d", i, hub[i].subject, hub[i].kind, hub[i].n, leaf[i].subject, leaf[i].kind, leaf[i].n)
				}
			}
			groups := runs(t, "SENSEHAT", hub)
			historyMatches(t, f.hub.url(), hub)
			counted := map[string]uint64{
				"env": after.Published.Env, "motion": after.Published.Motion,
				"colour": after.Published.Colour, "joystick": after.Published.Joystick,
			}
			for kind, n := range counted {
				got := groups[after.Published.Boot+"/"+kind]
				if n == 0 && len(got) == 0 {
					continue
				}
				if uint64(len(got)) < n {
					t.Errorf("%s: hub holds %d readings, the daemon had published %d when asked", kind, len(got), n)
				}
				for i, v := range got {
					if v != uint64(i+1) {
						t.Fatalf("%s: reading %d of the hub is number %d: a gap before it (numbers so far %v...)", kind, i+1, v, got[:min(i, 5)])
					}
				}
			}
			if len(groups) != 2 && len(groups) != 3 {
				t.Errorf("hub holds readings of %v, want env and motion (and colour) of one boot", slices.Sorted(maps.Keys(groups)))
			}
			t.Logf("figures (leaf %s): published %d by status after catch-up (env %d, motion %d, colour %d); "+
				"stored on the leaf %d (%d bytes); forwarded to the hub %d; outage %v with about %d readings waiting on the Pi, caught up %v after the hub was back",
				ls.name, after.total(), after.Published.Env, after.Published.Motion, after.Published.Colour,
				leafState.Msgs, leafState.Bytes, len(hub), outage.Round(100*time.Millisecond), backlog-hubBefore, catchUp.Round(time.Millisecond))
		})
	}
}

// TestStoreAndForwardFull is a long outage on a Pi whose store is tiny:
// the device stream reaches max_bytes and, as pi-stream.json documents
// (discard old), the oldest readings make room for the newest. The daemon
// does not notice: it answers status through the leaf node and keeps
// publishing. When the link returns the hub gets what the Pi still holds:
// every reading up to the outage, then the newest ones without a gap up to
// the last, the dropped ones being exactly the oldest of the outage.
func TestStoreAndForwardFull(t *testing.T) {
	testutil.SkipShort(t, "builds and runs processes")
	testutil.CheckLeaks(t)
	daemonBin := buildDaemon(t, t.TempDir())
	const maxBytes = 64 << 10
	f := startFleet(t, tool(t, "nats-server"))
	tiny := render(t, f.dir, "pi-stream.json", "@ID@", sfID, "@PREFIX@", "sensehat",
		`"max_bytes": 268435456`, fmt.Sprintf(`"max_bytes": %d`, maxBytes))
	f.cli.url = f.leaf.url()
	f.cli.run(t, "stream", "add", "--config", tiny)
	f.cli.url = f.hub.url()
	f.cli.run(t, "stream", "add", "--config", render(t, f.dir, "hub-stream.json"))
	f.startDaemon(t, daemonBin)
	testutil.WaitFor(t, 30*time.Second, "hub stream receives readings", func() bool {
		return streamState(t, f.hub.url(), "SENSEHAT").Msgs >= 50
	})

	onLeaf := testutil.Connect(t, f.leaf.url())
	f.hub.stop(t)
	cut := streamState(t, f.leaf.url(), "SENSEHAT_"+sfID)
	early := f.statusOn(t, onLeaf, 10*time.Second)
	var full jetstream.StreamState
	testutil.WaitFor(t, 120*time.Second, "the Pi's stream drops the readings stored before the outage", func() bool {
		full = streamState(t, f.leaf.url(), "SENSEHAT_"+sfID)
		return full.FirstSeq > cut.LastSeq+1
	})
	if full.Bytes > maxBytes {
		t.Errorf("the Pi's stream holds %d bytes, above max_bytes %d", full.Bytes, maxBytes)
	}
	late := f.statusOn(t, onLeaf, 10*time.Second)
	if late.Published.Boot != early.Published.Boot || late.Published.Motion <= early.Published.Motion {
		t.Errorf("daemon during the outage: published %+v then %+v, want the same boot and more readings", early.Published, late.Published)
	}

	f.hub.start(t)
	last, hub := stopAndForward(t, f)
	groups := runs(t, "SENSEHAT", hub)
	leaf := runs(t, "SENSEHAT_"+sfID, readAll(t, f.leaf.url(), "SENSEHAT_"+sfID))
	var dropped uint64
	for key, ns := range groups {
		tail := leaf[key]
		if len(tail) == 0 {
			continue // a kind with nothing left on the Pi (colour, rare)
		}
		// The Pi keeps a run without a gap up to the newest reading.
		for i := 1; i < len(tail); i++ {
			if tail[i] != tail[i-1]+1 {
				t.Fatalf("%s on the Pi: %d after %d: the Pi dropped something other than the oldest", key, tail[i], tail[i-1])
			}
		}
		// The hub: 1..a, what it had before the outage, then the Pi's
		// tail beyond a, nothing else.
		a := 0
		for a < len(ns) && ns[a] == uint64(a+1) {
			a++
		}
		var rest []uint64
		for _, n := range tail {
			if n > uint64(a) {
				rest = append(rest, n)
			}
		}
		if !slices.Equal(ns[a:], rest) {
			t.Fatalf("%s on the hub after 1..%d: %d readings from %d, want the Pi's %d from %d to %d",
				key, a, len(ns[a:]), first(ns[a:]), len(rest), first(rest), tail[len(tail)-1])
		}
		if strings.HasSuffix(key, "/motion") {
			dropped = tail[0] - uint64(a) - 1
		}
	}
	if dropped == 0 {
		t.Error("no motion reading was dropped: the outage did not fill the Pi's stream")
	}
	t.Logf("figures: max_bytes %d; Pi stream at the cut %d msgs, full %d msgs %d bytes (first seq %d); at the end %d msgs; hub %d msgs; motion readings dropped (oldest of the outage) %d; published at the end %d (motion %d)",
		maxBytes, cut.Msgs, full.Msgs, full.Bytes, full.FirstSeq, last.Msgs, len(hub), dropped, late.total(), late.Published.Motion)
}

func first(ns []uint64) uint64 {
	if len(ns) == 0 {
		return 0
	}
	return ns[0]
}

// historyMatches reads the hub's stream with `sensehat history --csv` and
// wants one row per stored reading, in the stream's order, with the
// subject and time each reading carries.
func historyMatches(t *testing.T, url string, stored []reading) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &cli.App{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	if code := app.Run(context.Background(), []string{"history", "--nats", url, "--id", sfID, "--since", "1h", "--csv"}); code != 0 {
		t.Fatalf("sensehat history: exit %d: %s", code, errOut.String())
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatalf("sensehat history --csv: %v", err)
	}
	if len(rows)-1 != len(stored) {
		t.Fatalf("sensehat history --csv: %d rows, the hub holds %d readings", len(rows)-1, len(stored))
	}
	for i, r := range stored {
		var v struct{ Time string }
		if err := json.Unmarshal(r.data, &v); err != nil {
			t.Fatal(err)
		}
		ts, err := time.Parse(time.RFC3339Nano, v.Time)
		if err != nil {
			t.Fatal(err)
		}
		row := rows[i+1]
		if row[0] != ts.UTC().Format(time.RFC3339Nano) || row[2] != r.subject {
			t.Fatalf("history row %d: %s %s, the hub holds %s %s", i, row[0], row[2], v.Time, r.subject)
		}
	}
}
