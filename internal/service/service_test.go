package service

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/natsconn"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// gatePlayer blocks every Submit until the gate opens, so the endpoint's
// subscription backs up as behind a stuck display. Without a reply subject
// the service never reads the ticket, so a nil one is fine.
type gatePlayer struct {
	gate      chan struct{}
	submitted atomic.Int64
}

func (g *gatePlayer) Submit(display.Item, display.Mode) (*display.Ticket, error) {
	<-g.gate
	g.submitted.Add(1)
	return nil, nil
}

func (g *gatePlayer) SetConfig(display.Config) error { return nil }

// TestSlowConsumerCountedOnce floods an endpoint whose handler is stuck
// until the client drops messages. nats.go reports a slow consumer once
// per episode (it sets the subscription's slow flag and only reports
// again after the subscription has caught up: nats.go v1.55.0,
// processMsg), and the flood below is one episode, so the status count
// and the log must show exactly one. Before the fix micro's handler and
// the connection's handler each counted and logged it: two.
func TestSlowConsumerCountedOnce(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	var errs health.Registry
	var logs testutil.LogBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	nc, err := natsconn.Connect(natsconn.Settings{URL: srv.URL(), Name: "slow-test", Errors: &errs}, log)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	defer func() {
		select {
		case <-closed:
		default:
			nc.Close()
		}
	}()
	p := &gatePlayer{gate: make(chan struct{})}
	svc, err := Start(nc, p, Config{
		Prefix: "sensehat", ID: "slow", Version: "0.0.1",
		Status:      func() wire.Status { return wire.Status{} },
		PendingMsgs: 10,
	}, log, &errs)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	pub := testutil.Connect(t, srv.URL())
	// One message is taken by the stuck handler, ten wait; the rest are
	// dropped: far more than enough to cross the limit once.
	const sent = 200
	for range sent {
		if err := pub.Publish("sensehat.slow.led.text", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Flush(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for errs.Count("nats") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no slow consumer reported within 10s; log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Every message has reached the client (kept or dropped) before the
	// gate opens: one arriving after the handler caught up would start a
	// second episode.
	for nc.Stats().InMsgs < sent {
		if time.Now().After(deadline) {
			t.Fatalf("the client received %d of %d messages", nc.Stats().InMsgs, sent)
		}
		time.Sleep(time.Millisecond)
	}
	close(p.gate)
	// The handler held at the gate serves its message once the gate opens;
	// stopping before it has run would leave the count at 0 by chance.
	for p.submitted.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the handler served nothing after the gate opened")
		}
		time.Sleep(time.Millisecond)
	}
	if err := svc.Stop(); err != nil {
		t.Fatalf("stopping the service: %v", err)
	}
	// The client runs its callbacks one at a time, in order: once the
	// closed callback has run, every error callback before it has too.
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	nc.Close()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("connection not closed within 10s")
	}

	if n := errs.Count("nats"); n != 1 {
		t.Errorf("errors.counts.nats = %d after one slow-consumer episode, want 1", n)
	}
	var slow []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, nats.ErrSlowConsumer.Error()) && strings.Contains(l, "level=WARN") {
			slow = append(slow, l)
		}
	}
	if len(slow) != 1 {
		t.Errorf("%d WARN lines about the slow consumer, want 1:\n%s", len(slow), strings.Join(slow, "\n"))
	}
	// The handler saw the messages that were kept, never more than sent.
	if got := p.submitted.Load(); got == 0 || got >= sent {
		t.Errorf("handler saw %d of %d messages; want some dropped and some served", got, sent)
	}
}

// TestPendingLimitsBoundMemory: an endpoint whose handler is busy holds at
// most its pending limit of unread requests: DefaultPendingBytes at
// led.text, SharedPendingBytes at led.pixels, all.led.text and
// any.led.text, SmallPendingBytes at the endpoints whose requests are a
// few bytes; beyond that the client drops and reports a slow consumer.
// The limits add up to PendingBudget, 23.5 MiB; with the old ones (16 MiB
// at each of the four large endpoints, 1 MiB at the small) they added up
// to 70 MiB, and the "beyond" cases below of pixels, all, any, clear and
// status were all kept. With nats.go's own 64 MiB per subscription ten
// endpoints could hold over a gigabyte between them.
func TestPendingLimitsBoundMemory(t *testing.T) {
	subj := wire.Subjects{Prefix: "sensehat", ID: "busy"}
	raw := string(make([]byte, display.FrameBytes)) // a black frame
	if PendingBudget != 14<<20 {
		t.Errorf("PendingBudget = %d bytes, want 14 MiB (the sum RELIABILITY.md states)", PendingBudget)
	}
	for _, tc := range []struct {
		name, subject, first string
		size, count          int
		slow                 bool
	}{
		// The server's largest payload is 1 MB, so big floods are many
		// messages. nats.go counts payload and headers. The largest
		// pixel request (1 MiB) may wait while another is handled.
		{"text within", subj.Text(), "x", 1_000_000, 8, false},
		{"text beyond", subj.Text(), "x", 1_000_000, 9, true},
		{"pixels within", subj.Pixels(), raw, 1 << 20, 1, false},
		{"pixels beyond", subj.Pixels(), raw, 1_000_000, 2, true},
		{"all within", subj.AllText(), "x", 1 << 20, 1, false},
		{"all beyond", subj.AllText(), "x", 1_000_000, 2, true},
		{"any beyond", subj.AnyText(), "x", 1_000_000, 2, true},
		{"clear within", subj.Clear(), "", 200_000, 1, false},
		{"clear beyond", subj.Clear(), "", 140_000, 2, true},
		{"status beyond", subj.Status(), "", 140_000, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			srv := testutil.StartServer(t, nil)
			var errs health.Registry
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			nc, err := natsconn.Connect(natsconn.Settings{URL: srv.URL(), Name: "pending-test", Errors: &errs}, log)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			p := &gatePlayer{gate: make(chan struct{})}
			svc, err := Start(nc, p, Config{
				Prefix: "sensehat", ID: "busy", Version: "0.0.1",
				// Status waits at the same gate, so a status flood backs up too.
				Status: func() wire.Status { <-p.gate; return wire.Status{} },
			}, log, &errs)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				close(p.gate)
				if err := svc.Stop(); err != nil {
					t.Errorf("stopping the service: %v", err)
				}
			}()
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			pub := testutil.Connect(t, srv.URL())
			subject := tc.subject
			// The first request holds the handler at the gate; the rest
			// wait unread in the subscription.
			if err := pub.Publish(subject, []byte(tc.first)); err != nil {
				t.Fatal(err)
			}
			body := bytes.Repeat([]byte{' '}, tc.size)
			for range tc.count {
				if err := pub.Publish(subject, body); err != nil {
					t.Fatal(err)
				}
			}
			if err := pub.Flush(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for nc.Stats().InMsgs < uint64(tc.count+1) {
				if time.Now().After(deadline) {
					t.Fatalf("the client received %d of %d messages", nc.Stats().InMsgs, tc.count+1)
				}
				time.Sleep(time.Millisecond)
			}
			if tc.slow {
				for errs.Count("nats") == 0 {
					if time.Now().After(deadline) {
						t.Fatalf("%d requests of %d bytes to a busy %s were all kept; want a slow consumer", tc.count, tc.size, tc.subject)
					}
					time.Sleep(10 * time.Millisecond)
				}
				return
			}
			// Error callbacks run on the connection's own goroutine, in
			// order: a flush round trip later, any drop has been counted.
			time.Sleep(100 * time.Millisecond)
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			if n := errs.Count("nats"); n != 0 {
				t.Errorf("%d requests of %d bytes to a busy %s: %d async errors, want none dropped", tc.count, tc.size, tc.subject, n)
			}
		})
	}
}

// refusePlayer refuses every Submit as a full queue would, once its gate
// opens.
type refusePlayer struct {
	gate      chan struct{}
	submitted atomic.Int64
}

func (r *refusePlayer) Submit(display.Item, display.Mode) (*display.Ticket, error) {
	<-r.gate
	r.submitted.Add(1)
	return nil, wire.NewError(wire.Busy, "queue full")
}

func (r *refusePlayer) SetConfig(display.Config) error { return nil }

// TestNoRepliesIntoTheReconnectBuffer: requests that waited unread while
// the connection went down are still handled, but their refusals are not
// kept for after the reconnect. The server would refuse them then (a
// reply may only answer a request of the same connection), and the
// reconnect buffer is where readings and joystick events wait; before,
// 100 refusals took 10 KB of it, and a flood megabytes.
func TestNoRepliesIntoTheReconnectBuffer(t *testing.T) {
	srv := testutil.StartServer(t, nil)
	var errs health.Registry
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	nc, err := natsconn.Connect(natsconn.Settings{URL: srv.URL(), Name: "reconnect-test", Errors: &errs}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	p := &refusePlayer{gate: make(chan struct{})}
	svc, err := Start(nc, p, Config{
		Prefix: "sensehat", ID: "busy", Version: "0.0.1",
		Status: func() wire.Status { return wire.Status{} },
	}, log, &errs)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = svc.Stop() }()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	pub, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	for i := range n {
		if err := pub.PublishRequest("sensehat.busy.led.text", fmt.Sprintf("_INBOX.gone.%d", i), []byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Flush(); err != nil {
		t.Fatal(err)
	}
	pub.Close()
	deadline := time.Now().Add(10 * time.Second)
	for nc.Stats().InMsgs < n {
		if time.Now().After(deadline) {
			t.Fatalf("the client received %d of %d requests", nc.Stats().InMsgs, n)
		}
		time.Sleep(time.Millisecond)
	}
	srv.Shutdown()
	for nc.IsConnected() {
		if time.Now().After(deadline) {
			t.Fatal("the client did not see the server go")
		}
		time.Sleep(time.Millisecond)
	}
	close(p.gate)
	for p.submitted.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d requests handled", p.submitted.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	// The refusal of the last request is built after its Submit returns.
	time.Sleep(100 * time.Millisecond)
	if b, err := nc.Buffered(); err != nil || b != 0 {
		t.Errorf("reconnect buffer holds %d bytes (err %v) after %d refusals while disconnected, want 0", b, err, n)
	}
}
