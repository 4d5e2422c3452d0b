package payload

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/wire"
)

// How long a request plays is checked in one place, display.Player.Submit,
// which knows the queue; these tests parse the issues' requests and hand
// them to a player.
//
// The figures below come from the font's own picture of W (font/glyphs.txt:
// 5 columns) with one blank column between letters, and the scroll the
// display package documents: a text enters from just off the right edge
// and is done when its last column has left the left edge, so one pass is
// width+8 columns.

// TestTextPlayTimeCap is the reproduction: 1000 "W" at speed 1,
// repeat 100, a 1034-byte payload that scrolled for 7 days.
func TestTextPlayTimeCap(t *testing.T) {
	const width = 1000*5 + 999 // 5999 columns
	payload := `{"text":"` + strings.Repeat("W", 1000) + `","speed":1,"repeat":100}`
	if len(payload) != 1034 {
		t.Fatalf("payload of %d bytes, the issue's was 1034", len(payload))
	}
	led, err := LEDText([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	// 100 passes of 6007 columns at 1 column a second: 600,700 s, which is
	// 6 days 22 h 51 min 40 s.
	wantTotal := time.Duration(100*(width+8)) * time.Second
	if wantTotal != 166*time.Hour+51*time.Minute+40*time.Second {
		t.Fatalf("arithmetic: %v", wantTotal)
	}
	if got := playTime(t, led); got != wantTotal {
		t.Errorf("the text plays for %v, want %v", got, wantTotal)
	}
	err = submit(t, led)
	if !errors.Is(err, display.ErrTooLong) || wire.ErrorCode(err) != wire.Invalid {
		t.Fatalf("a text that scrolls for a week: %v, want ErrTooLong, code invalid", err)
	}

	tests := []struct {
		name    string
		in      string
		play    time.Duration
		refused bool
	}{
		// 1000 W at the default 10 columns a second: 6007 columns, 600.7 s.
		{"1000 W plain, 600.7 s", strings.Repeat("W", 1000), 600700 * time.Millisecond, true},
		// 990 W: 990*6-1+8 = 5947 columns, 594.7 s.
		{"990 W plain, 594.7 s", strings.Repeat("W", 990), 594700 * time.Millisecond, false},
		// 100 passes at 100 columns a second take width+8 seconds: under
		// a minute for any five letters ("hello" is h, e and o 4 columns,
		// l 2 in font/glyphs.txt, and 4 gaps: 20, a pass 28 columns).
		{"short word, 100 passes at full speed", `{"text":"hello","speed":100,"repeat":100}`, 28 * time.Second, false},
		// "WW" is 11 columns, a pass 19 columns: 19 s at speed 1.
		{"WW, 32 passes at speed 1: 608 s", `{"text":"WW","speed":1,"repeat":32}`, 608 * time.Second, true},
		{"WW, 31 passes at speed 1: 589 s", `{"text":"WW","speed":1,"repeat":31}`, 589 * time.Second, false},
		// A still letter is a second a pass: 100 s at most.
		{"still letter, 100 passes", `{"text":"W","repeat":100}`, 100 * time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			led, err := LEDText([]byte(tc.in))
			if err != nil {
				t.Fatalf("refused by the parser: %v", err)
			}
			if got := playTime(t, led); got != tc.play {
				t.Errorf("plays for %v, want %v", got, tc.play)
			}
			wantPlayed(t, submit(t, led), tc.refused)
		})
	}
}

// loopingGIF is the 102-byte GIF: two 8x8 frames of one second each
// (black, then red with one white pixel), loop count loopCount.
func loopingGIF(t testing.TB, loopCount int) []byte {
	t.Helper()
	pal := color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}}
	a := image.NewPaletted(image.Rect(0, 0, 8, 8), pal)
	b := image.NewPaletted(image.Rect(0, 0, 8, 8), pal)
	for i := range b.Pix {
		b.Pix[i] = 2
	}
	b.Pix[1] = 1
	var buf bytes.Buffer
	err := gif.EncodeAll(&buf, &gif.GIF{
		Image:     []*image.Paletted{a, b},
		Delay:     []int{100, 100},
		LoopCount: loopCount,
		Config:    image.Config{ColorModel: pal, Width: 8, Height: 8},
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGIFPlayTimeCap(t *testing.T) {
	// image/gif documents LoopCount n as n+1 passes: 65535 is 65536 passes
	// of 2 s, 131,072 s, the 36 hours.
	data := loopingGIF(t, 65535)
	if len(data) != 102 {
		t.Fatalf("GIF of %d bytes, the issue's was 102", len(data))
	}
	led, err := LEDPixels(data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := playTime(t, led), 36*time.Hour+24*time.Minute+32*time.Second; got != want {
		t.Errorf("the GIF plays for %v, want %v (65536 passes of 2s)", got, want)
	}
	if err := submit(t, led); !errors.Is(err, display.ErrTooLong) || wire.ErrorCode(err) != wire.Invalid {
		t.Fatalf("a GIF that plays for 36 hours: %v, want ErrTooLong, code invalid", err)
	}

	// The 7 KB GIF: 256 frames of 2.34 s make a pass of 599.04 s,
	// just under the old per-pass limit; 65536 passes are 454 days.
	pal := color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}}
	g := &gif.GIF{LoopCount: 65535, Config: image.Config{ColorModel: pal, Width: 8, Height: 8}}
	for i := range MaxFrames {
		m := image.NewPaletted(image.Rect(0, i%8, 8, i%8+1), pal)
		m.Pix[0] = uint8(i % 4)
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 234)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	if led, err = LEDPixels(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	// 65536 * 599.04 s = 39,258,685.44 s.
	if got, want := playTime(t, led), 10905*time.Hour+11*time.Minute+25440*time.Millisecond; got != want {
		t.Errorf("the GIF plays for %v, want %v", got, want)
	}
	if days := (10905*time.Hour + 11*time.Minute).Hours() / 24; days < 454 || days >= 455 {
		t.Fatalf("arithmetic: %v days", days)
	}
	if err := submit(t, led); !errors.Is(err, display.ErrTooLong) {
		t.Fatalf("a %d-byte GIF that plays for 454 days: %v, want ErrTooLong", buf.Len(), err)
	}

	// Two frames of 655.35 s (the largest GIF delay): one pass is
	// 21m50.7s, too long even for a GIF that loops forever.
	if led, err = LEDPixels(encodeGIF(t, &gif.GIF{
		Image: []*image.Paletted{gifFrame(image.Rect(0, 0, 8, 8), gifRed), gifFrame(image.Rect(0, 0, 8, 8), gifBlue)},
		Delay: []int{65535, 65535},
	})); err != nil {
		t.Fatal(err)
	}
	if got, want := playTime(t, led), 21*time.Minute+50700*time.Millisecond; got != want {
		t.Errorf("one pass plays for %v, want %v", got, want)
	}
	if err := submit(t, led); !errors.Is(err, display.ErrTooLong) {
		t.Fatalf("a pass of 21m50.7s: %v, want ErrTooLong", err)
	}

	tests := []struct {
		name      string
		loopCount int
		wantLoops int
		refused   bool
	}{
		// 299 repeats: 300 passes of 2 s, exactly 10 minutes.
		{"300 passes, exactly the cap", 299, 300, false},
		{"301 passes, over the cap", 300, 301, true},
		{"no NETSCAPE2.0 extension: once", -1, 1, false},
		{"loop count 0: forever", 0, display.Forever, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := loopingGIF(t, tc.loopCount)
			a, err := ParsePixels(data)
			if err != nil {
				t.Fatal(err)
			}
			if a.Loops != tc.wantLoops {
				t.Errorf("Loops = %d, want %d", a.Loops, tc.wantLoops)
			}
			led, err := LEDPixels(data)
			if err != nil {
				t.Fatal(err)
			}
			wantPlayed(t, submit(t, led), tc.refused)
		})
	}
}

// wantPlayed checks the player's verdict err on an item: refused as too
// long to play when refused is set, taken otherwise.
func wantPlayed(t *testing.T, err error, refused bool) {
	t.Helper()
	switch {
	case refused && !errors.Is(err, display.ErrTooLong):
		t.Fatalf("player said %v, want refused as too long to play", err)
	case !refused && err != nil:
		t.Fatalf("refused: %v", err)
	}
}
