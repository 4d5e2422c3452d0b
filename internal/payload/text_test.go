package payload

import (
	"image/color"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/display"
)

func TestParseText(t *testing.T) {
	white := color.RGBA{255, 255, 255, 255}
	black := color.RGBA{0, 0, 0, 255}
	red := color.RGBA{255, 0, 0, 255}
	def := func(s string) Text {
		return Text{Text: s, ScrollOpts: display.ScrollOpts{Fg: white, Bg: black, Speed: 10, Repeat: 1}}
	}
	checkParses(t, "ParseText", ParseText, []parseCase[Text]{
		{"plain", "hello world", def("hello world")},
		{"latin-1 and symbols", "Grüße, 20°C, 5€", def("Grüße, 20°C, 5€")},
		{"outside the font is kept", "日本", def("日本")},
		{"trailing newline dropped", "hello\n", def("hello")},
		{"trailing CRLF dropped", "hello\r\n\r\n", def("hello")},
		{"inner newline and tab are spaces", "a\nb\tc", def("a b c")},
		{"inner CRLF is one space", "a\r\nb", def("a b")},
		{"byte order mark dropped", "\xef\xbb\xbfhi", def("hi")},
		{"leading spaces kept", "  hi", def("  hi")},
		{"brace not first is text", "a {b}", def("a {b}")},
		{"JSON text only", `{"text":"hi"}`, def("hi")},
		{"JSON leading space", " \n\t{\"text\":\"hi\"}", def("hi")},
		{"JSON all options", `{"text":"hot!","color":"red","background":[0,0,40],"speed":20.5,"repeat":3,"mode":"replace"}`,
			Text{Text: "hot!", ScrollOpts: display.ScrollOpts{Fg: red, Bg: color.RGBA{0, 0, 40, 255}, Speed: 20.5, Repeat: 3}, Mode: display.Replace}},
		{"JSON hex colour", `{"text":"x","color":"#ff8800"}`,
			Text{Text: "x", ScrollOpts: display.ScrollOpts{Fg: color.RGBA{0xff, 0x88, 0, 0xff}, Bg: black, Speed: 10, Repeat: 1}}},
		{"JSON mode queue", `{"text":"x","mode":"queue"}`, def("x")},
		{"JSON nulls are defaults", `{"text":"x","color":null,"speed":null,"mode":null}`, def("x")},
		{"JSON limits inclusive", `{"text":"x","speed":1,"repeat":100}`,
			Text{Text: "x", ScrollOpts: display.ScrollOpts{Fg: white, Bg: black, Speed: 1, Repeat: 100}}},
		{"JSON escapes", `{"text":"\u00e9t\u00e9\n{"}`, def("été {")},
		{"JSON text starting with brace", `{"text":"{x}"}`, def("{x}")},
		{"max runes", strings.Repeat("é", MaxTextRunes), def(strings.Repeat("é", MaxTextRunes))},
	})
}

func TestParseTextErrors(t *testing.T) {
	checkRefuses(t, "ParseText", ParseText, []badCase[string]{
		{"too large", strings.Repeat("a", MaxPayload+1), []string{"led.text: payload of 65537 bytes is too large", "at most 65536"}},
		{"too many runes", strings.Repeat("é", MaxTextRunes+1), []string{"1001 characters is too long", "at most 1000"}},
		{"empty", "", []string{"no text to show", `{"text":"hello"}`}},
		{"only spaces", " \n\t ", []string{"no text to show"}},
		{"invalid UTF-8", "ab\xffcd", []string{"invalid UTF-8 at byte 2", "UTF-8"}},
		{"truncated UTF-8", "caf\xc3", []string{"invalid UTF-8 at byte 3"}},
		{"NUL", "a\x00b", []string{"control character U+0000 at byte 1", "printable text"}},
		{"escape", "\x1b[31mred", []string{"control character U+001B at byte 0"}},
		{"DEL", "a\x7f", []string{"U+007F"}},
		{"C1 control", "a\u0085b", []string{"U+0085 at byte 1"}},
		{"malformed JSON", "{hello}", []string{"malformed JSON at byte 2", `send {"text":"{..."}`}},
		{"truncated JSON", `{"text":"hi"`, []string{"malformed JSON", "unexpected end"}},
		{"trailing data", `{"text":"hi"} x`, []string{"malformed JSON"}},
		{"JSON null text object", `{"text":null}`, []string{`no "text"`}},
		{"unknown field", `{"text":"hi","colour":"red"}`, []string{`unknown field "colour"`, "accepted fields are text, color, background, speed, repeat, mode"}},
		{"field names are exact", `{"Text":"hi"}`, []string{`unknown field "Text"`}},
		{"first unknown field sorted", `{"text":"hi","zz":1,"aa":2}`, []string{`unknown field "aa"`}},
		{"no text", `{"color":"red"}`, []string{`no "text"`}},
		{"text not a string", `{"text":42}`, []string{`"text" must be a JSON string, got "42"`}},
		{"JSON text NUL", `{"text":"a\u0000"}`, []string{"U+0000"}},
		{"JSON text empty", `{"text":""}`, []string{"no text to show"}},
		{"unknown colour", `{"text":"hi","color":"blurple"}`, []string{"led.text: color: unknown colour", "blurple", "#rrggbb"}},
		{"bad background", `{"text":"hi","background":[1,2]}`, []string{"led.text: background:", "[r,g,b]"}},
		{"colour out of range", `{"text":"hi","color":[256,0,0]}`, []string{"led.text: color:"}},
		{"colour object", `{"text":"hi","color":{"r":1}}`, []string{"led.text: color: unknown colour", "[r,g,b]"}},
		{"speed zero", `{"text":"hi","speed":0}`, []string{`speed "0" is not accepted`, "from 1 to 100"}},
		{"speed too fast", `{"text":"hi","speed":100.5}`, []string{`speed "100.5"`}},
		{"speed string", `{"text":"hi","speed":"fast"}`, []string{`speed "\"fast\""`}},
		{"speed huge", `{"text":"hi","speed":1e400}`, []string{"speed"}},
		{"repeat zero", `{"text":"hi","repeat":0}`, []string{`repeat "0" is not accepted`, "from 1 to 100"}},
		{"repeat too many", `{"text":"hi","repeat":101}`, []string{`repeat "101"`}},
		{"repeat fraction", `{"text":"hi","repeat":1.5}`, []string{`repeat "1.5"`}},
		{"mode unknown", `{"text":"hi","mode":"now"}`, []string{`mode "\"now\"" is unknown`, `"queue"`, `"replace"`}},
		{"mode not string", `{"text":"hi","mode":1}`, []string{"mode"}},
		{"nested", `{"text":"hi","color":[[[1]]]}`, []string{"nested too deep"}},
	})
}

func TestParseTextDoesNotAlias(t *testing.T) {
	// The daemon queues the text while NATS reuses its message buffer.
	buf := []byte("hello")
	got, err := ParseText(buf)
	if err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXX")
	if got.Text != "hello" {
		t.Errorf("Text changed with the payload buffer: %q", got.Text)
	}
}

func TestQuoteCutsLongInput(t *testing.T) {
	got := quote([]byte(strings.Repeat("é", 40)))
	if want := `"` + strings.Repeat("é", 16) + `"…`; got != want {
		t.Errorf("quote = %s, want %s", got, want)
	}
}

func BenchmarkParseTextPlain(b *testing.B) {
	benchParse(b, []byte("Hello from the Sense HAT: 21.5°C, 45% humidity"), ParseText)
}

func BenchmarkParseTextJSON(b *testing.B) {
	benchParse(b, []byte(`{"text":"Hello","color":[255,128,0],"speed":20,"mode":"replace"}`), ParseText)
}
