package payload

import (
	"errors"
	"image/color"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/display"
)

func TestParseColor(t *testing.T) {
	parse := func(b []byte) (color.RGBA, error) { return ParseColor(string(b)) }
	checkParses(t, "ParseColor", parse, []parseCase[color.RGBA]{
		{in: "red", want: color.RGBA{255, 0, 0, 255}},
		{in: "RED", want: color.RGBA{255, 0, 0, 255}},
		{in: " Green ", want: color.RGBA{0, 255, 0, 255}},
		{in: "blue", want: color.RGBA{0, 0, 255, 255}},
		{in: "white", want: color.RGBA{255, 255, 255, 255}},
		{in: "black", want: color.RGBA{0, 0, 0, 255}},
		{in: "off", want: color.RGBA{0, 0, 0, 255}},
		{in: "yellow", want: color.RGBA{255, 255, 0, 255}},
		{in: "cyan", want: color.RGBA{0, 255, 255, 255}},
		{in: "magenta", want: color.RGBA{255, 0, 255, 255}},
		{in: "orange", want: color.RGBA{255, 165, 0, 255}},
		{in: "purple", want: color.RGBA{128, 0, 128, 255}},
		{in: "pink", want: color.RGBA{255, 192, 203, 255}},
		{in: "#ff8800", want: color.RGBA{0xff, 0x88, 0x00, 255}},
		{in: "#FF8800", want: color.RGBA{0xff, 0x88, 0x00, 255}},
		{in: "#0a0B0c", want: color.RGBA{0x0a, 0x0b, 0x0c, 255}},
		{in: "#f80", want: color.RGBA{0xff, 0x88, 0x00, 255}},
		{in: "#ABC", want: color.RGBA{0xaa, 0xbb, 0xcc, 255}},
	})
}

func TestParseColorErrors(t *testing.T) {
	for _, in := range []string{"", "bleu", "#", "#12", "#1234", "#12345g", "#1234567", "red!", "ff8800", "[1,2,3]"} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseColor(in)
			if !errors.Is(err, ErrUnknownColor) {
				t.Fatalf("ParseColor(%q) err = %v, want ErrUnknownColor", in, err)
			}
		})
	}
	_, err := ParseColor("bleu")
	const want = `unknown colour "bleu"; use a name like red, #rrggbb, #rgb or [r,g,b] with 0..255`
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
}

// TestColorErrorsBounded: a colour error repeats at most 32 bytes of
// escaped input. 122 control characters, escaped to 4 bytes each, once made
// a 602-byte reply.
func TestColorErrorsBounded(t *testing.T) {
	ctl := strings.Repeat("\x01", 122)
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"name", func() error { _, err := ParseColor(ctl); return err }, `"` + strings.Repeat(`\x01`, 8) + `"…`},
		{"JSON string", func() error { _, err := ParseColorJSON([]byte(`"` + strings.Repeat("x", 100) + `\u"`)); return err }, `"\"` + strings.Repeat("x", 30) + `"…`},
		{"JSON array", func() error { _, err := ParseColorJSON([]byte("[" + strings.Repeat("1,", 60) + "]")); return err }, `"[` + strings.Repeat("1,", 15) + `1"…`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.err().Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not hold %s", msg, tc.want)
			}
			if len(msg) > 150 {
				t.Errorf("message of %d bytes", len(msg))
			}
		})
	}
}

func TestParseColorJSON(t *testing.T) {
	checkParses(t, "ParseColorJSON", ParseColorJSON, []parseCase[color.RGBA]{
		{in: `"red"`, want: color.RGBA{255, 0, 0, 255}},
		{in: `"#ff8800"`, want: color.RGBA{0xff, 0x88, 0, 255}},
		{in: `"\u0023abc"`, want: color.RGBA{0xaa, 0xbb, 0xcc, 255}},
		{in: `[1,2,3]`, want: color.RGBA{1, 2, 3, 255}},
		{in: ` [ 255 , 0,128 ] `, want: color.RGBA{255, 0, 128, 255}},
		{in: "[0,\n0,\t0]", want: color.RGBA{0, 0, 0, 255}},
	})
}

func TestParseColorJSONErrors(t *testing.T) {
	for _, in := range []string{
		``, `null`, `12`, `"bleu"`, `"red`, `[1,2]`, `[1,2,3,4]`, `[256,0,0]`, `[-1,0,0]`,
		`[1.5,0,0]`, `[01,2,3]`, `[1,2,3]x`, `{"r":1}`, `["1",2,3]`, `[1,2,3`,
	} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseColorJSON([]byte(in))
			if !errors.Is(err, ErrUnknownColor) {
				t.Fatalf("ParseColorJSON(%s) err = %v, want ErrUnknownColor", in, err)
			}
			if !strings.Contains(err.Error(), "[r,g,b]") {
				t.Errorf("message %q does not say what is accepted", err)
			}
		})
	}
}

func TestParseColorAllocs(t *testing.T) {
	raw := []byte("[10,20,30]")
	n := testing.AllocsPerRun(100, func() {
		if _, err := ParseColor("Orange"); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseColor("#ff8800"); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseColorJSON(raw); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("allocs = %v, want 0", n)
	}
}

func TestFormatColorRoundTrip(t *testing.T) {
	c := color.RGBA{0x12, 0xab, 0xf0, 0xff}
	back, err := ParseColor(display.FormatColor(c))
	if err != nil || back != c {
		t.Errorf("ParseColor(FormatColor(%v)) = %v, %v", c, back, err)
	}
}

func BenchmarkParseColorJSON(b *testing.B) {
	benchParse(b, []byte("[255, 136, 0]"), ParseColorJSON)
}
