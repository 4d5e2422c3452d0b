package catchup_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/catchup"
	"github.com/sensehat/sensehat/internal/testutil"
)

// hubAndPi starts an embedded hub (JetStream domain hub, a leaf node
// port) and returns it with a function that starts a Pi's leaf node
// (domain sensehat-<id>) holding n readings in its stream SENSEHAT_<id>.
func hubAndPi(t *testing.T) (*testutil.Server, func(id string, n int) *testutil.Server) {
	t.Helper()
	ho := testutil.DefaultOptions()
	ho.JetStream, ho.JetStreamDomain, ho.StoreDir = true, "hub", t.TempDir()
	ho.ServerName = "hub"
	ho.LeafNode.Host, ho.LeafNode.Port = "127.0.0.1", server.RANDOM_PORT
	hub := testutil.StartServer(t, ho)
	pi := func(id string, n int) *testutil.Server {
		u, err := url.Parse(fmt.Sprintf("nats://127.0.0.1:%d", hub.Opts.LeafNode.Port))
		if err != nil {
			t.Fatal(err)
		}
		po := testutil.DefaultOptions()
		po.ServerName = "pi-" + id
		po.JetStream, po.JetStreamDomain, po.StoreDir = true, "sensehat-"+id, t.TempDir()
		po.LeafNode.Remotes = []*server.RemoteLeafOpts{{URLs: []*url.URL{u}}}
		s := testutil.StartServer(t, po)
		js, err := jetstream.New(testutil.Connect(t, s.URL()))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "SENSEHAT_" + id, Subjects: []string{"sensehat." + id + ".>"}}); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= n; i++ {
			if _, err := js.Publish(ctx, "sensehat."+id+".sensors.env", []byte(`{}`), jetstream.WithMsgID(fmt.Sprintf("%s-b-env-%d", id, i))); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	return hub, pi
}

func source(id, kind string) *jetstream.StreamSource {
	return &jetstream.StreamSource{
		Name: "SENSEHAT_" + id, FilterSubject: "sensehat." + id + ".sensors." + kind,
		External: &jetstream.ExternalStream{APIPrefix: "$JS.sensehat-" + id + ".API", DeliverPrefix: "_SENSEHAT_SRC." + id},
	}
}

func hubStream(t *testing.T, hub *testutil.Server, sources ...*jetstream.StreamSource) (jetstream.JetStream, *nats.Conn) {
	t.Helper()
	nc := testutil.Connect(t, hub.URL())
	js, err := jetstream.NewWithDomain(nc, "hub")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "SENSEHAT", Sources: sources, Duplicates: time.Minute}); err != nil {
		t.Fatal(err)
	}
	return js, nc
}

func state(t *testing.T, js jetstream.JetStream) *jetstream.StreamInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "SENSEHAT")
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo()
}

// The hub stream is made while the Pis are away, so nats-server's first
// consumer request of each source goes unanswered and it waits 30 s
// before it asks again (srcConsumerWaitTime in server/stream.go). A Round
// leaves the Pi that is still away alone, restarts the sources of the one
// that is back, and the backlog arrives long before nats-server would
// have asked again; a second source of the same Pi, added meanwhile, is
// kept; nothing is stored twice.
func TestRoundRestartsReachablePisOnly(t *testing.T) {
	hub, pi := hubAndPi(t)
	js, nc := hubStream(t, hub, source("pa", "env"), source("pb", "env"))
	o := catchup.DefaultOpts
	w, err := catchup.New(nc, &o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got, err := w.Round(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Round with both Pis away restarted %v (%v), want nothing", got, err)
	}
	pi("pa", 50)
	start := time.Now()
	var got []string
	testutil.WaitFor(t, 10*time.Second, "a Round restarting pa once its leaf node is up", func() bool {
		got, err = w.Round(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(got) > 0
	})
	if len(got) != 1 || got[0] != "$JS.sensehat-pa.API" {
		t.Fatalf("Round restarted %v, want pa's sources only", got)
	}
	testutil.WaitFor(t, 10*time.Second, "pa's 50 readings in the hub stream", func() bool { return state(t, js).State.Msgs == 50 })
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("pa caught up after %v: no sooner than nats-server's own retry", d)
	}
	cfg := state(t, js).Config
	if len(cfg.Sources) != 2 {
		t.Fatalf("after the restart the stream has %d sources, want pa's and pb's", len(cfg.Sources))
	}
	// A healthy source is left alone, and so is one restarted within Hold.
	if got, err := w.Round(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Round on a healthy pa restarted %v (%v)", got, err)
	}
	if w.Restarts() != 1 {
		t.Errorf("Restarts() = %d, want 1", w.Restarts())
	}
	if info := state(t, js); info.State.Msgs != 50 || info.State.LastSeq != 50 {
		t.Errorf("hub stream holds %d messages, last sequence %d; want 50 and 50", info.State.Msgs, info.State.LastSeq)
	}
}

// A stream whose only source is stalled: it is replaced for a moment by a
// placeholder (nats-server would give a stream with no sources a subject
// of its own), and afterwards the stream has exactly its source again.
// Restarting a source that has stored part of the Pi's stream resumes
// after what the hub holds: the Pi's later readings arrive, none twice.
func TestRoundOnlySourceResumes(t *testing.T) {
	hub, pi := hubAndPi(t)
	p := pi("pa", 20)
	js, nc := hubStream(t, hub, source("pa", "env"))
	testutil.WaitFor(t, 40*time.Second, "the first 20 readings sourced", func() bool { return state(t, js).State.Msgs == 20 })
	o := catchup.DefaultOpts
	o.Idle, o.Hold = time.Millisecond, 0 // every source counts as stalled
	w, err := catchup.New(nc, &o)
	if err != nil {
		t.Fatal(err)
	}
	pjs, err := jetstream.New(testutil.Connect(t, p.URL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	// Readings without a Nats-Msg-Id: one sent again would be stored
	// again, so the count shows whether the restarted source resumed.
	pub := func(from, to int) {
		for i := from; i <= to; i++ {
			if _, err := pjs.Publish(ctx, "sensehat.pa.sensors.env", []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
		}
	}
	pub(21, 30)
	testutil.WaitFor(t, 20*time.Second, "30 readings sourced", func() bool { return state(t, js).State.Msgs == 30 })
	if got, err := w.Round(ctx); err != nil || len(got) != 1 {
		t.Fatalf("Round restarted %v (%v), want pa", got, err)
	}
	info := state(t, js)
	if len(info.Config.Sources) != 1 || info.Config.Sources[0].Name != "SENSEHAT_pa" || len(info.Config.Subjects) != 0 {
		t.Fatalf("after the restart: sources %+v, subjects %v; want pa's source only", info.Config.Sources, info.Config.Subjects)
	}
	pub(31, 35)
	testutil.WaitFor(t, 20*time.Second, "all 35 readings sourced", func() bool { return state(t, js).State.Msgs >= 35 })
	time.Sleep(2 * time.Second)
	if info := state(t, js); info.State.Msgs != 35 {
		t.Errorf("hub stream holds %d messages, want 35: the restarted source sent some again", info.State.Msgs)
	}
}
