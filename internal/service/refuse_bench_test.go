package service

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/testutil"
)

// benchRequest is a micro.Request as micro builds one, answering on a
// real connection: its replies cost what a device's do.
type benchRequest struct {
	nc      *nats.Conn
	data    []byte
	reply   string
	subject string
}

func (r *benchRequest) Respond(d []byte, _ ...micro.RespondOpt) error {
	return r.nc.Publish(r.reply, d)
}
func (r *benchRequest) RespondJSON(v any, _ ...micro.RespondOpt) error {
	d, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return r.Respond(d)
}
func (r *benchRequest) Error(code, desc string, data []byte, _ ...micro.RespondOpt) error {
	return r.nc.PublishMsg(&nats.Msg{Subject: r.reply, Header: nats.Header{micro.ErrorHeader: {desc}, micro.ErrorCodeHeader: {code}}, Data: data})
}
func (r *benchRequest) Data() []byte           { return r.data }
func (r *benchRequest) Headers() micro.Headers { return nil }
func (r *benchRequest) Subject() string        { return r.subject }
func (r *benchRequest) Reply() string          { return r.reply }

type benchDevice struct{}

func (benchDevice) Show(*display.Frame) error { return nil }
func (benchDevice) Halt() error               { return nil }
func (benchDevice) String() string            { return "bench" }

// BenchmarkTextRefused is the led.text handler refusing a text of the
// flood's shape (about 1 KiB of JSON) because the queue is full.
func BenchmarkTextRefused(b *testing.B) {
	srv := testutil.StartServer(b, nil)
	nc := testutil.Connect(b, srv.URL())
	p, err := display.NewPlayer(benchDevice{}, display.PlayerOpts{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range display.DefaultQueueSize {
		if _, err := p.Submit(display.TextItem(fmt.Sprint(i), display.ScrollOpts{}), display.Queue); err != nil {
			b.Fatal(err)
		}
	}
	var errs health.Registry
	s := &Service{nc: nc, log: slog.New(slog.NewTextHandler(io.Discard, nil)), errs: &errs}
	h := parsed(s, "led.text", payload.LEDText, (&ledHandler{s: s, p: p, id: "pi1"}).submit)
	text := []byte(fmt.Sprintf(`{"text":%q,"speed":100}`, strings.Repeat("flood ", 166)))
	req := &benchRequest{nc: nc, data: text, reply: "_INBOX.bench", subject: "sensehat.pi1.led.text"}
	b.ReportAllocs()
	for b.Loop() {
		h.Handle(req)
	}
}

// TestShownReplyKeepsNoRequest: while a text waits to be shown, the
// service keeps its reply subject, not the request. nats.go links each
// queued request to the next and never unlinks them, so a request kept
// for the minutes a text waits kept every request handled after it: in a
// flood, 51 MB of refused texts (RELIABILITY.md, "Memory and threads
// under floods"). The request here is ours, so the test can see when the
// collector frees it.
func TestShownReplyKeepsNoRequest(t *testing.T) {
	srv := testutil.StartServer(t, nil)
	nc := testutil.Connect(t, srv.URL())
	// Never run: what is submitted waits, as behind a long queue.
	p, err := display.NewPlayer(benchDevice{}, display.PlayerOpts{})
	if err != nil {
		t.Fatal(err)
	}
	var errs health.Registry
	s := &Service{nc: nc, log: slog.New(slog.NewTextHandler(io.Discard, nil)), errs: &errs}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	t.Cleanup(func() { s.cancel(); s.pending.Wait() })
	h := parsed(s, "led.text", payload.LEDText, (&ledHandler{s: s, p: p, id: "pi1"}).submit)

	freed := make(chan struct{})
	func() {
		req := &benchRequest{nc: nc, data: []byte(`{"text":"wait"}`), reply: "_INBOX.kept", subject: "sensehat.pi1.led.text"}
		h.Handle(req)
		runtime.SetFinalizer(req, func(*benchRequest) { close(freed) })
	}()
	if got := p.Status().QueueLen; got != 1 {
		t.Fatalf("queue length %d after the text, want 1", got)
	}
	for range 20 {
		runtime.GC()
		select {
		case <-freed:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("the request of a text waiting to be shown is still kept")
}
