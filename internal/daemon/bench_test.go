package daemon

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// benchConfig is simConfig with the reading intervals a real device uses,
// so the background traffic is what a Pi would carry rather than the fast
// ticks the functional tests want.
func benchConfig(b *testing.B, url, id string) config.Config {
	cfg := simConfig(b, url, id)
	def := config.DefaultConfig()
	cfg.EnvInterval, cfg.MotionInterval = def.EnvInterval, def.MotionInterval
	return cfg
}

// BenchmarkStatusRequest is one request/reply round trip to the daemon's
// status endpoint over loopback: client, embedded server, micro handler
// (which gathers and marshals the status), back. Compare with
// BenchmarkBareResponder, the same loop against the cheapest responder
// nats.go allows.
func BenchmarkStatusRequest(b *testing.B) {
	srv := testutil.StartServer(b, nil)
	start(b, benchConfig(b, srv.URL(), "pi1"))
	nc := connect(b, srv.URL())
	m := fullStatus(b, nc)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nc.Request("sensehat.pi1.status", nil, 2*time.Second); err != nil {
			b.Fatal(err)
		}
	}
	// After the loop: b.Loop's first call resets the reported metrics.
	b.ReportMetric(float64(len(m.Data)), "reply-bytes")
}

// BenchmarkBareResponder is the baseline for BenchmarkStatusRequest: a
// plain subscription on its own connection answering with a fixed copy of
// a real status reply, so the bytes on the wire are the same and only the
// daemon's own work is missing.
func BenchmarkBareResponder(b *testing.B) {
	srv := testutil.StartServer(b, nil)
	fixed := benchStatusSample(b, srv.URL())
	resp := connect(b, srv.URL())
	if _, err := resp.Subscribe("bench.bare.status", func(m *nats.Msg) {
		_ = m.Respond(fixed)
	}); err != nil {
		b.Fatal(err)
	}
	if err := resp.Flush(); err != nil {
		b.Fatal(err)
	}
	nc := connect(b, srv.URL())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nc.Request("bench.bare.status", nil, 2*time.Second); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(fixed)), "reply-bytes")
}

// benchStatusSample is one status reply of a daemon that is then stopped.
func benchStatusSample(b *testing.B, url string) []byte {
	r := start(b, benchConfig(b, url, "pi1"))
	defer r.stop(b)
	nc, err := nats.Connect(url)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	return fullStatus(b, nc).Data
}

// fullStatus waits for a status reply with the first env reading in it,
// so both benchmarks move replies of the size a running device sends.
func fullStatus(b *testing.B, nc *nats.Conn) *nats.Msg {
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := request(b, nc, "sensehat.pi1.status", nil, 2*time.Second)
		var st struct {
			Last struct{ Env any } `json:"last"`
		}
		if err := json.Unmarshal(m.Data, &st); err != nil {
			b.Fatal(err)
		}
		if st.Last.Env != nil {
			return m
		}
		if time.Now().After(deadline) {
			b.Fatalf("no env reading in the status within 5s: %s", m.Data)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkStatusMarshal is the daemon's share of a status request: gather
// the status and encode it, as the handler does on every request.
func BenchmarkStatusMarshal(b *testing.B) {
	srv := testutil.StartServer(b, nil)
	r := start(b, benchConfig(b, srv.URL(), "pi1"))
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		st := r.d.Status()
		buf = wire.AppendStatus(buf[:0], &st)
	}
}

// BenchmarkPublishToFirstFrame measures from the publish of a led.text
// message to the moment the simulated matrix accepts the first frame of
// it, one message at a time (no queueing), and reports the median and the
// 99th percentile. Each message is a one-glyph still text in a colour of
// its own, so the frame hook can tell its first frame from any other.
// Run with -benchtime 500x for the 500-sample figure in BENCHMARKS.md.
func BenchmarkPublishToFirstFrame(b *testing.B) {
	srv := testutil.StartServer(b, nil)
	cfg := benchConfig(b, srv.URL(), "pi1")

	var want atomic.Uint32 // 0xRRGGBB of the frame waited for, 0 for none
	arrived := make(chan time.Time, 1)
	onFrame := func(f *display.Frame) {
		w := want.Load()
		if w == 0 {
			return
		}
		for i := 0; i+2 < len(f.Pix); i += 3 {
			c := uint32(f.Pix[i])<<16 | uint32(f.Pix[i+1])<<8 | uint32(f.Pix[i+2])
			if c == 0 {
				continue
			}
			if c == w && want.CompareAndSwap(w, 0) {
				arrived <- time.Now()
			}
			return
		}
	}
	benchStart(b, cfg, onFrame)
	nc := connect(b, srv.URL())

	msgs := make([][]byte, 0, 1024)
	colours := make([]uint32, 0, 1024)
	for i := 0; i < 1024; i++ {
		// Colours that differ in every message and are never black.
		c := [3]uint32{uint32(1 + i%255), uint32(1 + (i/255)%255), 0x80}
		colours = append(colours, c[0]<<16|c[1]<<8|c[2])
		msgs = append(msgs, fmt.Appendf(nil, `{"text":"#","color":[%d,%d,%d],"mode":"replace"}`, c[0], c[1], c[2]))
	}
	lat := make([]time.Duration, 0, 1024)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		want.Store(colours[i%len(colours)])
		t0 := time.Now()
		if err := nc.Publish("sensehat.pi1.led.text", msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
		select {
		case t1 := <-arrived:
			lat = append(lat, t1.Sub(t0))
		case <-time.After(10 * time.Second):
			b.Fatalf("message %d: no frame in its colour within 10s", i)
		}
		i++
	}
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		k := int(p*float64(len(lat))+0.5) - 1
		return float64(lat[max(0, min(k, len(lat)-1))].Nanoseconds())
	}
	b.ReportMetric(pct(0.50), "p50-ns")
	b.ReportMetric(pct(0.99), "p99-ns")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
}

// benchStart is start with an OnFrame hook, which must be set before Run.
func benchStart(b *testing.B, cfg config.Config, hook func(*display.Frame)) {
	startWith(b, cfg, startOpts{onFrame: hook})
}
