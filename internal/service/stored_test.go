package service

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// TestRedirectedDirectGetRefused is the redirect of docs/fleet.md, "What
// permissions cannot refuse", on a real JetStream: another device asks for
// a direct get of its own desired-state key with pi1's led.text as the
// reply subject, and the server's JetStream publishes the key's value
// there. The answer's headers are nats-server's (Nats-Stream first, see
// notStored); the service must not show it, and must count and log it.
// A text sent the ordinary way afterwards is shown, so the endpoint was
// listening all along.
func TestRedirectedDirectGetRefused(t *testing.T) {
	testutil.CheckLeaks(t)
	opts := testutil.DefaultOptions()
	opts.JetStream = true
	opts.StoreDir = t.TempDir()
	srv := testutil.StartServer(t, opts)
	var errs health.Registry
	var logs testutil.LogBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	nc := testutil.Connect(t, srv.URL())
	p := &fakePlayer{}
	svc, err := Start(nc, p, Config{
		Prefix: "sensehat", ID: "pi1", Version: "0.0.1",
		Status: func() wire.Status { return wire.Status{} },
	}, log, &errs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	pi2 := testutil.Connect(t, srv.URL())
	js, err := jetstream.New(pi2)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: wire.DesiredBucket})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "pi2", []byte("chosen by pi2")); err != nil {
		t.Fatal(err)
	}
	pi1 := wire.Subjects{Prefix: "sensehat", ID: "pi1"}
	get := "$JS.API.DIRECT.GET.KV_" + wire.DesiredBucket + ".$KV." + wire.DesiredBucket + ".pi2"

	// What arrives on led.text, seen by a plain subscriber: the answer
	// has the value and the header the service goes by.
	seen := testutil.SubscribeSync(t, pi2, pi1.Text())
	for _, subj := range []string{pi1.Text(), pi1.AllText(), pi1.AnyText(), pi1.Config()} {
		if err := pi2.PublishRequest(get, subj, nil); err != nil {
			t.Fatal(err)
		}
	}
	m, err := seen.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("the direct get's answer never reached %s: %v", pi1.Text(), err)
	}
	if string(m.Data) != "chosen by pi2" || m.Header.Get(nats.JSStream) != "KV_"+wire.DesiredBucket || m.Reply != "" {
		t.Fatalf("answer on %s: data %q, headers %v, reply %q; want pi2's value, Nats-Stream KV_%s, no reply",
			pi1.Text(), m.Data, m.Header, m.Reply, wire.DesiredBucket)
	}

	testutil.WaitFor(t, 5*time.Second, "four refusals counted", func() bool { return errs.Count("request") == 4 },
		func() string { return logs.String() })
	p.mu.Lock()
	items, configs := len(p.items), len(p.configs)
	p.mu.Unlock()
	if items != 0 || configs != 0 {
		t.Fatalf("the redirected answers reached the player: %d items, %d configs", items, configs)
	}
	logs.WaitLog(t, 5*time.Second, "request refused", "endpoint=led_text", "stream=KV_"+wire.DesiredBucket)

	// The limit: asked for without headers (no_hdr, nats-server v2.11
	// and later), the answer is the bare value, which nothing tells
	// from a text a requester sent.
	if err := pi2.PublishRequest(get, pi1.Text(), []byte(`{"no_hdr":true}`)); err != nil {
		t.Fatal(err)
	}
	m, err = seen.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("the headerless direct get's answer never reached %s: %v", pi1.Text(), err)
	}
	if len(m.Header) != 0 {
		t.Fatalf("no_hdr answer has headers %v: the service could refuse it too; update docs/fleet.md", m.Header)
	}
	testutil.WaitFor(t, 5*time.Second, "the headerless answer shown (the documented limit)", func() bool {
		_, n := p.lastMode()
		return n == 1
	})

	code, _ := ask(t, pi2, pi1.Text(), "hello")
	if _, n := p.lastMode(); code != "" || n != 2 {
		t.Fatalf("an ordinary text after them: code %q, %d items shown; want shown", code, n)
	}
	if got := errs.Count("request"); got != 4 {
		t.Fatalf("refusals counted: %d, want 4", got)
	}
}
