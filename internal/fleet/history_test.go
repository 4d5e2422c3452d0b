package fleet_test

import (
	"math"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sensehat/sensehat/internal/fleet"
	"github.com/sensehat/sensehat/internal/testutil"
)

// Readings stored in a JetStream stream before the page started are
// plotted, for a device no longer there; a stream that does not exist is
// no error.
func TestHistoryFromStream(t *testing.T) {
	testutil.CheckLeaks(t)
	ns := testutil.StartServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir()})
	js, ctx := readingsJS(t, ns.URL(), 10*time.Second)
	// A reading of a device that has gone since, and one the filter skips.
	if _, err := js.Publish(ctx, "sensehat.old1.sensors.env", []byte(`{"humidity_pct":33.5,"time":"2026-01-01T00:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}

	o := testOpts()
	o.HistoryStream = "READINGS"
	_, base := startFleet(t, ns.URL(), o)
	testutil.WaitFor(t, 10*time.Second, "old1's stored humidity plotted", func() bool {
		var s map[string][]fleet.Sample
		getJSON(t, base+"/fleet/series?q=env.humidity_pct", &s)
		return len(s["old1"]) == 1 && math.Abs(s["old1"][0].V-33.5) < 1e-9
	})

	o.HistoryStream = "NO_SUCH_STREAM"
	_, base2 := startFleet(t, ns.URL(), o)
	var qs []string
	getJSON(t, base2+"/fleet/quantities", &qs)
	if len(qs) != 0 {
		t.Errorf("quantities %v from a stream that does not exist, want none", qs)
	}
}
