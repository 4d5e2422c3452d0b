package payload

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/display"
)

// wantStill checks the parts of an Animation that make it a still picture.
func wantStill(t *testing.T, a Animation) *display.Frame {
	t.Helper()
	if len(a.Frames) != 1 || len(a.Delays) != 1 || a.Delays[0] != 0 || a.Loops != 1 {
		t.Fatalf("got %d frames, delays %v, loops %d; want one still frame", len(a.Frames), a.Delays, a.Loops)
	}
	return a.Frames[0]
}

func TestParsePixelsRGB888(t *testing.T) {
	data := make([]byte, 192)
	for i := range data {
		data[i] = byte(i)
	}
	a, err := ParsePixels(data)
	if err != nil {
		t.Fatal(err)
	}
	f := wantStill(t, a)
	if !bytes.Equal(f.Pix, data) {
		t.Errorf("Pix = % x, want the payload", f.Pix)
	}
	// Row-major from the top left: pixel (1, 2) is the 17th.
	if got, want := pixelAt(f, 1, 2), [3]uint8{51, 52, 53}; got != want {
		t.Errorf("pixel (1,2) = %v, want %v", got, want)
	}
	// The frame must not alias the NATS message buffer.
	data[0] = 0xff
	if f.Pix[0] != 0 {
		t.Error("frame aliases the payload")
	}
}

// TestParsePixelsStill: each form of a still picture gives the pixels it
// encodes, every other one black.
func TestParsePixelsStill(t *testing.T) {
	rgb565 := func() []byte {
		data := make([]byte, 128)
		put := func(x, y int, v uint16) {
			i := 2 * (8*y + x)
			data[i], data[i+1] = byte(v), byte(v>>8)
		}
		put(0, 0, 0xf800) // red
		put(1, 0, 0x07e0) // green
		put(2, 0, 0x001f) // blue
		put(3, 0, 0x8410) // half grey: 16, 32, 16 widened by bit replication
		put(7, 7, 0xffff)
		return data
	}
	jsonArray := func() []byte {
		cols := make([]string, 64)
		for i := range cols {
			cols[i] = `"black"`
		}
		cols[0] = `"red"`
		cols[9] = `[1, 2, 3]`    // (1, 1)
		cols[63] = `"#00FF80"`   // (7, 7)
		cols[16] = ` "#abc" `    // (0, 2)
		cols[23] = "\n[0,0,255]" // (7, 2)
		return []byte(" [" + strings.Join(cols, ",") + "]\n")
	}
	nrgbaPNG := func() []byte {
		img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = 0xff // opaque black
		}
		img.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
		img.SetNRGBA(3, 4, color.NRGBA{10, 20, 30, 255})
		img.SetNRGBA(7, 7, color.NRGBA{0, 0, 255, 128}) // half transparent over black
		img.SetNRGBA(6, 7, color.NRGBA{255, 255, 255, 0})
		return encodePNG(t, img)
	}
	// A paletted PNG with an offset origin decodes the same way.
	palettedPNG := func() []byte {
		pal := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.RGBA{0, 255, 0, 255}})
		pal.SetColorIndex(5, 6, 1)
		return encodePNG(t, pal)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want map[image.Point][3]uint8
	}{
		{"RGB565", rgb565(), map[image.Point][3]uint8{{0, 0}: {255, 0, 0}, {1, 0}: {0, 255, 0}, {2, 0}: {0, 0, 255},
			{3, 0}: {132, 130, 132}, {7, 7}: {255, 255, 255}}},
		{"JSON", jsonArray(), map[image.Point][3]uint8{{0, 0}: {255, 0, 0}, {1, 1}: {1, 2, 3}, {7, 7}: {0, 255, 0x80},
			{0, 2}: {0xaa, 0xbb, 0xcc}, {7, 2}: {0, 0, 255}}},
		{"PNG", nrgbaPNG(), map[image.Point][3]uint8{{0, 0}: {255, 0, 0}, {3, 4}: {10, 20, 30}, {7, 7}: {0, 0, 128},
			{6, 7}: {0, 0, 0}}},
		{"paletted PNG", palettedPNG(), map[image.Point][3]uint8{{5, 6}: {0, 255, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParsePixels(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			wantPixels(t, wantStill(t, a), tc.want, [3]uint8{})
		})
	}
}

func TestParsePixelsGIF(t *testing.T) {
	f0 := gifFrame(image.Rect(0, 0, 8, 8), gifRed)
	f0.SetColorIndex(0, 0, gifBlue)
	f1 := gifFrame(image.Rect(2, 2, 4, 4), gifGreen)
	f1.SetColorIndex(3, 3, gifClear) // red shows through
	f2 := gifFrame(image.Rect(0, 0, 1, 1), gifWhite)
	data := encodeGIF(t, &gif.GIF{
		Image:     []*image.Paletted{f0, f1, f2},
		Delay:     []int{10, 0, 50},
		Disposal:  []byte{gif.DisposalNone, gif.DisposalBackground, gif.DisposalNone},
		LoopCount: 2,
	})
	a, err := ParsePixels(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Frames) != 3 {
		t.Fatalf("%d frames, want 3", len(a.Frames))
	}
	wantDelays := []time.Duration{100 * time.Millisecond, DefaultDelay, 500 * time.Millisecond}
	if fmt.Sprint(a.Delays) != fmt.Sprint(wantDelays) {
		t.Errorf("Delays = %v, want %v", a.Delays, wantDelays)
	}
	if a.Loops != 3 {
		t.Errorf("Loops = %d, want 3 (LoopCount 2 replays twice)", a.Loops)
	}
	red, green, blue, white, black := [3]uint8{255, 0, 0}, [3]uint8{0, 255, 0}, [3]uint8{0, 0, 255}, [3]uint8{255, 255, 255}, [3]uint8{}
	t.Run("frame 0", func(t *testing.T) {
		wantPixels(t, a.Frames[0], map[image.Point][3]uint8{{0, 0}: blue}, red)
	})
	t.Run("frame 1 over frame 0", func(t *testing.T) {
		wantPixels(t, a.Frames[1], map[image.Point][3]uint8{
			{0, 0}: blue, {2, 2}: green, {3, 2}: green, {2, 3}: green, {3, 3}: red,
		}, red)
	})
	t.Run("frame 2 after disposal to background", func(t *testing.T) {
		wantPixels(t, a.Frames[2], map[image.Point][3]uint8{
			{0, 0}: white, {2, 2}: black, {3, 2}: black, {2, 3}: black, {3, 3}: black,
		}, red)
	})
}

func TestParsePixelsGIFDisposePrevious(t *testing.T) {
	data := encodeGIF(t, &gif.GIF{
		Image: []*image.Paletted{
			gifFrame(image.Rect(0, 0, 8, 8), gifRed),
			gifFrame(image.Rect(0, 0, 1, 1), gifGreen),
			gifFrame(image.Rect(1, 1, 2, 2), gifBlue),
		},
		Delay:    []int{2, 2, 2},
		Disposal: []byte{gif.DisposalNone, gif.DisposalPrevious, gif.DisposalNone},
	})
	a, err := ParsePixels(data)
	if err != nil {
		t.Fatal(err)
	}
	if a.Loops != 0 {
		t.Errorf("Loops = %d, want 0 (loop forever)", a.Loops)
	}
	for i, d := range a.Delays {
		if d != MinDelay {
			t.Errorf("Delays[%d] = %v, want %v", i, d, MinDelay)
		}
	}
	red := [3]uint8{255, 0, 0}
	wantPixels(t, a.Frames[1], map[image.Point][3]uint8{{0, 0}: {0, 255, 0}}, red)
	// The green pixel is gone again: the canvas went back to frame 0.
	wantPixels(t, a.Frames[2], map[image.Point][3]uint8{{1, 1}: {0, 0, 255}}, red)
}

func TestParsePixelsGIFStill(t *testing.T) {
	m := gifFrame(image.Rect(0, 0, 8, 8), gifClear)
	m.SetColorIndex(4, 5, gifWhite)
	data := encodeGIF(t, &gif.GIF{Image: []*image.Paletted{m}, Delay: []int{300}})
	a, err := ParsePixels(data)
	if err != nil {
		t.Fatal(err)
	}
	wantPixels(t, wantStill(t, a), map[image.Point][3]uint8{{4, 5}: {255, 255, 255}}, [3]uint8{})
}

func TestParsePixelsManyFramesAccepted(t *testing.T) {
	a, err := ParsePixels(manyFrameGIF(MaxFrames))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Frames) != MaxFrames {
		t.Fatalf("%d frames, want %d", len(a.Frames), MaxFrames)
	}
	// Frame 0 paints (0,0) white over a transparent, so black, canvas.
	wantPixels(t, a.Frames[0], map[image.Point][3]uint8{{0, 0}: {255, 255, 255}}, [3]uint8{})
}

// TestParsePixelsImageSignatureInRawFrame pins the rule that a raw frame
// whose first bytes happen to spell an image signature is still a frame.
func TestParsePixelsImageSignatureInRawFrame(t *testing.T) {
	for _, magic := range []string{"\x89PNG\r\n\x1a\n", "GIF89a"} {
		for _, size := range []int{192, 128} {
			data := make([]byte, size)
			copy(data, magic)
			a, err := ParsePixels(data)
			if err != nil {
				t.Errorf("%q in %d bytes: %v", magic[:4], size, err)
				continue
			}
			if size == 192 && !bytes.Equal(wantStill(t, a).Pix, data) {
				t.Errorf("%q in 192 bytes: pixels differ from the payload", magic[:4])
			}
		}
	}
}

func TestParsePixelsErrors(t *testing.T) {
	pngOf := func(w, h int) []byte { return encodePNG(t, image.NewGray(image.Rect(0, 0, w, h))) }
	json64 := func(last string) string {
		return "[" + strings.Repeat(`"red",`, 63) + last + "]"
	}
	frames := func(b []byte) (int, error) {
		a, err := ParsePixels(b)
		return len(a.Frames), err
	}
	checkRefuses(t, "ParsePixels", frames, []badCase[[]byte]{
		{"empty", nil, []string{"led.pixels: 0 bytes is no known frame", pixelForms}},
		{"150 bytes", make([]byte, 150), []string{"led.pixels: 150 bytes is no known frame; send 192 bytes RGB888, 128 bytes RGB565 LE, a JSON array of 64 colours, a PNG or a GIF"}},
		{"193 bytes", make([]byte, 193), []string{"193 bytes is no known frame"}},
		{"text", []byte("hello"), []string{"5 bytes is no known frame"}},
		{"too large", make([]byte, MaxPixelsPayload+1), []string{"payload of 1048577 bytes is too large; at most 1048576"}},
		{"JSON 63 colours", []byte("[" + strings.Repeat(`"red",`, 62) + `"red"]`), []string{"JSON array of 63 colours; send exactly 64"}},
		{"JSON 65 colours", []byte(json64(`"red","red"`)), []string{"JSON array of more than 64 colours; send exactly 64"}},
		{"JSON unknown colour", []byte(json64(`"blurple"`)), []string{"colour 63 (x 7, y 7): unknown colour", "blurple"}},
		{"JSON number colour", []byte(json64(`7`)), []string{"colour 63", "unknown colour"}},
		{"JSON malformed", []byte(`["red",`), []string{"malformed JSON", pixelForms}},
		{"JSON object", []byte(`[{"r":1}]`), []string{"colour 0 (x 0, y 0) is a JSON object"}},
		{"JSON empty array", []byte(`[ ]`), []string{"JSON array of 0 colours; send exactly 64"}},
		{"JSON colour too long", []byte(`["red", "` + strings.Repeat("r", 200) + `"]`), []string{"colour 1 (x 1, y 0) is longer than 128 bytes"}},
		{"JSON array colour too long", []byte(`[[` + strings.Repeat(" ", 200) + `1,2,3]]`), []string{"colour 0 (x 0, y 0) is longer than 128 bytes"}},
		{"JSON number too long", []byte(`[` + strings.Repeat("1", 200) + `]`), []string{"colour 0 (x 0, y 0) is longer than 128 bytes"}},
		{"JSON nested", []byte(`[[[1,2,3]]]`), []string{"JSON nested too deep at byte 2"}},
		{"JSON bracket in a string does not end a colour", []byte(json64(`["]"]`)), []string{"colour 63", "unknown colour"}},
		{"JSON unterminated string", []byte(`["red`), []string{"malformed JSON: the payload ends where the end of a string should be"}},
		{"JSON unterminated colour", []byte(`[[1,2`), []string{"malformed JSON: the payload ends where ']' closing a colour should be"}},
		{"JSON missing comma", []byte(`["red" "red"]`), []string{`malformed JSON at byte 7: "\"" where ',' or ']' after a colour should be`}},
		{"JSON trailing comma", []byte("[" + strings.Repeat(`"red",`, 63) + "]"), []string{`malformed JSON at byte 379: "]" where a colour should be`}},
		{"JSON comma after the 64th", []byte(json64(`"red",`)), []string{"more than 64 colours"}},
		{"JSON after the array", []byte(json64(`"red"`) + ` x`), []string{"malformed JSON at byte 386: \"x\" where nothing after the array should be"}},
		{"PNG 16x16", pngOf(16, 16), []string{"PNG is 16x16; only 8x8 images are accepted"}},
		{"PNG 8x9", pngOf(8, 9), []string{"PNG is 8x9"}},
		{"GIF 9x8", func() []byte {
			var buf bytes.Buffer
			if err := gif.Encode(&buf, image.NewPaletted(image.Rect(0, 0, 9, 8), gifPalette), nil); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}(), []string{"GIF is 9x8; only 8x8"}},
		{"GIF header only", []byte("GIF89a\x08\x00"), []string{"bad GIF", pixelForms}},
	})
}

func TestCountGIFFrames(t *testing.T) {
	for _, n := range []int{0, 1, 3, MaxFrames + 1} {
		if got := countGIFFrames(manyFrameGIF(n)); got != n {
			t.Errorf("countGIFFrames(%d frames) = %d", n, got)
		}
	}
	// Counting stops past the limit: the number only has to be "too many".
	if got := countGIFFrames(manyFrameGIF(10 * MaxFrames)); got != MaxFrames+1 {
		t.Errorf("countGIFFrames(%d frames) = %d, want %d", 10*MaxFrames, got, MaxFrames+1)
	}
	// An encoder's GIF, with extensions (loop count, delays, transparency).
	data := encodeGIF(t, &gif.GIF{
		Image: []*image.Paletted{gifFrame(image.Rect(0, 0, 8, 8), gifClear), gifFrame(image.Rect(1, 1, 3, 3), gifRed)},
		Delay: []int{5, 5},
	})
	if got := countGIFFrames(data); got != 2 {
		t.Errorf("countGIFFrames(encoded, 2 frames) = %d", got)
	}
	for cut := range data {
		countGIFFrames(data[:cut]) // truncated anywhere: no panic
	}
}

func BenchmarkParsePixelsRGB888(b *testing.B) {
	data := make([]byte, display.FrameBytes)
	for i := range data {
		data[i] = byte(i * 7)
	}
	benchParse(b, data, ParsePixels)
}

func BenchmarkParsePixelsGIF(b *testing.B) {
	data := encodeGIF(b, &gif.GIF{
		Image: []*image.Paletted{
			gifFrame(image.Rect(0, 0, 8, 8), gifRed),
			gifFrame(image.Rect(2, 2, 6, 6), gifGreen),
			gifFrame(image.Rect(0, 0, 8, 8), gifBlue),
		},
		Delay: []int{10, 10, 10},
	})
	benchParse(b, data, ParsePixels)
}
