package service

import (
	"encoding/json"
	"io"
	"log/slog"
	"slices"
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

// statusBench is the set-up the status benchmarks share: an embedded
// nats-server, the service on its own connection, bare nats.go responders
// on another answering with a copy of the service's reply (same bytes on
// the wire, none of the service's work), and a client.
type statusBench struct {
	client                  *nats.Conn
	status, bare, bareQueue string
	reply                   []byte
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
	sb := &statusBench{client: testutil.Connect(b, srv.URL()), status: wire.Subjects{Prefix: "sensehat", ID: "pi1"}.Status(), bare: "bench.bare.status", bareQueue: "bench.bareq.status"}
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
	// micro subscribes its endpoints in a queue group (so daemons that
	// share an id split the requests); the server's queue delivery is part
	// of what the service costs, so a second bare responder has one too.
	if _, err := bare.QueueSubscribe(sb.bareQueue, "q", func(m *nats.Msg) { _ = m.Respond(sb.reply) }); err != nil {
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
	benchAsk(b, func(sb *statusBench) string { return sb.status })
}

// BenchmarkBareResponder is BenchmarkStatus's baseline: the same loop
// against a plain nats.go subscription answering with the same bytes.
func BenchmarkBareResponder(b *testing.B) {
	benchAsk(b, func(sb *statusBench) string { return sb.bare })
}

// benchAsk asks the subject that subject picks, once a loop, and reports
// the size of the reply with the time.
func benchAsk(b *testing.B, subject func(*statusBench) string) {
	sb := newStatusBench(b)
	subj := subject(sb)
	b.ReportAllocs()
	for b.Loop() {
		sb.ask(b, subj)
	}
	b.ReportMetric(float64(len(sb.reply)), "reply-bytes")
}

// BenchmarkStatusVsBare asks the service, the bare responder and the
// bare responder in a queue group in turn, reversing the order every
// round, and reports the median round trip of each and the ratios: all
// three see the same load from whatever else runs on the machine, which
// benchmarks run one after the other do not, and the medians leave out the
// bursts a shared machine adds to any of them. ns/op is one round of
// three requests.
func BenchmarkStatusVsBare(b *testing.B) {
	sb := newStatusBench(b)
	subjects := [3]string{sb.status, sb.bare, sb.bareQueue}
	// The last 1<<15 samples of each; allocated before the loop, so
	// outside what it measures.
	var samples [3][]time.Duration
	for i := range samples {
		samples[i] = make([]time.Duration, 1<<15)
	}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		k := n % len(samples[0])
		for j := range subjects {
			if n%2 == 1 {
				j = len(subjects) - 1 - j
			}
			t0 := time.Now()
			sb.ask(b, subjects[j])
			samples[j][k] = time.Since(t0)
		}
		n++
	}
	var med [3]time.Duration
	for i := range samples {
		med[i] = median(samples[i][:min(n, len(samples[i]))])
	}
	b.ReportMetric(float64(med[0].Nanoseconds()), "status-ns")
	b.ReportMetric(float64(med[1].Nanoseconds()), "bare-ns")
	b.ReportMetric(float64(med[2].Nanoseconds()), "bareq-ns")
	b.ReportMetric(float64(med[0])/float64(med[1]), "status/bare")
	b.ReportMetric(float64(med[0])/float64(med[2]), "status/bareq")
	b.ReportMetric(float64(len(sb.reply)), "reply-bytes")
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
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
