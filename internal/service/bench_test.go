package service

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// benchStatus is a status like a running device's: every section filled,
// the last env reading in it, 787 bytes encoded (the size of the replies
// the issue measured).
func benchStatus() wire.Status {
	at := time.Date(2026, 12, 7, 4, 5, 6, 789_000_000, time.UTC)
	return wire.Status{
		ID: "pi1", Version: "0.9.0", Commit: "", UptimeS: 1234.567,
		Backends: wire.BackendsStatus{Display: "sim", Joystick: "sim", Sensors: "sim"},
		Display:  wire.DisplayStatus{Rotation: 90, Brightness: 1, FramesSent: 12345, FramesSkipped: 67},
		NATS:     wire.NATSStatus{Connected: true, Server: "nats://127.0.0.1:4222"},
		Sensors:  map[string]string{"hts221": "ok", "lps25h": "ok", "lsm9ds1": "ok"},
		Last: wire.LastReadings{
			Env: json.RawMessage(`{"temperature_c":21.50,"temperature_raw_c":30.25,"humidity_pct":40.00,"pressure_hpa":1013.25,"time":"2026-12-07T04:05:06.789Z"}`),
		},
		Published:  wire.PublishedStatus{Boot: "0123456789ab", Env: 1234, Motion: 12340},
		Errors:     wire.ErrorsStatus{Counts: map[string]uint64{"request": 3}, Last: "led.text: no text", LastAt: &at, SuppressedLogs: map[string]uint64{}},
		Duplicates: []wire.Duplicate{},
	}
}

// statusBench is the set-up both status benchmarks share: an embedded
// nats-server, the service on its own connection, a bare nats.go
// responder on another answering with a copy of the service's reply (same
// bytes on the wire, none of the service's work), and a client.
type statusBench struct {
	client       *nats.Conn
	status, bare string
	reply        []byte
}

func newStatusBench(b *testing.B) *statusBench {
	srv := testutil.StartServer(b, nil)
	svcConn := testutil.Connect(b, srv.URL())
	var errs health.Registry
	st := benchStatus()
	svc, err := Start(svcConn, &fakePlayer{}, Config{
		Prefix: "sensehat", ID: "pi1", Version: "0.0.1",
		Status: func() wire.Status { return st },
	}, slog.New(slog.NewTextHandler(io.Discard, nil)), &errs)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Stop() })
	sb := &statusBench{client: testutil.Connect(b, srv.URL()), status: wire.Subjects{Prefix: "sensehat", ID: "pi1"}.Status(), bare: "bench.bare.status"}
	if err := svcConn.Flush(); err != nil {
		b.Fatal(err)
	}
	m, err := sb.client.Request(sb.status, nil, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	sb.reply = m.Data
	bare := testutil.Connect(b, srv.URL())
	if _, err := bare.Subscribe(sb.bare, func(m *nats.Msg) { _ = m.Respond(sb.reply) }); err != nil {
		b.Fatal(err)
	}
	if err := bare.Flush(); err != nil {
		b.Fatal(err)
	}
	return sb
}

func (sb *statusBench) ask(b *testing.B, subj string) {
	if _, err := sb.client.Request(subj, nil, 5*time.Second); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStatus is one status request and its reply over loopback:
// client, embedded server, the micro handler building the reply, back.
func BenchmarkStatus(b *testing.B) {
	sb := newStatusBench(b)
	b.ReportAllocs()
	for b.Loop() {
		sb.ask(b, sb.status)
	}
	b.ReportMetric(float64(len(sb.reply)), "reply-bytes")
}

// BenchmarkBareResponder is BenchmarkStatus's baseline: the same loop
// against a plain nats.go subscription answering with the same bytes.
func BenchmarkBareResponder(b *testing.B) {
	sb := newStatusBench(b)
	b.ReportAllocs()
	for b.Loop() {
		sb.ask(b, sb.bare)
	}
	b.ReportMetric(float64(len(sb.reply)), "reply-bytes")
}

// BenchmarkStatusVsBare asks the service and the bare responder in turn,
// alternating which goes first, and reports the mean round trip of each
// and their ratio: both see the same load from whatever else runs on the
// machine, which two benchmarks run one after the other do not. ns/op is
// one status and one bare request.
func BenchmarkStatusVsBare(b *testing.B) {
	sb := newStatusBench(b)
	var status, bare time.Duration
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if n%2 == 0 {
			sb.ask(b, sb.status)
			t1 := time.Now()
			sb.ask(b, sb.bare)
			status += t1.Sub(t0)
			bare += time.Since(t1)
		} else {
			sb.ask(b, sb.bare)
			t1 := time.Now()
			sb.ask(b, sb.status)
			bare += t1.Sub(t0)
			status += time.Since(t1)
		}
		n++
	}
	b.ReportMetric(float64(status.Nanoseconds())/float64(n), "status-ns")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(n), "bare-ns")
	b.ReportMetric(float64(status)/float64(bare), "status/bare")
	b.ReportMetric(float64(len(sb.reply)), "reply-bytes")
}

// BenchmarkStatusEncode is the service's own share of a status request:
// encoding the reply into the reused buffer.
func BenchmarkStatusEncode(b *testing.B) {
	st := benchStatus()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = wire.AppendStatus(buf[:0], &st)
	}
	b.ReportMetric(float64(len(buf)), "reply-bytes")
}

// BenchmarkStatusMarshal is what encoding the reply cost before
// AppendStatus: encoding/json on the same status.
func BenchmarkStatusMarshal(b *testing.B) {
	st := benchStatus()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(st); err != nil {
			b.Fatal(err)
		}
	}
}
