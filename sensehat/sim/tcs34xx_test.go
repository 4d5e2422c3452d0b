package sim

import (
	"bytes"
	"testing"
	"time"
)

// clock is a manual clock for the integration timing.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTCS(t *testing.T, c *TCS34xx, addr uint16) (*Bus, *clock) {
	t.Helper()
	b := NewBus("test")
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c.SetClock(clk.now)
	b.Attach(addr, c)
	return b, clk
}

func btx(t *testing.T, b *Bus, addr uint16, w []byte, n int) []byte {
	t.Helper()
	r := make([]byte, n)
	if err := b.Tx(addr, w, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// le16 is little-endian 16-bit values one after the other, as the data
// registers hold them.
func le16(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = append(b, byte(v), byte(v>>8))
	}
	return b
}

func TestTCS3400Integration(t *testing.T) {
	c := NewTCS3400()
	b, clk := newTCS(t, c, TCS3400Addr)
	c.SetLight(10, 20, 5, 100)
	if id := btx(t, b, TCS3400Addr, []byte{0x92}, 1); id[0] != 0x90 {
		t.Fatalf("ID = %#x, want 0x90", id[0])
	}
	btx(t, b, TCS3400Addr, []byte{0x80, 0x01}, 0)                   // PON
	btx(t, b, TCS3400Addr, []byte{0x81, 256 - 64}, 0)               // 64 cycles
	btx(t, b, TCS3400Addr, []byte{0x8F, 0x02}, 0)                   // gain 16
	btx(t, b, TCS3400Addr, []byte{0x80, 0x03}, 0)                   // PON|AEN at once: the warm-up still applies
	integration := 2750*time.Microsecond + 64*2750*time.Microsecond // warm-up + 64 cycles of 2.75 ms
	clk.advance(integration - time.Microsecond)
	if st := btx(t, b, TCS3400Addr, []byte{0x93}, 1); st[0] != 0 {
		t.Fatalf("STATUS = %#x before the first integration ended, want AVALID clear", st[0])
	}
	clk.advance(time.Microsecond)
	got := btx(t, b, TCS3400Addr, []byte{0x93}, 9)
	// counts = light × gain × cycles: clear 100×16×64 = 102400 saturates at
	// 65535 (64 cycles and more); red 10240, green 20480, blue 5120.
	want := append([]byte{0x01}, le16(65535, 10240, 20480, 5120)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("STATUS..BDATAH = % x, want % x", got, want)
	}

	// AEN off clears AVALID; the data stay.
	btx(t, b, TCS3400Addr, []byte{0x80, 0x01}, 0)
	if st := c.Register(0x93); st != 0 {
		t.Fatalf("STATUS = %#x after AEN cleared, want 0", st)
	}
}

func TestTCS3400SaturatesBelow64Cycles(t *testing.T) {
	c := NewTCS3400()
	b, clk := newTCS(t, c, TCS3400Addr)
	c.SetLight(1000, 1024, 1100, 0.4)
	btx(t, b, TCS3400Addr, []byte{0x80, 0x01}, 0)
	clk.advance(3 * time.Millisecond)
	btx(t, b, TCS3400Addr, []byte{0x80, 0x03}, 0) // ATIME reset value 0xFF: one cycle
	clk.advance(2750 * time.Microsecond)
	got := btx(t, b, TCS3400Addr, []byte{0x94}, 8)
	// Full scale at one cycle is 1024 (python-sense-hat max_value:
	// 1024 × cycles below 64); 0.4 rounds to 0.
	want := le16(0, 1000, 1024, 1024)
	if !bytes.Equal(got, want) {
		t.Fatalf("CDATAL..BDATAH = % x, want % x", got, want)
	}
}

func TestTCS34725CommandByte(t *testing.T) {
	c := NewTCS34725()
	b, clk := newTCS(t, c, TCS34725Addr)
	c.SetLight(3, 2, 1, 6)
	if id := btx(t, b, TCS34725Addr, []byte{0x92}, 1); id[0] != 0x44 {
		t.Fatalf("ID = %#x, want 0x44", id[0])
	}
	btx(t, b, TCS34725Addr, []byte{0x80, 0x01}, 0)
	btx(t, b, TCS34725Addr, []byte{0x81, 256 - 10}, 0) // 10 cycles of 2.4 ms
	btx(t, b, TCS34725Addr, []byte{0x8F, 0x03}, 0)     // gain 60
	btx(t, b, TCS34725Addr, []byte{0x80, 0x03}, 0)
	clk.advance(2400*time.Microsecond + 10*2400*time.Microsecond)

	// TYPE 01 (0xA0): auto-increment. counts = light × 60 × 10.
	got := btx(t, b, TCS34725Addr, []byte{0xB3}, 9)
	want := append([]byte{0x01}, le16(3600, 1800, 1200, 600)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("auto-increment STATUS..BDATAH = % x, want % x", got, want)
	}
	// TYPE 00: "Byte protocol will repeatedly read the same register"
	// (TCS3472 datasheet, command register).
	if got := btx(t, b, TCS34725Addr, []byte{0x94}, 4); !bytes.Equal(got, []byte{0x10, 0x10, 0x10, 0x10}) {
		t.Fatalf("repeated-byte read of CDATAL = % x, want 10 10 10 10", got)
	}
	// A first byte without the command bit is data for the last register.
	btx(t, b, TCS34725Addr, []byte{0x8F}, 0)
	btx(t, b, TCS34725Addr, []byte{0x01}, 0)
	if g := c.Register(0x8F); g != 0x01 {
		t.Fatalf("CONTROL = %#x after a data-only write, want 0x01", g)
	}
	if id := c.Register(0x92); id != 0x44 {
		t.Fatalf("ID changed to %#x", id)
	}
}

func TestTCS34xxSettingsApplyAtTheNextIntegration(t *testing.T) {
	c := NewTCS3400()
	b, clk := newTCS(t, c, TCS3400Addr)
	c.SetLight(1, 1, 1, 1)
	step := 2750 * time.Microsecond
	btx(t, b, TCS3400Addr, []byte{0x80, 0x01}, 0)
	clk.advance(step)
	btx(t, b, TCS3400Addr, []byte{0x81, 256 - 4}, 0) // 4 cycles, gain 1
	btx(t, b, TCS3400Addr, []byte{0x80, 0x03}, 0)
	clk.advance(2 * step)
	btx(t, b, TCS3400Addr, []byte{0x8F, 0x01}, 0) // gain 4, mid-integration
	clk.advance(2 * step)
	if got := btx(t, b, TCS3400Addr, []byte{0x96}, 2); !bytes.Equal(got, le16(4)) {
		t.Fatalf("first integration RDATA = % x, want 4 (gain 1 × 4 cycles: the change waits)", got)
	}
	clk.advance(4 * step)
	if got := btx(t, b, TCS3400Addr, []byte{0x96}, 2); !bytes.Equal(got, le16(16)) {
		t.Fatalf("second integration RDATA = % x, want 16 (gain 4 × 4 cycles)", got)
	}
	// Light changes show at the next completed integration, not before.
	c.SetLight(2, 2, 2, 2)
	if got := btx(t, b, TCS3400Addr, []byte{0x96}, 2); !bytes.Equal(got, le16(16)) {
		t.Fatalf("RDATA = % x right after SetLight, want the old 16", got)
	}
	clk.advance(100 * step) // many integrations later: no loop per cycle
	if got := btx(t, b, TCS3400Addr, []byte{0x96}, 2); !bytes.Equal(got, le16(32)) {
		t.Fatalf("RDATA = % x, want 32", got)
	}
}

func TestTCS34xxHighByteLatch(t *testing.T) {
	c := NewTCS3400()
	b, clk := newTCS(t, c, TCS3400Addr)
	c.SetLight(0, 0, 0, 300)
	btx(t, b, TCS3400Addr, []byte{0x80, 0x03}, 0)
	clk.advance(2 * 2750 * time.Microsecond)
	lo := btx(t, b, TCS3400Addr, []byte{0x94}, 1)
	c.SetLight(0, 0, 0, 1000)
	clk.advance(2750 * time.Microsecond) // another integration completes
	hi := btx(t, b, TCS3400Addr, []byte{0x95}, 1)
	if v := uint16(lo[0]) | uint16(hi[0])<<8; v != 300 {
		t.Fatalf("CDATA read in two transactions = %d, want 300: the high byte is latched by reading the low byte", v)
	}
}

func TestHATModels(t *testing.T) {
	for _, tc := range []struct {
		m    Model
		addr uint16
		id   byte
	}{{SenseHATv2, 0x39, 0x90}, {AstroPi, 0x29, 0x44}} {
		h := NewHATModel(tc.m)
		if h.ColourAddr != tc.addr || h.Bus.Chip(tc.addr) == nil {
			t.Fatalf("model %d: colour sensor at %#x, want %#x", tc.m, h.ColourAddr, tc.addr)
		}
		if id := btx(t, h.Bus, tc.addr, []byte{0x92}, 1); id[0] != tc.id {
			t.Fatalf("model %d: ID %#x, want %#x", tc.m, id[0], tc.id)
		}
	}
	h := NewHATModel(SenseHATv1)
	if h.Colour != nil || h.Bus.Chip(0x39) != nil || h.Bus.Chip(0x29) != nil {
		t.Fatal("Sense HAT v1 has a colour sensor")
	}
}

func BenchmarkTCS34xxRead(b *testing.B) {
	c := NewTCS3400()
	bus := NewBus("bench")
	bus.Attach(TCS3400Addr, c)
	_ = bus.Tx(TCS3400Addr, []byte{0x80, 0x03}, nil)
	w, r := []byte{0x93}, make([]byte, 9)
	b.ReportAllocs()
	for b.Loop() {
		if err := bus.Tx(TCS3400Addr, w, r); err != nil {
			b.Fatal(err)
		}
	}
}
