package attiny

import (
	"bytes"
	"image/color"
	"testing"

	"github.com/sensehat/sensehat/display"
)

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		x, y int
		c    color.RGBA
		g    *display.Gamma
		want map[int]byte // every other byte must be 0
	}{
		{"red at 0,0", 0, 0, color.RGBA{255, 0, 0, 255}, nil, map[int]byte{0: 31}},
		{"green at 0,0", 0, 0, color.RGBA{0, 255, 0, 255}, nil, map[int]byte{8: 31}},
		{"blue at 0,0", 0, 0, color.RGBA{0, 0, 255, 255}, nil, map[int]byte{16: 31}},
		{"red at 7,7", 7, 7, color.RGBA{255, 0, 0, 255}, nil, map[int]byte{7*24 + 7: 31}},
		{"green at 7,7", 7, 7, color.RGBA{0, 255, 0, 255}, nil, map[int]byte{7*24 + 15: 31}},
		{"blue at 7,7", 7, 7, color.RGBA{0, 0, 255, 255}, nil, map[int]byte{7*24 + 23: 31}},
		{"white at 2,1", 2, 1, color.RGBA{255, 255, 255, 255}, nil, map[int]byte{24 + 2: 31, 24 + 10: 31, 24 + 18: 31}},
		// 128>>3 = 16: default 8, low light 3. 48>>3 = 6: default 1.
		// 7>>3 = 0: dark. Green 0x86: 6 bits 33, low bit dropped 16.
		{"mid grey default", 1, 0, color.RGBA{128, 0x86, 48, 255}, &display.DefaultGamma, map[int]byte{1: 8, 9: 8, 17: 1}},
		{"mid grey low light", 1, 0, color.RGBA{128, 7, 255, 255}, &display.LowLightGamma, map[int]byte{1: 3, 17: 10}},
		// FullGamma: 128>>3 = 16 → 16, 48>>3 = 6 → 2, 255>>3 = 31 → 63.
		{"mid grey full range", 1, 0, color.RGBA{128, 0x86, 48, 255}, &display.FullGamma, map[int]byte{1: 16, 9: 16, 17: 2}},
		{"white full range", 3, 4, color.RGBA{255, 255, 255, 255}, &display.FullGamma, map[int]byte{4*24 + 3: 63, 4*24 + 11: 63, 4*24 + 19: 63}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [FrameBytes]byte
			for i := range got {
				got[i] = 0xaa
			}
			f := display.NewFrame()
			f.SetRGB(tc.x, tc.y, tc.c.R, tc.c.G, tc.c.B)
			Encode(&got, f, tc.g)
			var want [FrameBytes]byte
			for i, v := range tc.want {
				want[i] = v
			}
			if got != want {
				t.Errorf("got\n% x\nwant\n% x", got, want)
			}
		})
	}
}

func TestEncodeWhite(t *testing.T) {
	f := display.NewFrame()
	f.Fill(color.RGBA{255, 255, 255, 255})
	var got [FrameBytes]byte
	Encode(&got, f, nil)
	if !bytes.Equal(got[:], bytes.Repeat([]byte{31}, FrameBytes)) {
		t.Errorf("white frame = % x", got)
	}
	Encode(&got, f, &display.LowLightGamma)
	if !bytes.Equal(got[:], bytes.Repeat([]byte{10}, FrameBytes)) {
		t.Errorf("white low-light frame = % x", got)
	}
	// The firmware's full duty, 63/64 (rpi-sense.S counts 0..63).
	Encode(&got, f, &display.FullGamma)
	if !bytes.Equal(got[:], bytes.Repeat([]byte{63}, FrameBytes)) {
		t.Errorf("white full-range frame = % x", got)
	}
}

func BenchmarkEncode(b *testing.B) {
	f := display.NewFrame()
	for i := range f.Pix {
		f.Pix[i] = uint8(i * 7)
	}
	var buf [FrameBytes]byte
	b.ReportAllocs()
	for b.Loop() {
		Encode(&buf, f, &display.DefaultGamma)
	}
}
