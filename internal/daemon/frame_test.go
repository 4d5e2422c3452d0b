package daemon

import (
	"bytes"
	"encoding/json"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// The frame endpoint answers what the LEDs show: the pixels sent, turned by
// the rotation, as raw RGB888 and as a PNG that Go's image/png (an
// independent decoder) reads back to the same colours.
func TestFrameEndpointRawAndPNG(t *testing.T) {
	srv, r := startPi1(t, startOpts{})
	nc := connect(t, srv.URL())
	subj := wire.Subjects{Prefix: "sensehat", ID: "pi1"}

	raw := make([]byte, 192)
	raw[0] = 255      // (0,0) red
	raw[63*3+2] = 255 // (7,7) blue
	request(t, nc, subj.Config(), []byte(`{"rotation":180}`), 2*time.Second)
	if m := request(t, nc, subj.Pixels(), raw, 5*time.Second); m.Header.Get("Nats-Service-Error-Code") != "" {
		t.Fatalf("pixels refused: %s", m.Header.Get("Nats-Service-Error"))
	}

	for _, req := range []string{"", "raw", `{"format":"raw"}`} {
		m := request(t, nc, subj.Frame(), []byte(req), 2*time.Second)
		if len(m.Data) != 192 {
			t.Fatalf("frame %q: %d bytes, want 192 (%s)", req, len(m.Data), m.Header.Get("Nats-Service-Error"))
		}
		// Rotation 180 puts the sent (7,7) at (0,0) on the LEDs.
		if got := m.Data[0:3]; !bytes.Equal(got, []byte{0, 0, 255}) {
			t.Errorf("frame %q (0,0) = %v, want blue 0,0,255", req, got)
		}
		if got := m.Data[63*3 : 64*3]; !bytes.Equal(got, []byte{255, 0, 0}) {
			t.Errorf("frame %q (7,7) = %v, want red 255,0,0", req, got)
		}
	}
	// The simulated ATtiny agrees (31 is full scale of its 5-bit red).
	if _, _, b := r.hat.ATtiny.Pixel(0, 0); b != 31 {
		t.Errorf("ATtiny (0,0) blue = %d, want 31", b)
	}

	for _, req := range []string{"png", `{"format":"png"}`} {
		m := request(t, nc, subj.Frame(), []byte(req), 2*time.Second)
		img, err := png.Decode(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatalf("frame %q: not a PNG: %v (%q)", req, err, m.Header.Get("Nats-Service-Error"))
		}
		if b := img.Bounds(); b.Dx() != 8 || b.Dy() != 8 {
			t.Fatalf("PNG is %v, want 8x8", b)
		}
		if cr, cg, cb, _ := img.At(0, 0).RGBA(); cr != 0 || cg != 0 || cb != 0xffff {
			t.Errorf("PNG (0,0) = %x,%x,%x, want blue", cr, cg, cb)
		}
		if cr, _, _, _ := img.At(7, 7).RGBA(); cr != 0xffff {
			t.Errorf("PNG (7,7) red = %x, want ffff", cr)
		}
	}

	for _, bad := range []struct{ subj, data string }{
		{subj.Frame(), "jpeg"},
		{subj.Frame(), `{"format":"png","x":1}`},
		{subj.FrameWatch(), "0"},
		{subj.FrameWatch(), "3600"},
		{subj.FrameWatch(), "soon"},
	} {
		m := request(t, nc, bad.subj, []byte(bad.data), 2*time.Second)
		if m.Header.Get("Nats-Service-Error-Code") != "400" {
			t.Errorf("%s %q: code %q, want 400", bad.subj, bad.data, m.Header.Get("Nats-Service-Error-Code"))
		}
	}
}

// liveFrames collects what arrives on the live subject with arrival times.
type liveFrames struct {
	mu    sync.Mutex
	times []time.Time
	last  []byte
}

func subscribeLive(t *testing.T, nc *nats.Conn, subject string) *liveFrames {
	t.Helper()
	lf := &liveFrames{}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		lf.mu.Lock()
		lf.times = append(lf.times, time.Now())
		lf.last = m.Data
		lf.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return lf
}

func (lf *liveFrames) count() int {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	return len(lf.times)
}

// Live frames cost nothing until someone leases them, flow while the lease
// runs at no more than FrameRate a second, and stop when it ends.
func TestLiveFramesOnlyWhileLeased(t *testing.T) {
	srv, r := startPi1(t, startOpts{})
	nc := connect(t, srv.URL())
	subj := wire.Subjects{Prefix: "sensehat", ID: "pi1"}
	lf := subscribeLive(t, nc, subj.FrameLive())

	// A fast scroll changes the matrix about 40 times a second.
	scroll := []byte(`{"text":"no one is watching this","speed":40}`)
	request(t, nc, subj.Text(), scroll, 10*time.Second)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := lf.count(); n != 0 {
		t.Errorf("%d live frames without a lease, want 0", n)
	}
	if n := r.d.frames.copied.Load(); n != 0 {
		t.Errorf("the hook kept %d frames without a lease, want 0", n)
	}
	if n := r.d.frames.published.Load(); n != 0 {
		t.Errorf("%d frames published without a lease, want 0", n)
	}

	// Lease for 4 s: the current frame comes at once, then the scroll.
	m := request(t, nc, subj.FrameWatch(), []byte(`{"seconds":4}`), 2*time.Second)
	var wr wire.WatchReply
	if err := json.Unmarshal(m.Data, &wr); err != nil {
		t.Fatalf("watch reply %q: %v", m.Data, err)
	}
	if wr.Subject != subj.FrameLive() || wr.LeaseS != 4 || wr.MaxRateHz != FrameRate {
		t.Errorf("watch reply %+v, want subject %s, 4 s, %d/s", wr, subj.FrameLive(), FrameRate)
	}
	testutil.WaitFor(t, 5*time.Second, "the first live frame", func() bool { return lf.count() >= 1 })
	began := time.Now()
	tk := make(chan *nats.Msg, 1)
	go func() {
		m, _ := nc.Request(subj.Text(), []byte(`{"text":"watched now","speed":40}`), 10*time.Second)
		tk <- m
	}()
	testutil.WaitFor(t, 5*time.Second, "frames of the scroll", func() bool { return lf.count() >= 5 })
	<-tk
	// Rate bound: over any stretch, no more than one frame per 1/FrameRate
	// plus the one that opens the stretch (a slow machine only lowers it).
	lf.mu.Lock()
	var inWindow int
	for _, at := range lf.times {
		if !at.Before(began) {
			inWindow++
		}
	}
	last := lf.last
	lf.mu.Unlock()
	elapsed := time.Since(began)
	if limit := int(elapsed.Seconds()*FrameRate) + 2; inWindow > limit {
		t.Errorf("%d live frames in %v, want at most %d (%d/s)", inWindow, elapsed, limit, FrameRate)
	}
	if len(last) != 192 {
		t.Errorf("live frame is %d bytes, want 192 (RGB888)", len(last))
	}

	// After the lease: nothing more, however much the matrix changes.
	testutil.WaitFor(t, 10*time.Second, "the lease to end", func() bool { return !r.d.frames.watched(time.Now()) })
	// Every frame the daemon published has landed: no timing guess.
	testutil.WaitFor(t, 10*time.Second, "published frames to arrive", func() bool {
		return uint64(lf.count()) == r.d.frames.published.Load()
	})
	after, copied, published := lf.count(), r.d.frames.copied.Load(), r.d.frames.published.Load()
	request(t, nc, subj.Text(), []byte(`{"text":"gone again","speed":40}`), 10*time.Second)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := lf.count(); n != after {
		t.Errorf("%d live frames after the lease ended, want 0", n-after)
	}
	if n := r.d.frames.copied.Load(); n != copied {
		t.Errorf("the hook kept %d frames after the lease ended, want 0", n-copied)
	}
	if n := r.d.frames.published.Load(); n != published {
		t.Errorf("%d frames published after the lease ended, want 0", n-published)
	}
}

// The hook runs on the player's loop for every frame: it must not allocate,
// watched or not.
func TestFrameHookDoesNotAllocate(t *testing.T) {
	w := newFrameWatch("x", time.Second)
	f := display.NewFrame()
	if n := testing.AllocsPerRun(100, func() { w.hook(f) }); n != 0 {
		t.Errorf("idle hook: %v allocations, want 0", n)
	}
	w.until.Store(time.Now().Add(time.Hour).UnixNano())
	if n := testing.AllocsPerRun(100, func() { w.hook(f) }); n != 0 {
		t.Errorf("watched hook: %v allocations, want 0", n)
	}
}

func BenchmarkFrameHook(b *testing.B) {
	for _, watched := range []bool{false, true} {
		name := "idle"
		if watched {
			name = "watched"
		}
		b.Run(name, func(b *testing.B) {
			w := newFrameWatch("x", time.Second)
			if watched {
				w.until.Store(time.Now().Add(time.Hour).UnixNano())
			}
			f := display.NewFrame()
			b.ReportAllocs()
			for b.Loop() {
				w.hook(f)
			}
		})
	}
}
