package simulate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/testutil"
)

// The leaf node's stream is the one setup-pi.sh gives a Pi: the deploy
// file, with its placeholders filled, decodes to the same configuration.
func TestPiStreamMatchesDeploy(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "deploy", "nats", "pi-stream.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer("@ID@", "sim-0001", "@PREFIX@", "sensehat").Replace(string(b))
	var want jetstream.StreamConfig
	if err := json.Unmarshal([]byte(s), &want); err != nil {
		t.Fatal(err)
	}
	if got := piStream("sensehat", "sim-0001"); !reflect.DeepEqual(got, want) {
		t.Errorf("the simulated leaf node's stream differs from deploy/nats/pi-stream.json:\n got %+v\nwant %+v", got, want)
	}
}

// Three devices, each behind a leaf node of its own, reach a hub: their
// services answer discovery through it, and a hub stream sourcing their
// streams across the leaf connections (as store-and-forward.sh hub sets
// it up) fills with every device's readings.
func TestDevicesBehindLeafNodes(t *testing.T) {
	testutil.CheckLeaks(t)
	opts := testutil.DefaultOptions()
	opts.ServerName = "hub"
	opts.JetStream, opts.JetStreamDomain, opts.StoreDir = true, "hub", t.TempDir()
	opts.LeafNode = server.LeafNodeOpts{Host: "127.0.0.1", Port: server.RANDOM_PORT}
	hub := testutil.StartServer(t, opts)
	leafURL := "nats-leaf://127.0.0.1:" + itoa(hub.Opts.LeafNode.Port)

	o := DefaultOpts
	o.Devices = 3
	o.Leaf = &LeafOpts{HubURLs: []string{leafURL}}
	o.Ready = make(chan struct{})
	f, err := New(&o)
	if err != nil {
		t.Fatal(err)
	}
	testutil.GoReadyWithin(t, "the simulated fleet", 30*time.Second, o.Ready, f.Run)

	nc := testutil.Connect(t, hub.URL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := jetstream.StreamConfig{Name: "SENSEHAT", Storage: jetstream.FileStorage}
	for n := 1; n <= 3; n++ {
		cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{
			Name: "SENSEHAT_" + ID(n), External: &jetstream.ExternalStream{APIPrefix: "$JS.sensehat-" + ID(n) + ".API"},
		})
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer ccancel()
	s, err := js.CreateStream(cctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := s.Info(cctx, jetstream.WithSubjectFilter("sensehat.*.sensors.env"))
		if err != nil {
			t.Fatal(err)
		}
		if len(info.State.Subjects) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub stream has env readings of %v, want all three devices", info.State.Subjects)
		}
		time.Sleep(100 * time.Millisecond)
	}

	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest("$SRV.PING.sensehat", inbox, nil); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for len(seen) < 3 {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("discovery through the hub found %v: %v", seen, err)
		}
		var p struct{ Metadata map[string]string }
		if err := json.Unmarshal(m.Data, &p); err != nil {
			t.Fatal(err)
		}
		seen[p.Metadata["id"]] = true
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
