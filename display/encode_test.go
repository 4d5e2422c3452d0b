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
	orig := append([]uint8(nil), f.Pix...)
	ApplyLowLight(f)
	// The panel takes each channel's top 5 bits through the gamma table.
	for i, v := range f.Pix {
		if got, want := DefaultGamma[v>>3], LowLightGamma[orig[i]>>3]; got != want {
			t.Errorf("byte %d: %d lit as %d, want %d as low light lights %d", i, v, got, want, orig[i])
		}
	}
	if lowLightLUT[0] != 0 || lowLightLUT[255] != 18<<3|18>>2 { // low light 10 = default[18]
		t.Errorf("lut[0]=%d lut[255]=%d, want 0 and 148", lowLightLUT[0], lowLightLUT[255])
	}
}
