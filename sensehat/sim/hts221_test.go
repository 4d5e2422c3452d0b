package sim

import (
	"bytes"
	"testing"
)

func TestHTS221Registers(t *testing.T) {
	b := NewBus("test")
	h := NewHTS221()
	b.Attach(0x5F, h)

	r := make([]byte, 1)
	if err := b.Tx(0x5F, []byte{0x0F}, r); err != nil || r[0] != 0xBC {
		t.Fatalf("who-am-I = %#x, %v; want 0xbc", r[0], err)
	}

	// Powered down: outputs stay zero and nothing is ready.
	h.Set(30, 60)
	out := make([]byte, 5)
	if err := b.Tx(0x5F, []byte{0xA7}, out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, make([]byte, 5)) {
		t.Fatalf("powered down: status+outputs = % x, want zeros", out)
	}

	// Power on: a sample at 21.5 °C / 45 %rH through the default block.
	h.Set(21.5, 45)
	if err := b.Tx(0x5F, []byte{0x20, 0x87}, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Tx(0x5F, []byte{0xA7}, out); err != nil {
		t.Fatal(err)
	}
	// T: 0 + (21.5-18.5)*1020/15 = 204 = 0x00CC.
	// H: -1320 + (45-33)*(-12345+1320)/44 = -4326.8 → -4327 = 0xEF19.
	want := []byte{0x03, 0x19, 0xEF, 0xCC, 0x00}
	if !bytes.Equal(out, want) {
		t.Fatalf("status+outputs = % x, want % x", out, want)
	}
	// Reading the outputs consumed both ready flags.
	if got := h.Register(0x27); got != 0 {
		t.Fatalf("status after reading outputs = %#x, want 0", got)
	}

	// Calibration block, read with auto-increment.
	cal := make([]byte, 16)
	if err := b.Tx(0x5F, []byte{0xB0}, cal); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cal, HTS221Calibration[:]) {
		t.Fatalf("calibration = % x, want % x", cal, HTS221Calibration)
	}

	// Without bit 7 the pointer stays: the same register repeated.
	rep := make([]byte, 4)
	if err := b.Tx(0x5F, []byte{0x30}, rep); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rep, []byte{0x42, 0x42, 0x42, 0x42}) {
		t.Fatalf("read without auto-increment = % x, want 42 42 42 42", rep)
	}

	// Read-only registers ignore writes.
	if err := b.Tx(0x5F, []byte{0x0F, 0x00}, nil); err != nil {
		t.Fatal(err)
	}
	if got := h.Register(0x0F); got != 0xBC {
		t.Fatalf("who-am-I after write = %#x, want 0xbc", got)
	}
}

func TestHTS221Saturates(t *testing.T) {
	h := NewHTS221()
	h.regs.Lock(func(m *[256]byte) { m[0x20] = 0x87 })
	h.Set(2000, -500)
	if got := int16(uint16(h.Register(0x2A)) | uint16(h.Register(0x2B))<<8); got != 32767 {
		t.Fatalf("T_OUT at 2000 °C = %d, want 32767", got)
	}
	if got := int16(uint16(h.Register(0x28)) | uint16(h.Register(0x29))<<8); got != 32767 {
		// Negative sensitivity: -500 %rH maps to a large positive output.
		t.Fatalf("H_OUT at -500 %%rH = %d, want 32767", got)
	}
}
