package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/wire"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; the f.Add seeds below
// cover the forms the committed files do not.

// maxErrorBytes bounds every error message: the longest fixed text plus
// the few bounded quotes of the input (echo.Quote) fit well within it.
const maxErrorBytes = 400

// checkStrictAccepted fails if an accepted JSON object payload repeats a
// member name or holds a number that reads as 0 without being 0. It walks
// the payload with encoding/json's tokenizer, independently of strictJSON.
func checkStrictAccepted(t *testing.T, data []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		seen   map[string]bool
		key    bool // the next string token is a member name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return // io.EOF, or trailing data the parser refused anyway
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		isKey := top != nil && top.object && top.key
		if top != nil && top.object {
			top.key = !top.key
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{object: true, seen: map[string]bool{}, key: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].key = true
				}
			}
		case string:
			if isKey {
				if top.seen[v] {
					t.Fatalf("accepted %q with member %q twice", data, v)
				}
				top.seen[v] = true
			}
		case json.Number:
			f, _ := v.Float64()
			if f == 0 && strings.ContainsAny(strings.SplitN(strings.ToLower(string(v)), "e", 2)[0], "123456789") {
				t.Fatalf("accepted %q with %s, which reads as 0", data, v)
			}
		}
	}
}

// checkError asserts what every refusal must be: a *wire.Error with code
// wire.Invalid and a short, non-empty message naming the endpoint.
func checkError(t *testing.T, err error, endpoint string) {
	t.Helper()
	var pe *wire.Error
	if !errors.As(err, &pe) || pe.Code != wire.Invalid {
		t.Fatalf("error %v is %T, want an invalid *wire.Error", err, err)
	}
	if len(pe.Message) <= len(endpoint) || pe.Message[:len(endpoint)] != endpoint {
		t.Fatalf("error %q does not start with %q", pe.Message, endpoint)
	}
	if len(pe.Message) > maxErrorBytes {
		t.Fatalf("error message of %d bytes echoes too much input", len(pe.Message))
	}
}

func FuzzParseText(f *testing.F) {
	fuzzParser(f, "led.text: ", ParseText, [][]byte{
		[]byte("hello world"),
		[]byte(`{"text":"hi","color":[1,2,3],"speed":5,"repeat":2,"mode":"replace"}`),
		[]byte("{\"text\":\"a\\u0000\"}"),
	}, func(t *testing.T, data []byte, got Text) {
		if firstNonSpace(data) == '{' {
			checkStrictAccepted(t, data)
		}
		if got.Text == "" || !utf8.ValidString(got.Text) {
			t.Fatalf("Text %q: want valid, non-empty UTF-8", got.Text)
		}
		n := 0
		for _, r := range got.Text {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) {
				t.Fatalf("Text %q holds control character %U", got.Text, r)
			}
			n++
		}
		if n > MaxTextRunes {
			t.Fatalf("Text of %d runes, limit %d", n, MaxTextRunes)
		}
		if got.Speed < MinSpeed || got.Speed > MaxSpeed || got.Repeat < 1 || got.Repeat > MaxRepeat {
			t.Fatalf("speed %v, repeat %d out of range", got.Speed, got.Repeat)
		}
		// The play time is the player's to check, once: it refuses exactly
		// the texts that scroll longer than the cap.
		led, err := LEDText(data)
		if err != nil {
			t.Fatalf("ParseText accepted what LEDText refused: %v", err)
		}
		d := display.NewScroll(got.Text, display.ScrollOpts{Speed: got.Speed, Repeat: got.Repeat}).Duration()
		if err := submit(t, led); (d > MaxDuration) != errors.Is(err, display.ErrTooLong) {
			t.Fatalf("text scrolls for %v (limit %v); the player said %v", d, MaxDuration, err)
		}
		if got.Fg.A != 0xff || got.Bg.A != 0xff {
			t.Fatalf("colours %v on %v are not opaque", got.Fg, got.Bg)
		}
	})
}

func FuzzParsePixels(f *testing.F) {
	fuzzParser(f, "led.pixels: ", ParsePixels, [][]byte{
		make([]byte, display.FrameBytes),
		make([]byte, display.RGB565Bytes),
		manyFrameGIF(3),
		encodePNG(f, image.NewRGBA(image.Rect(0, 0, 8, 8))),
	}, func(t *testing.T, data []byte, a Animation) {
		if len(a.Frames) < 1 || len(a.Frames) > MaxFrames || len(a.Delays) != len(a.Frames) || a.Loops < 0 {
			t.Fatalf("%d frames, %d delays, loops %d", len(a.Frames), len(a.Delays), a.Loops)
		}
		var total time.Duration
		for i, fr := range a.Frames {
			if fr.Rect != image.Rect(0, 0, 8, 8) || fr.Stride != 24 || len(fr.Pix) != display.FrameBytes {
				t.Fatalf("frame %d: rect %v, stride %d, %d bytes", i, fr.Rect, fr.Stride, len(fr.Pix))
			}
			total += a.Delays[i]
			if len(a.Frames) > 1 && a.Delays[i] < MinDelay {
				t.Fatalf("delay %d is %v, minimum %v", i, a.Delays[i], MinDelay)
			}
		}
		if len(a.Frames) == 1 && (a.Delays[0] != 0 || a.Loops != 1) {
			t.Fatalf("still picture with delay %v, loops %d", a.Delays[0], a.Loops)
		}
		// The player refuses exactly the animations that hold the matrix
		// longer than the cap: every pass, or one for an endless one.
		led, err := LEDPixels(data)
		if err != nil {
			t.Fatalf("ParsePixels accepted what LEDPixels refused: %v", err)
		}
		long := total > MaxDuration || (a.Loops != display.Forever && total*time.Duration(a.Loops) > MaxDuration)
		if err := submit(t, led); long != errors.Is(err, display.ErrTooLong) {
			t.Fatalf("animation of %d passes of %v (limit %v); the player said %v", a.Loops, total, MaxDuration, err)
		}
		// Frames are copies: the daemon keeps them after NATS reuses the
		// message buffer.
		before := make([][]byte, len(a.Frames))
		for i, fr := range a.Frames {
			before[i] = bytes.Clone(fr.Pix)
		}
		for i := range data {
			data[i] ^= 0xff
		}
		for i, fr := range a.Frames {
			if !bytes.Equal(fr.Pix, before[i]) {
				t.Fatalf("frame %d changed with the payload buffer", i)
			}
		}
	})
}

func FuzzParseClear(f *testing.F) {
	fuzzParser(f, "led.clear: ", ParseClear, [][]byte{
		[]byte(""),
		[]byte("red"),
		[]byte("[1,2,3]"),
	}, func(t *testing.T, data []byte, c color.RGBA) {
		if c.A != 0xff {
			t.Fatalf("colour %v is not opaque", c)
		}
		if len(bytes.TrimSpace(data)) == 0 && (c.R|c.G|c.B) != 0 {
			t.Fatalf("empty payload gave %v, want black", c)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	fuzzParser(f, "led.config: ", ParseConfig, [][]byte{
		[]byte(`{"rotation":90,"low_light":true,"flip":"hv","brightness":0.5}`),
		[]byte(`{}`),
		[]byte(`{"flip":null}`),
	}, func(t *testing.T, data []byte, c display.Config) {
		checkStrictAccepted(t, data)
		if c.Rotation == nil && c.LowLight == nil && c.FlipH == nil && c.Brightness == nil {
			t.Fatal("accepted a config that changes nothing")
		}
		if r := c.Rotation; r != nil && *r != 0 && *r != 90 && *r != 180 && *r != 270 {
			t.Fatalf("rotation %d", *r)
		}
		if (c.FlipH == nil) != (c.FlipV == nil) {
			t.Fatal("flip half set")
		}
		if b := c.Brightness; b != nil && (*b < 0 || *b > 1) {
			t.Fatalf("brightness %v", *b)
		}
	})
}

// FuzzParseColor fuzzes the display package's JSON colour parser, which
// every request with a colour goes through, and checks that led.clear
// agrees with it on every colour it accepts.
func FuzzParseColor(f *testing.F) {
	f.Add([]byte(`"red"`))
	f.Add([]byte(`[0, 128, 255]`))
	f.Add([]byte(`"#abc"`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseColorJSON(raw)
		if err != nil {
			if !errors.Is(err, ErrUnknownColor) {
				t.Fatalf("error %v does not wrap ErrUnknownColor", err)
			}
			return
		}
		if c.A != 0xff {
			t.Fatalf("colour %v is not opaque", c)
		}
		back, err := ParseColor(display.FormatColor(c))
		if err != nil || back != c {
			t.Fatalf("%v formats as %s, which parses as %v, %v", c, display.FormatColor(c), back, err)
		}
		trimmed := bytes.TrimSpace(raw)
		if len(trimmed) <= maxColourBytes && utf8.Valid(trimmed) {
			got, err := ParseClear(raw)
			if err != nil || got != c {
				t.Fatalf("ParseClear(%q) = %v, %v; ParseColorJSON gave %v", raw, got, err, c)
			}
		}
	})
}

// fuzzParser fuzzes parse from seeds: every refusal is an invalid
// *wire.Error of endpoint (see checkError), and every accepted payload
// passes check.
func fuzzParser[T any](f *testing.F, endpoint string, parse func([]byte) (T, error), seeds [][]byte, check func(t *testing.T, data []byte, got T)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parse(data)
		if err != nil {
			checkError(t, err, endpoint)
			return
		}
		check(t, data, got)
	})
}
