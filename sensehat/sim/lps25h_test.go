package sim

import (
	"bytes"
	"testing"
)

func TestLPS25HRegisters(t *testing.T) {
	tests := []struct {
		name  string
		hPa   float64
		tempC float64
		want  []byte // STATUS, PRESS_OUT_XL/L/H, TEMP_OUT_L/H
	}{
		// 1013.25*4096 = 4150272 = 0x3F5400; (21.5-42.5)*480 = -10080 = 0xD8A0.
		{"sea level", 1013.25, 21.5, []byte{0x03, 0x00, 0x54, 0x3F, 0xA0, 0xD8}},
		// 870*4096 = 3563520 = 0x366000; (-12.3-42.5)*480 = -26304 = 0x9940.
		{"cold low", 870, -12.3, []byte{0x03, 0x00, 0x60, 0x36, 0x40, 0x99}},
		// 42.5 °C is raw 0.
		{"zero temp code", 1085, 42.5, []byte{0x03, 0x00, 0xD0, 0x43, 0x00, 0x00}},
		// Negative pressure (offset-corrected outputs can be): two's complement.
		{"negative", -1, 42.5 + 1.0/480, []byte{0x03, 0x00, 0xF0, 0xFF, 0x01, 0x00}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBus("test")
			p := NewLPS25H()
			b.Attach(0x5C, p)
			if err := b.Tx(0x5C, []byte{0x20, 0xC4}, nil); err != nil {
				t.Fatal(err)
			}
			p.Set(tc.hPa, tc.tempC)
			got := make([]byte, 6)
			if err := b.Tx(0x5C, []byte{0xA7}, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("status+outputs = % x, want % x", got, tc.want)
			}
			if s := p.Register(0x27); s != 0 {
				t.Fatalf("status after reading = %#x, want 0", s)
			}
		})
	}
}

func TestLPS25HPowerAndIncrement(t *testing.T) {
	b := NewBus("test")
	p := NewLPS25H()
	b.Attach(0x5C, p)
	r := make([]byte, 3)
	if err := b.Tx(0x5C, []byte{0x0F}, r); err != nil || !bytes.Equal(r, []byte{0xBD, 0xBD, 0xBD}) {
		t.Fatalf("who-am-I without auto-increment = % x, %v; want bd bd bd", r, err)
	}
	p.Set(1000, 20)
	if s := p.Register(0x27); s != 0 {
		t.Fatalf("powered down: status = %#x, want 0", s)
	}
	if err := b.Tx(0x5C, []byte{0x20, 0x84}, nil); err != nil {
		t.Fatal(err)
	}
	if s := p.Register(0x27); s != 0x03 {
		t.Fatalf("after power-on: status = %#x, want 0x03", s)
	}
	if err := b.Tx(0x5C, []byte{0xA8}, r); err != nil || !bytes.Equal(r, []byte{0x00, 0x80, 0x3E}) {
		t.Fatalf("PRESS_OUT = % x, %v; want 00 80 3e", r, err)
	}
}
