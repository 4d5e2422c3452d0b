package emulator

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/sim"
)

func TestDutyToSRGB(t *testing.T) {
	// Points on the sRGB curve: duty 8/31 is 25.8 % linear light, which
	// sRGB encodes as 139 of 255.
	for _, tc := range []struct{ duty, want uint8 }{{0, 0}, {1, 50}, {8, 139}, {16, 190}, {31, 255}} {
		if got := dutyToSRGB[tc.duty]; got != tc.want {
			t.Errorf("duty %d → %d, want %d", tc.duty, got, tc.want)
		}
	}
}

// twoPixels is (0,0) red at full duty and (1,1) green at duty 8.
func twoPixels() *Frame {
	var f Frame
	f[0] = 31       // row 0, red of x 0
	f[24+8+1] = 8   // row 1, green of x 1
	f[24+16+1] = 32 // bit 5 of blue: not a duty bit, must be ignored
	return &f
}

func TestAppendANSI(t *testing.T) {
	const (
		dark  = "\x1b[38;2;28;28;28;48;2;28;28;28m▀"
		end   = "\x1b[0m\n"
		black = "\x1b[48;2;28;28;28m  "
	)
	darkLine := strings.Repeat(dark, 8) + end
	tests := []struct {
		name  string
		cells bool
		want  string
	}{
		{"half blocks", false,
			"\x1b[38;2;255;0;0;48;2;28;28;28m▀" + "\x1b[38;2;28;28;28;48;2;0;139;0m▀" + strings.Repeat(dark, 6) + end +
				darkLine + darkLine + darkLine},
		{"cells", true,
			"\x1b[48;2;255;0;0m  " + strings.Repeat(black, 7) + end +
				black + "\x1b[48;2;0;139;0m  " + strings.Repeat(black, 6) + end +
				strings.Repeat(strings.Repeat(black, 8)+end, 6)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(AppendANSI(nil, twoPixels(), tc.cells))
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestTerminalRedrawsInPlace(t *testing.T) {
	var buf bytes.Buffer
	term := &Terminal{W: &buf}
	f := twoPixels()
	if err := term.Draw(f); err != nil {
		t.Fatal(err)
	}
	first := buf.String()
	if strings.Contains(first, "\x1b[4A") {
		t.Error("first drawing moves the cursor up over lines it never drew")
	}
	buf.Reset()
	if err := term.Draw(f); err != nil {
		t.Fatal(err)
	}
	if want := "\x1b[4A\r" + first; buf.String() != want {
		t.Errorf("redraw %q, want %q", buf.String(), want)
	}
	term = &Terminal{W: &buf, Cells: true}
	_ = term.Draw(f)
	buf.Reset()
	_ = term.Draw(f)
	if !strings.HasPrefix(buf.String(), "\x1b[8A\r") {
		t.Errorf("cells redraw starts %q, want the cursor 8 lines up", buf.String()[:8])
	}
}

// chanWriter hands each Write to the test as one string, so the test sees
// exactly how the output was split into writes.
type chanWriter struct {
	ch chan string
}

func (s *chanWriter) Write(p []byte) (int, error) {
	s.ch <- string(p)
	return len(p), nil
}

func TestTerminalRunFollowsTheMatrix(t *testing.T) {
	testutil.CheckLeaks(t)
	hat := sim.NewHAT()
	b, err := NewBoard(hat)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	out := &chanWriter{ch: make(chan string, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Terminal{W: out}).Run(ctx, b) }()

	next := func() string {
		t.Helper()
		select {
		case s := <-out.ch:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("no output in 10s")
			return ""
		}
	}
	if got := next(); got != "\x1b[?25l" {
		t.Fatalf("first write %q, want the cursor hidden", got)
	}
	if got := next(); got != string(AppendANSI(nil, new(Frame), false)) {
		t.Fatalf("first drawing %q, want a dark matrix", got)
	}
	w := make([]byte, 1+192)
	copy(w[1:], twoPixels()[:])
	// The simulated ATtiny lights 32 at half duty, as the firmware does;
	// the drawing below ignores it, so it is not sent.
	w[1+24+16+1] = 0
	if err := hat.Bus.Tx(sim.ATtinyAddr, w, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := next(), "\x1b[4A\r"+string(AppendANSI(nil, twoPixels(), false)); got != want {
		t.Fatalf("after a frame %q, want %q", got, want)
	}
	cancel()
	if got := next(); got != "\x1b[?25h" {
		t.Errorf("last write %q, want the cursor shown", got)
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func BenchmarkAppendANSI(b *testing.B) {
	f := twoPixels()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendANSI(buf[:0], f, false)
	}
}

func BenchmarkTerminalDraw(b *testing.B) {
	var sink bytes.Buffer
	term := &Terminal{W: &sink}
	f := twoPixels()
	_ = term.Draw(f)
	b.ReportAllocs()
	for b.Loop() {
		sink.Reset()
		if err := term.Draw(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendFrameEvent(b *testing.B) {
	f := twoPixels()
	buf := make([]byte, 0, frameEventLen)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrameEvent(buf[:0], f)
	}
}
