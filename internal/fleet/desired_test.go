package fleet_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
)

type desiredViewJSON struct {
	Default struct {
		Revision uint64 `json:"revision"`
	} `json:"default"`
	Devices []struct {
		ID  string `json:"id"`
		Own struct {
			Revision uint64 `json:"revision"`
		} `json:"own"`
		Desired  map[string]string `json:"desired"`
		InForce  map[string]string `json:"in_force"`
		Reported bool              `json:"reported"`
		Differs  []struct{ Setting, Why string }
	} `json:"devices"`
	Problem string `json:"problem"`
}

// The page shows each device's desired state against what it reports,
// marks the ones that differ, and edits with the revision it showed: a
// stale revision is refused (409) and writes nothing.
func TestDesiredStateOnThePage(t *testing.T) {
	o := testutil.DefaultOptions()
	o.JetStream, o.StoreDir = true, t.TempDir()
	srv := testutil.StartServer(t, o)
	_, base := startFleet(t, srv.URL(), testOpts())
	origin := base

	// The first edit makes the bucket; pi1 is not running yet, so its key
	// has no value: revision 0.
	code, b := post(t, base, "/fleet/desired", url.Values{"key": {"pi1"}, "revision": {"0"}, "set": {"rotation=180"}}, origin)
	if code != 200 || !strings.Contains(string(b), `"revision":1`) {
		t.Fatalf("first edit: %d %s", code, b)
	}
	simdaemon.StartOn(t, srv.URL(), "pi1")
	simdaemon.StartOn(t, srv.URL(), "pi2")
	var v desiredViewJSON
	testutil.WaitFor(t, 15*time.Second, "both devices listed, pi1 in step", func() bool {
		v = desiredViewJSON{}
		getJSON(t, base+"/fleet/desired", &v)
		if len(v.Devices) != 2 {
			return false
		}
		d := v.Devices[0]
		return d.ID == "pi1" && d.Reported && d.InForce["rotation"] == "180" && len(d.Differs) == 0
	})

	// A setting that waits for a restart differs, and says why.
	code, b = post(t, base, "/fleet/desired", url.Values{"key": {"pi2"}, "revision": {"0"}, "set": {"env_interval=2s"}}, origin)
	if code != 200 {
		t.Fatalf("edit pi2: %d %s", code, b)
	}
	testutil.WaitFor(t, 15*time.Second, "pi2 marked as differing", func() bool {
		v = desiredViewJSON{}
		getJSON(t, base+"/fleet/desired", &v)
		return len(v.Devices) == 2 && len(v.Devices[1].Differs) == 1 && v.Devices[1].Differs[0].Setting == "env_interval" &&
			v.Devices[1].Differs[0].Why == "applies at the next start"
	})

	// An edit against a revision someone else has moved past.
	code, b = post(t, base, "/fleet/desired", url.Values{"key": {"pi1"}, "revision": {"0"}, "set": {"rotation=90"}}, origin)
	if code != 409 || !strings.Contains(string(b), "it is at revision 1, not 0") {
		t.Errorf("stale edit: %d %s", code, b)
	}
	// A bad value is refused before it is written.
	code, b = post(t, base, "/fleet/desired", url.Values{"key": {"pi1"}, "revision": {"1"}, "set": {"rotation=45"}}, origin)
	if code != 400 || !strings.Contains(string(b), "give 0, 90, 180 or 270") {
		t.Errorf("bad value: %d %s", code, b)
	}
	code, b = post(t, base, "/fleet/desired", url.Values{"key": {"pi1"}, "revision": {"1"}, "unset": {"rotation"}}, origin)
	if code != 200 {
		t.Errorf("unset: %d %s", code, b)
	}
	v = desiredViewJSON{}
	getJSON(t, base+"/fleet/desired", &v)
	// Revisions are the bucket's sequence: pi2's write came between.
	if v.Devices[0].Own.Revision != 3 || v.Devices[0].Desired["rotation"] != "" {
		t.Errorf("pi1's key at revision %d, desired %v after the unset; want revision 3 without rotation", v.Devices[0].Own.Revision, v.Devices[0].Desired)
	}
}
