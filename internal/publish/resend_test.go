package publish

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// Readings the server took but never stored (here: published before the
// stream existed, as a closing socket swallows them) are sent again after
// the next reconnect, ahead of the next reading, with their own ids: the
// stream then holds every reading once and in order, the ones it already
// had being dropped by its duplicate window (NATS JetStream "Message
// Deduplication": the Nats-Msg-Id header within duplicate_window).
func TestResendAfterReconnectFillsTheGapInOrder(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir()})
	nc := testutil.Connect(t, srv.URL(), nats.ReconnectWait(10*time.Millisecond), nats.MaxReconnects(-1))
	p := New(nc, wire.Subjects{Prefix: "sensehat", ID: "pi1"}, nil)
	p.SetResendWindow(10 * time.Second)
	reading := func(i int) { p.publish(kindEnv, p.envSubj, fmt.Appendf(nil, `{"n":%d}`, i)) }

	reading(1)
	reading(2) // lost: no stream yet
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"sensehat.pi1.>"}, Duplicates: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	reading(3) // stored, then resent once more below and dropped as a duplicate
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	before := nc.Stats().Reconnects
	if err := nc.ForceReconnect(); err != nil {
		t.Fatal(err)
	}
	for nc.Stats().Reconnects == before || !nc.IsConnected() {
		select {
		case <-ctx.Done():
			t.Fatal("no reconnect within 10s")
		case <-time.After(10 * time.Millisecond):
		}
	}
	reading(4)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for seq := uint64(1); ; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			break
		}
		got = append(got, string(m.Data))
	}
	want := []string{`{"n":3}`, `{"n":1}`, `{"n":2}`, `{"n":4}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stream holds %v, want %v: 3 once, then the lost 1 and 2 resent ahead of 4", got, want)
	}
}
