package payload

import (
	"bytes"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/wire"
)

// wantError fails unless err is a *wire.Error with code wire.Invalid whose
// message contains every phrase: the phrases are what the user reads in
// the 400 reply.
func wantError(t *testing.T, err error, phrases ...string) {
	t.Helper()
	var pe *wire.Error
	if !errors.As(err, &pe) || pe.Code != wire.Invalid {
		t.Fatalf("error = %v (%T), want an invalid *wire.Error", err, err)
	}
	for _, p := range phrases {
		if !strings.Contains(pe.Message, p) {
			t.Errorf("error %q does not contain %q", pe.Message, p)
		}
	}
}

// pixelAt returns the colour of (x, y) in f as r, g, b.
func pixelAt(f *display.Frame, x, y int) [3]uint8 {
	c := f.RGBAt(x, y)
	return [3]uint8{c.R, c.G, c.B}
}

// wantPixels checks the listed pixels and that every other one is rest.
func wantPixels(t *testing.T, f *display.Frame, want map[image.Point][3]uint8, rest [3]uint8) {
	t.Helper()
	if f.Rect != image.Rect(0, 0, 8, 8) || len(f.Pix) != display.FrameBytes || f.Stride != 24 {
		t.Fatalf("frame shape: rect %v, %d bytes, stride %d", f.Rect, len(f.Pix), f.Stride)
	}
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			w, ok := want[image.Pt(x, y)]
			if !ok {
				w = rest
			}
			if got := pixelAt(f, x, y); got != w {
				t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, w)
			}
		}
	}
}

// encodePNG encodes img as a PNG.
func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeader returns a PNG signature and IHDR chunk claiming w x h RGBA
// pixels, with a correct CRC so that only the size is wrong.
func pngHeader(w, h uint32) []byte {
	ihdr := []byte{
		'I', 'H', 'D', 'R',
		byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w),
		byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h),
		8, 6, 0, 0, 0, // depth 8, RGBA, deflate, no filter, no interlace
	}
	crc := crc32.ChecksumIEEE(ihdr)
	out := append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13)
	out = append(out, ihdr...)
	return append(out, byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc))
}

// gifPalette is the palette of the test GIFs; index 0 is transparent.
var gifPalette = color.Palette{
	color.RGBA{},
	color.RGBA{0xff, 0, 0, 0xff},
	color.RGBA{0, 0xff, 0, 0xff},
	color.RGBA{0, 0, 0xff, 0xff},
	color.RGBA{0xff, 0xff, 0xff, 0xff},
}

// Indexes into gifPalette.
const (
	gifClear = iota
	gifRed
	gifGreen
	gifBlue
	gifWhite
)

// gifFrame returns a paletted frame over r filled with index fill.
func gifFrame(r image.Rectangle, fill uint8) *image.Paletted {
	m := image.NewPaletted(r, gifPalette)
	for i := range m.Pix {
		m.Pix[i] = fill
	}
	return m
}

// encodeGIF encodes g with an 8x8 logical screen.
func encodeGIF(t testing.TB, g *gif.GIF) []byte {
	t.Helper()
	g.Config = image.Config{ColorModel: gifPalette, Width: 8, Height: 8}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// manyFrameGIF returns an 8x8 GIF of n 1x1 frames, written byte by byte so
// that it can hold more frames than any sane encoder would be asked for.
func manyFrameGIF(n int) []byte {
	b := []byte("GIF89a")
	b = append(b, 8, 0, 8, 0, 0x80, 0, 0) // 8x8, global table of 2 colours
	b = append(b, 0, 0, 0, 0xff, 0xff, 0xff)
	frame := []byte{
		0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, // descriptor: (0,0) 1x1, no local table
		2,                // LZW minimum code size
		2, 0x4c, 0x01, 0, // clear, index 1, end; block terminator
	}
	for range n {
		b = append(b, frame...)
	}
	return append(b, 0x3b)
}

// nullDevice shows nothing: a player on it checks and queues items.
type nullDevice struct{}

func (nullDevice) Show(*display.Frame) error { return nil }
func (nullDevice) Halt() error               { return nil }
func (nullDevice) String() string            { return "null" }

// submit hands a parsed request to a fresh player, which checks how long
// it plays (display.Player.Submit is the one place that does), and
// returns its refusal.
func submit(t testing.TB, led LED) error {
	t.Helper()
	p, err := display.NewPlayer(nullDevice{}, display.PlayerOpts{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Submit(led.Item, led.Mode)
	return err
}

// playTime is how long a parsed request holds the matrix, as the display
// works it out.
func playTime(t testing.TB, led LED) time.Duration {
	t.Helper()
	d, ok := led.Item.(display.Durationer)
	if !ok {
		t.Fatalf("item %v does not say how long it plays", led.Item)
	}
	return d.Duration()
}

// parseCase is one payload a parser must accept and what it must return.
// An empty name names the subtest after the payload.
type parseCase[T any] struct {
	name string
	in   string
	want T
}

// checkParses runs each case through parse (named fn in messages) as a
// subtest: no error, and the result equal to want.
func checkParses[T comparable](t *testing.T, fn string, parse func([]byte) (T, error), cases []parseCase[T]) {
	t.Helper()
	for _, tc := range cases {
		name := tc.name
		if name == "" {
			name = tc.in
		}
		t.Run(name, func(t *testing.T) {
			got, err := parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("%s(%q): %v", fn, tc.in, err)
			}
			if got != tc.want {
				t.Errorf("%s(%q) = %+v, want %+v", fn, tc.in, got, tc.want)
			}
		})
	}
}

// badCase is one payload a parser must refuse, with the phrases the 400
// reply must hold.
type badCase[In string | []byte] struct {
	name    string
	in      In
	phrases []string
}

// checkRefuses runs each case through parse (named fn in messages) as a
// subtest: an invalid *wire.Error holding every phrase.
func checkRefuses[In string | []byte, T any](t *testing.T, fn string, parse func([]byte) (T, error), cases []badCase[In]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("%s(%.40q) = %+v, want an error", fn, tc.in, got)
			}
			wantError(t, err, tc.phrases...)
		})
	}
}

// benchParse reports the time and allocations of parsing data once.
func benchParse[T any](b *testing.B, data []byte, parse func([]byte) (T, error)) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
