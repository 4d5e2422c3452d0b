package display

import (
	"bytes"
	"image/color"
	"math"
	"strings"
	"testing"
)

// onePixel returns a black frame with pixel (x, y) set to c.
func onePixel(x, y int, c color.RGBA) *Frame {
	f := NewFrame()
	f.SetRGB(x, y, c.R, c.G, c.B)
	return f
}

func TestEncodeRGB565(t *testing.T) {
	tests := []struct {
		name string
		x, y int
		c    color.RGBA
		at   int
		b0   byte
		b1   byte
	}{
		{"red at 0,0", 0, 0, color.RGBA{255, 0, 0, 255}, 0, 0x00, 0xf8},
		{"green at 0,0", 0, 0, color.RGBA{0, 255, 0, 255}, 0, 0xe0, 0x07},
		{"blue at 0,0", 0, 0, color.RGBA{0, 0, 255, 255}, 0, 0x1f, 0x00},
		{"white at 7,7", 7, 7, color.RGBA{255, 255, 255, 255}, 126, 0xff, 0xff},
		{"red at 7,0", 7, 0, color.RGBA{255, 0, 0, 255}, 14, 0x00, 0xf8},
		{"blue at 0,1", 0, 1, color.RGBA{0, 0, 255, 255}, 16, 0x1f, 0x00},
		// 0x80>>3=16 -> 0x8000; 0x84>>2=33 -> 0x0420; 0x08>>3=1 -> 0x0001.
		{"mixed at 3,5", 3, 5, color.RGBA{0x80, 0x84, 0x08, 255}, 2 * (8*5 + 3), 0x21, 0x84},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [RGB565Bytes]byte
			for i := range got {
				got[i] = 0xaa // prove every byte is written
			}
			EncodeRGB565(&got, onePixel(tc.x, tc.y, tc.c))
			var want [RGB565Bytes]byte
			want[tc.at], want[tc.at+1] = tc.b0, tc.b1
			if got != want {
				t.Errorf("got\n% x\nwant\n% x", got, want)
			}
		})
	}
}

func TestEncodeRGB565White(t *testing.T) {
	f := NewFrame()
	f.Fill(color.RGBA{255, 255, 255, 255})
	var got [RGB565Bytes]byte
	EncodeRGB565(&got, f)
	if !bytes.Equal(got[:], bytes.Repeat([]byte{0xff}, RGB565Bytes)) {
		t.Errorf("white frame = % x", got)
	}
}

func TestDecodeRGB565(t *testing.T) {
	src := make([]byte, RGB565Bytes)
	src[0], src[1] = 0x00, 0xf8     // (0,0) full red
	src[126], src[127] = 0xe0, 0x07 // (7,7) full green
	src[2], src[3] = 0x21, 0x84     // (1,0) r=16 g=33 b=1
	f := NewFrame()
	f.Fill(color.RGBA{9, 9, 9, 255})
	if err := DecodeRGB565(src, f); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, color.RGBA{255, 0, 0, 255}},
		{7, 7, color.RGBA{0, 255, 0, 255}},
		// 16 -> 10000 100 = 0x84; 33 -> 100001 10 = 0x86; 1 -> 00001 000 = 0x08.
		{1, 0, color.RGBA{0x84, 0x86, 0x08, 255}},
		{4, 4, color.RGBA{0, 0, 0, 255}},
	}
	for _, c := range checks {
		if got := f.RGBAt(c.x, c.y); got != c.want {
			t.Errorf("(%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	// Decoding then encoding gives back the same bytes.
	var again [RGB565Bytes]byte
	EncodeRGB565(&again, f)
	if !bytes.Equal(again[:], src) {
		t.Errorf("round trip\n% x\nwant\n% x", again, src)
	}
}

func TestDecodeRGB565Size(t *testing.T) {
	err := DecodeRGB565(make([]byte, 127), NewFrame())
	if err == nil || !strings.Contains(err.Error(), "127 bytes, want 128") {
		t.Errorf("err = %v", err)
	}
}

func TestEncodeATtiny(t *testing.T) {
	tests := []struct {
		name string
		x, y int
		c    color.RGBA
		g    *Gamma
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
		{"mid grey default", 1, 0, color.RGBA{128, 0x86, 48, 255}, &DefaultGamma, map[int]byte{1: 8, 9: 8, 17: 1}},
		{"mid grey low light", 1, 0, color.RGBA{128, 7, 255, 255}, &LowLightGamma, map[int]byte{1: 3, 17: 10}},
		// FullGamma: 128>>3 = 16 → 16, 48>>3 = 6 → 2, 255>>3 = 31 → 63.
		{"mid grey full range", 1, 0, color.RGBA{128, 0x86, 48, 255}, &FullGamma, map[int]byte{1: 16, 9: 16, 17: 2}},
		{"white full range", 3, 4, color.RGBA{255, 255, 255, 255}, &FullGamma, map[int]byte{4*24 + 3: 63, 4*24 + 11: 63, 4*24 + 19: 63}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [ATtinyBytes]byte
			for i := range got {
				got[i] = 0xaa
			}
			EncodeATtiny(&got, onePixel(tc.x, tc.y, tc.c), tc.g)
			var want [ATtinyBytes]byte
			for i, v := range tc.want {
				want[i] = v
			}
			if got != want {
				t.Errorf("got\n% x\nwant\n% x", got, want)
			}
		})
	}
}

func TestEncodeATtinyWhite(t *testing.T) {
	f := NewFrame()
	f.Fill(color.RGBA{255, 255, 255, 255})
	var got [ATtinyBytes]byte
	EncodeATtiny(&got, f, nil)
	if !bytes.Equal(got[:], bytes.Repeat([]byte{31}, ATtinyBytes)) {
		t.Errorf("white frame = % x", got)
	}
	EncodeATtiny(&got, f, &LowLightGamma)
	if !bytes.Equal(got[:], bytes.Repeat([]byte{10}, ATtinyBytes)) {
		t.Errorf("white low-light frame = % x", got)
	}
	// The firmware's full duty, 63/64 (rpi-sense.S counts 0..63).
	EncodeATtiny(&got, f, &FullGamma)
	if !bytes.Equal(got[:], bytes.Repeat([]byte{63}, ATtinyBytes)) {
		t.Errorf("white full-range frame = % x", got)
	}
}

func TestFullGammaIsDefaultStretched(t *testing.T) {
	for i, v := range DefaultGamma {
		if want := uint8(math.Round(float64(v) * MaxPWM / 31)); FullGamma[i] != want {
			t.Errorf("FullGamma[%d] = %d, want DefaultGamma[%d]·63/31 = %d", i, FullGamma[i], i, want)
		}
	}
}

func TestGammaCheck(t *testing.T) {
	for _, g := range []*Gamma{&DefaultGamma, &LowLightGamma, &FullGamma} {
		if err := g.Check(); err != nil {
			t.Errorf("%v: %v", g, err)
		}
	}
	bad := FullGamma
	bad[30] = 64
	if err := bad.Check(); err == nil || !strings.Contains(err.Error(), "gamma[30] = 64, want 0..63") {
		t.Errorf("Check with 64 = %v", err)
	}
}

func TestGammaTables(t *testing.T) {
	// The kernel driver's tables, pinned: the hardware notes are the source.
	def := Gamma{0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 17, 18, 20, 21, 23, 25, 27, 29, 31}
	low := Gamma{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 10, 10}
	if DefaultGamma != def || LowLightGamma != low {
		t.Fatal("gamma tables changed")
	}
}

func TestApplyLowLight(t *testing.T) {
	// On a device applying DefaultGamma, a low-lit frame must light each LED
	// exactly as LowLightGamma would light the original.
	f := NewFrame()
	for i := range f.Pix {
		f.Pix[i] = uint8(i * 4)
	}
	var want [ATtinyBytes]byte
	EncodeATtiny(&want, f, &LowLightGamma)
	ApplyLowLight(f)
	var got [ATtinyBytes]byte
	EncodeATtiny(&got, f, &DefaultGamma)
	if got != want {
		t.Errorf("software low light\n% x\nwant\n% x", got, want)
	}
	if lowLightLUT[0] != 0 || lowLightLUT[255] != 18<<3|18>>2 { // low light 10 = default[18]
		t.Errorf("lut[0]=%d lut[255]=%d, want 0 and 148", lowLightLUT[0], lowLightLUT[255])
	}
}
