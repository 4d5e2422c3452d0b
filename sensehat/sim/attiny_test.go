package sim

import (
	"errors"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/sensehat/sensehat/sensehat"
)

func newATtinyBus(t *testing.T) (*Bus, *ATtiny) {
	t.Helper()
	b := NewBus("sim")
	a := NewATtiny()
	b.Attach(0x46, a)
	return b, a
}

func readReg(t *testing.T, b *Bus, reg byte, n int) []byte {
	t.Helper()
	r := make([]byte, n)
	if err := b.Tx(0x46, []byte{reg}, r); err != nil {
		t.Fatalf("read 0x%02x: %v", reg, err)
	}
	return r
}

func TestATtinyIDRegisters(t *testing.T) {
	b, _ := newATtinyBus(t)
	if got := readReg(t, b, 0xF0, 2); got[0] != 0x73 || got[1] != 0 {
		t.Fatalf("0xF0-0xF1 = % x, want 73 00", got)
	}
	// Read-only: a write must not change who-am-I.
	if err := b.Tx(0x46, []byte{0xF0, 0x12}, nil); err != nil {
		t.Fatal(err)
	}
	if got := readReg(t, b, 0xF0, 1); got[0] != 0x73 {
		t.Fatalf("who-am-I after write = %#x, want 0x73", got[0])
	}
	if err := b.Tx(0x46, []byte{0xF3, 0x01}, nil); err != nil {
		t.Fatal(err)
	}
	if got := readReg(t, b, 0xF3, 1); got[0] != 0x01 {
		t.Fatalf("EEPROM WP = %#x, want 0x01", got[0])
	}
}

func TestATtinyFrame(t *testing.T) {
	b, a := newATtinyBus(t)
	w := make([]byte, 193)
	for i := range 192 {
		w[1+i] = byte(i) | 0xE0 // high bits set: the LEDs must ignore them
	}
	if err := b.Tx(0x46, w, nil); err != nil {
		t.Fatal(err)
	}
	if n := a.FrameWrites(); n != 1 {
		t.Fatalf("FrameWrites = %d, want 1", n)
	}
	// Registers read back what was written, high bits included.
	got := readReg(t, b, 0x00, 192)
	for i, v := range got {
		if v != byte(i)|0xE0 {
			t.Fatalf("register %#x = %#x, want %#x", i, v, byte(i)|0xE0)
		}
	}
	// Every written value is at least 0xE0: the firmware's counter (0..63)
	// never reaches it, so each LED is lit all the time, 64/64.
	for i, v := range a.Frame() {
		if v != 64 {
			t.Fatalf("Frame()[%d] = %d, want 64", i, v)
		}
	}
	// Duty is value/64 up to 63 (rpi-sense.S lights while count < value).
	for _, tc := range []struct{ v, want byte }{{0, 0}, {1, 1}, {31, 31}, {32, 32}, {63, 63}, {64, 64}, {200, 64}} {
		if err := b.Tx(0x46, []byte{7*24 + 7, tc.v, 0, 0, 0, 0, 0, 0, 0, tc.v / 2, 0, 0, 0, 0, 0, 0, 0, 5}, nil); err != nil {
			t.Fatal(err)
		}
		// Pixel (7, 7): red at 7*24+7, green +8, blue +16.
		if r, g, bl := a.Pixel(7, 7); r != tc.want || g != min(tc.v/2, 64) || bl != 5 {
			t.Fatalf("Pixel(7,7) after %d = %d,%d,%d, want %d,%d,5", tc.v, r, g, bl, tc.want, min(tc.v/2, 64))
		}
	}
	if r, g, bl := a.Pixel(8, 0); r|g|bl != 0 {
		t.Fatalf("Pixel out of range = %d,%d,%d, want 0", r, g, bl)
	}
	// Reads do not count as frame writes.
	if n := a.FrameWrites(); n != 8 {
		t.Fatalf("FrameWrites after reads = %d, want 1", n)
	}
}

func TestATtinyOnFrame(t *testing.T) {
	b, a := newATtinyBus(t)
	calls := 0
	a.OnFrame(func() {
		calls++
		// Called with no lock held: reading the model must not deadlock.
		_ = a.Frame()
	})
	steps := []struct {
		name      string
		w         []byte
		wantCalls int
	}{
		{"set red (0,0)", []byte{0x00, 31}, 1},
		{"same value", []byte{0x00, 31}, 1},
		{"brighter half of the range", []byte{0x00, 63}, 2},
		{"beyond the counter: full duty", []byte{0x00, 64}, 3},
		{"same duty", []byte{0x00, 0xFF}, 3},
		{"non-frame register", []byte{0xF3, 1}, 3},
		{"pointer only", []byte{0x00}, 3},
		{"blue (7,7)", []byte{7*24 + 16 + 7, 5}, 4},
	}
	for _, s := range steps {
		if err := b.Tx(0x46, s.w, nil); err != nil {
			t.Fatal(err)
		}
		if calls != s.wantCalls {
			t.Fatalf("%s: OnFrame calls = %d, want %d", s.name, calls, s.wantCalls)
		}
	}
	// Six transactions carried frame bytes, changed or not.
	if n := a.FrameWrites(); n != 6 {
		t.Fatalf("FrameWrites = %d, want 6", n)
	}
	a.OnFrame(nil)
	if err := b.Tx(0x46, []byte{0x01, 9}, nil); err != nil {
		t.Fatal(err)
	}
	if calls != 4 {
		t.Fatalf("OnFrame called after removal")
	}
}

func TestATtinyKeys(t *testing.T) {
	tests := []struct {
		key  sensehat.Key
		want byte
	}{
		{sensehat.KeyDown, 0x01},
		{sensehat.KeyRight, 0x02},
		{sensehat.KeyUp, 0x04},
		{sensehat.KeyMiddle, 0x08},
		{sensehat.KeyLeft, 0x10},
		{sensehat.KeyNone, 0x00},
		{sensehat.Key(200), 0x00},
	}
	for _, tc := range tests {
		t.Run(tc.key.String(), func(t *testing.T) {
			b, a := newATtinyBus(t)
			a.Press(tc.key)
			if got := readReg(t, b, 0xF2, 1)[0]; got != tc.want {
				t.Fatalf("after Press 0xF2 = %#02x, want %#02x", got, tc.want)
			}
			a.Release(tc.key)
			if got := readReg(t, b, 0xF2, 1)[0]; got != 0 {
				t.Fatalf("after Release 0xF2 = %#02x, want 0", got)
			}
		})
	}
}

func TestATtinyInterrupt(t *testing.T) {
	b, a := newATtinyBus(t)
	pin := a.Interrupt()
	if pin.Name() != "GPIO23" || pin.Number() != 23 || pin.DefaultPull() != gpio.PullDown {
		t.Fatalf("pin = %s #%d pull %s", pin.Name(), pin.Number(), pin.DefaultPull())
	}
	if pin.WaitForEdge(0) {
		t.Fatal("edge reported before In")
	}
	if err := pin.In(gpio.PullDown, gpio.RisingEdge); err != nil {
		t.Fatal(err)
	}
	if pin.Read() != gpio.Low || pin.WaitForEdge(0) {
		t.Fatal("line high or edge pending at start")
	}

	a.Press(sensehat.KeyUp)
	if pin.Read() != gpio.High {
		t.Fatal("line low after a key change")
	}
	if !pin.WaitForEdge(time.Minute) {
		t.Fatal("no rising edge after Press")
	}
	// Pressing the same key again changes nothing: no edge.
	a.Press(sensehat.KeyUp)
	if pin.WaitForEdge(0) {
		t.Fatal("edge without a change")
	}
	// Reading another register leaves the line alone; reading 0xF2 clears it.
	readReg(t, b, 0xF0, 1)
	if pin.Read() != gpio.High {
		t.Fatal("line cleared by reading 0xF0")
	}
	readReg(t, b, 0xF2, 1)
	if pin.Read() != gpio.Low {
		t.Fatal("line still high after reading 0xF2")
	}
	if pin.WaitForEdge(0) {
		t.Fatal("falling edge reported with RisingEdge set")
	}

	// A waiter blocked in WaitForEdge wakes on the change.
	done := make(chan bool)
	go func() { done <- pin.WaitForEdge(-1) }()
	a.Release(sensehat.KeyUp)
	if !<-done {
		t.Fatal("blocked waiter got no edge")
	}
	if pin.WaitForEdge(time.Millisecond) {
		t.Fatal("timeout reported as an edge")
	}
	if err := pin.Halt(); err != nil {
		t.Fatal(err)
	}
	readReg(t, b, 0xF2, 1)
	a.Press(sensehat.KeyLeft)
	if pin.WaitForEdge(0) {
		t.Fatal("edge after Halt")
	}
}

func TestATtinyFaultsFromBus(t *testing.T) {
	b, a := newATtinyBus(t)
	b.InjectNACK(0x46, 1)
	if err := b.Tx(0x46, []byte{0x00, 1}, nil); !errors.Is(err, ErrNACK) {
		t.Fatalf("err = %v, want ErrNACK", err)
	}
	if a.FrameWrites() != 0 || a.Frame()[0] != 0 {
		t.Fatal("NACKed write reached the model")
	}
}

func BenchmarkATtinyFrameWrite(b *testing.B) {
	bus := NewBus("sim")
	a := NewATtiny()
	bus.Attach(0x46, a)
	w := make([]byte, 193)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w[1] = byte(i)
		if err := bus.Tx(0x46, w, nil); err != nil {
			b.Fatal(err)
		}
	}
}
