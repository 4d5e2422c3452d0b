package simulate

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// LeafOpts puts every simulated device behind a leaf node of its own, as
// the store-and-forward deployment puts a Pi (deploy/nats/leaf.conf): an
// embedded nats-server with JetStream in domain sensehat-<id> and the
// device's stream SENSEHAT_<id>, dialling the hub. The hub's streams then
// source them as they source real Pis, and a link cut (Cut) is a Pi
// losing its network.
type LeafOpts struct {
	// HubURLs are the hub's leaf node URLs, user and password included
	// (nats-leaf://sensehat-leaf:PASSWORD@hub:7422); several for a
	// cluster.
	HubURLs []string
}

// piStream is deploy/nats/pi-stream.json for device id: the stream a Pi
// keeps on its SD card (TestPiStreamMatchesDeploy holds the two in step).
func piStream(prefix, id string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        "SENSEHAT_" + id,
		Description: "Every reading and joystick event of " + prefix + "." + id + ", kept on the SD card until the hub has it and then for max_age, within max_bytes",
		Subjects:    []string{prefix + "." + id + ".sensors.>", prefix + "." + id + ".joystick.>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		MaxBytes:    268435456,
		MaxAge:      7 * 24 * time.Hour,
		MaxMsgs:     -1,
		// -1 in the JSON: no limit.
		MaxMsgsPerSubject: -1,
		MaxMsgSize:        65536,
		MaxConsumers:      -1,
		Duplicates:        2 * time.Minute,
		Replicas:          1,
		AllowDirect:       true,
	}
}

// leafNode is one device's embedded leaf node.
type leafNode struct {
	srv *server.Server
}

// startLeaf starts device id's leaf node with its store under dir and
// creates its stream. The leaf node keeps dialling the hub in the
// background: a hub that is down is no error, as for a Pi.
func startLeaf(ctx context.Context, o *LeafOpts, prefix, id, dir string) (*leafNode, error) {
	var urls []*url.URL
	for _, s := range o.HubURLs {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("simulate: leaf node URL %q: %w", s, err)
		}
		urls = append(urls, u)
	}
	opts := &server.Options{
		ServerName: "sensehat-" + id,
		Host:       "127.0.0.1", Port: server.RANDOM_PORT,
		JetStream: true, JetStreamDomain: "sensehat-" + id,
		StoreDir:          filepath.Join(dir, "leaf"),
		JetStreamMaxStore: 512 << 20, JetStreamMaxMemory: 16 << 20,
		LeafNode: server.LeafNodeOpts{
			Remotes:           []*server.RemoteLeafOpts{{URLs: urls}},
			ReconnectInterval: time.Second,
		},
		NoSigs: true, NoLog: true,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("simulate: %s: leaf node: %w", id, err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("simulate: %s: leaf node did not start in 10s", id)
	}
	l := &leafNode{srv: srv}
	if err := l.createStream(ctx, prefix, id); err != nil {
		l.stop()
		return nil, err
	}
	return l, nil
}

func (l *leafNode) createStream(ctx context.Context, prefix, id string) error {
	nc, err := nats.Connect(l.srv.ClientURL(), nats.InProcessServer(l.srv))
	if err != nil {
		return fmt.Errorf("simulate: %s: leaf node: %w", id, err)
	}
	defer nc.Close()
	js, err := jetstream.NewWithDomain(nc, "sensehat-"+id)
	if err != nil {
		return fmt.Errorf("simulate: %s: leaf JetStream: %w", id, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(ctx, piStream(prefix, id)); err != nil {
		return fmt.Errorf("simulate: %s: creating stream SENSEHAT_%s on its leaf node: %w", id, id, err)
	}
	return nil
}

func (l *leafNode) url() string { return l.srv.ClientURL() }

func (l *leafNode) stop() {
	l.srv.Shutdown()
	l.srv.WaitForShutdown()
}
