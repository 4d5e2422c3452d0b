package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// hostile is what a hostile device puts in every string it sends: an OSC
// that sets the window title (ESC ] 0 ; ... BEL, xterm's ctlseqs), CSI
// sequences that clear the screen and colour the text (ECMA-48), the same
// CSI as the 8-bit C1 control U+009B (which terminals honouring C1 read as
// ESC [), a right-to-left override (U+202E, Unicode UAX #9), a raw 0x9B
// byte and other invalid UTF-8, and a tab and a newline that would forge
// table rows.
const hostile = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\u009b1mbold\u202eevil\xff\x9b\xfe\tTAB\nFAKE ROW"

// assertTerminalSafe fails if out holds anything a terminal would act on:
// bytes below 0x20 other than newline, DEL, C1 controls, bidi controls,
// or invalid UTF-8.
func assertTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: invalid UTF-8 in the output: %q", what, out)
	}
	for i, r := range out {
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
			t.Errorf("%s: %U at byte %d of the output: %q", what, r, i, out)
			return
		}
	}
}

// startHostileDevice answers the fleet ping as device id and the status,
// text and joystick subjects of device "evil" with hostile strings in
// every field.
func startHostileDevice(t *testing.T, url, pingID string) {
	t.Helper()
	nc := testutil.Connect(t, url)
	reply := func(subj string, data func(m *nats.Msg) *nats.Msg) {
		if _, err := nc.Subscribe(subj, func(m *nats.Msg) { _ = m.RespondMsg(data(m)) }); err != nil {
			t.Fatal(err)
		}
	}
	reply(wire.ServicePing(), func(*nats.Msg) *nats.Msg {
		j, _ := json.Marshal(map[string]any{"name": "sensehat", "id": "x", "version": "1.0.0",
			"type": "io.nats.micro.v1.ping_response", "metadata": map[string]string{"id": pingID}})
		return &nats.Msg{Data: j}
	})
	// encoding/json writes the controls as \u001b and friends, as a
	// hostile device's JSON encoder would: they decode to the raw runes.
	h := hostile
	status := map[string]any{
		"id": h, "version": h, "uptime_s": 12,
		"backends": map[string]string{"display": h, "joystick": h, "sensors": h},
		"display":  map[string]any{"rotation": 0, "queue_length": 0, "showing": h},
		"nats":     map[string]any{"server": h},
		"errors":   map[string]any{"counts": map[string]int{h: 1}, "last": h},
	}
	reply("sensehat.evil.status", func(*nats.Msg) *nats.Msg {
		j, _ := json.Marshal(status)
		return &nats.Msg{Data: j}
	})
	reply("sensehat.evil.led.text", func(*nats.Msg) *nats.Msg {
		j, _ := json.Marshal(map[string]any{"displayed": false, "id": h, "reason": h})
		return &nats.Msg{Data: j}
	})
	reply("sensehat.refuser.led.text", func(*nats.Msg) *nats.Msg {
		m := nats.NewMsg("")
		m.Header.Set("Nats-Service-Error-Code", "400")
		m.Header.Set("Nats-Service-Error", strings.ReplaceAll(h, "\n", " ")) // a header holds no newline
		return m
	})
	// Raw, not JSON: the bytes exactly as hostile has them.
	reply("sensehat.rawjson.status", func(*nats.Msg) *nats.Msg { return &nats.Msg{Data: []byte(hostile)} })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestHostileStatusIsEscaped(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	startHostileDevice(t, srv.URL(), "evil")
	startHostileDevice(t, srv.URL(), "\x1b]0;ping id\x07\u202e") // answers no status

	code, out, errOut := run(context.Background(), "status", "--nats", srv.URL())
	if code != 0 {
		t.Fatalf("status exit %d, stderr:\n%s", code, errOut)
	}
	assertTerminalSafe(t, "status", out)
	for _, want := range []string{`\x1b]0;pwned\x07`, `\x1b[2J`, `\u009b1mbold`, `\u202eevil`, `\x09TAB\x0aFAKE ROW`, `\x1b]0;ping id\x07\u202e`} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks the escaped %q:\n%s", want, out)
		}
	}
	// One header, one row per device: no row forged by a newline.
	if n := strings.Count(out, "\n"); n != 3 {
		t.Errorf("%d lines, want 3:\n%s", n, out)
	}

	code, out, errOut = run(context.Background(), "status", "--json", "--nats", srv.URL())
	if code != 0 {
		t.Fatalf("status --json exit %d, stderr:\n%s", code, errOut)
	}
	assertTerminalSafe(t, "status --json", out)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue // the row of the device without status
		}
		var s struct{ Display struct{ Showing string } }
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("--json line is no longer JSON: %v\n%s", err, line)
		}
		// Same meaning: the decoded string is what the device's JSON
		// says (its encoder wrote each invalid byte as U+FFFD).
		sent, _ := json.Marshal(hostile)
		var want string
		_ = json.Unmarshal(sent, &want)
		if s.Display.Showing != want {
			t.Errorf("--json changed the showing field: %q, want %q", s.Display.Showing, want)
		}
	}
}

func TestHostileSayReplyIsEscaped(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	startHostileDevice(t, srv.URL(), "evil")

	code, out, errOut := run(context.Background(), "say", "--nats", srv.URL(), "--id", "evil", "hi")
	if code != 0 {
		t.Fatalf("say exit %d, stderr:\n%s", code, errOut)
	}
	assertTerminalSafe(t, "say stdout", out)
	if !strings.Contains(out, `\x1b]0;pwned\x07`) || !strings.Contains(out, "not displayed") {
		t.Errorf("say output %q, want the escaped id and reason", out)
	}

	code, _, errOut = run(context.Background(), "say", "--nats", srv.URL(), "--id", "refuser", "hi")
	if code != 1 {
		t.Errorf("say to a refusing device: exit %d, want 1", code)
	}
	assertTerminalSafe(t, "say stderr", errOut)
	if !strings.Contains(errOut, `device refused (400): \x1b]0;pwned\x07`) || !strings.Contains(errOut, `\xff\x9b\xfe`) {
		t.Errorf("stderr %q, want the escaped service error", errOut)
	}
}

func TestHostileWatchIsEscaped(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	nc := testutil.Connect(t, srv.URL())

	w := runBackground(t, "watch", "--nats", srv.URL(), "joystick", "env")
	out, errOut := &w.out, &w.errOut
	testutil.WaitFor(t, 10*time.Second, "watch to subscribe", func() bool { return strings.Contains(errOut.String(), "watching") })

	// A subject token is any bytes but space, tab, CR, LF, '.', '*', '>'.
	if err := nc.Publish("sensehat.\x1b]0;subj\x07\u202e.joystick.up", []byte(hostile)); err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("sensehat.pi1.sensors.env", []byte(hostile)); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "both events", func() bool { return strings.Count(out.String(), "\n") >= 2 })
	w.stop(t)
	got := out.String()
	assertTerminalSafe(t, "watch", got)
	for _, want := range []string{`\x1b]0;subj\x07\u202e.joystick.up \x1b]0;pwned\x07`, `pi1.sensors.env \x1b]0;pwned\x07`, `\xff\x9b\xfe\x09TAB\x0aFAKE ROW`} {
		if !strings.Contains(got, want) {
			t.Errorf("watch output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 2 {
		t.Errorf("%d lines for 2 messages:\n%s", n, got)
	}
}

func TestTermSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain °C € ✓ 日本", "plain °C € ✓ 日本"},
		{"\x1b[31m", `\x1b[31m`},
		{"a\x07b\x7fc", `a\x07b\x7fc`},
		{"\u009b31m", `\u009b31m`},
		{"\u202eabc\u2066\u200f", `\u202eabc\u2066\u200f`},
		{"\xff\xc3", `\xff\xc3`},
		{"tab\tnl\n", `tab\x09nl\x0a`},
		{"line\u2028sep", `line\u2028sep`},
		{`back\slash`, `back\slash`},
	}
	for _, tc := range tests {
		if got := termSafe(tc.in); got != tc.want {
			t.Errorf("termSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := termSafeLines("a\nb\tc\x1b"); got != "a\nb\tc\\x1b" {
		t.Errorf("termSafeLines = %q", got)
	}
}

func TestTermWriterJoinsSplitRunes(t *testing.T) {
	var sb strings.Builder
	w := newTermWriter(&sb)
	in := []byte("é\u202e€\x1b\xff")
	for i := range in { // one byte at a time
		if _, err := w.Write(in[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = w.Write([]byte("\xe2\x82")) // a rune that never ends
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := sb.String(), `é\u202e€\x1b\xff\xe2\x82`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
