package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
	"github.com/sensehat/sensehat/sensehat"
)

// piStream creates the device stream exactly as deploy/nats/pi-stream.json
// describes it, on a real server with JetStream.
func piStream(t *testing.T, nc *nats.Conn, id string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "nats", "pi-stream.json"))
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.NewReplacer("@ID@", id, "@PREFIX@", "sensehat").Replace(string(b)))
	var cfg jetstream.StreamConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("pi-stream.json: %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatalf("creating %s: %v", cfg.Name, err)
	}
}

// published is what the device sent, as a subscriber saw it.
type published struct {
	subject string
	data    []byte
	time    time.Time
}

// TestHistoryCSVIsWhatWasPublished runs a device on the simulated HAT
// into the Pi's stream, records what it publishes with a plain
// subscription, and reads it back with `sensehat history --csv`: every
// reading up to --until comes back, in order, each value the same text
// the device published (decoded here with encoding/csv and typed structs
// of the contract's fields, not with the code under test).
func TestHistoryCSVIsWhatWasPublished(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir()})
	nc := testutil.Connect(t, srv.URL())
	piStream(t, nc, "pi1")

	msgs := make(chan *nats.Msg, 4096)
	sub, err := nc.ChanSubscribe("sensehat.pi1.>", msgs)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	hat := simdaemon.StartOn(t, srv.URL(), "pi1").HAT

	var got []published
	var until time.Time
	pressed := false
	deadline := time.After(30 * time.Second)
	// Record until three env readings and a joystick press are in, then on
	// until a reading a second newer than the cut: the poller publishes in
	// time order, so nothing at or before the cut can still be on its way.
	for {
		var m *nats.Msg
		select {
		case m = <-msgs:
		case <-deadline:
			t.Fatalf("30s and only %d readings", len(got))
		}
		var v struct{ Time string }
		if !strings.Contains(m.Subject, ".sensors.") && !strings.Contains(m.Subject, ".joystick.") {
			continue
		}
		if err := json.Unmarshal(m.Data, &v); err != nil {
			t.Fatalf("%s: %v", m.Subject, err)
		}
		ts, err := time.Parse(time.RFC3339Nano, v.Time)
		if err != nil {
			t.Fatalf("%s time %q: %v", m.Subject, v.Time, err)
		}
		got = append(got, published{m.Subject, m.Data, ts})
		envs := 0
		for _, p := range got {
			if strings.HasSuffix(p.subject, ".env") {
				envs++
			}
		}
		if envs == 1 && !pressed {
			hat.ATtiny.Press(sensehat.KeyUp)
			pressed = true
		}
		if until.IsZero() && envs >= 3 && strings.Contains(strings.Join(subjects(got), " "), ".joystick.") {
			until = ts
		}
		if !until.IsZero() && ts.After(until.Add(time.Second)) {
			break
		}
	}
	var want []published
	for _, p := range got {
		if !p.time.After(until) {
			want = append(want, p)
		}
	}

	code, out, errOut := run(context.Background(), "history", "--nats", srv.URL(), "--id", "pi1",
		"--stream", "SENSEHAT_pi1", "--since", "1h", "--until", until.Format(time.RFC3339Nano), "--csv")
	if code != 0 {
		t.Fatalf("history exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("history --csv is not CSV: %v\n%s", err, out)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	rows = rows[1:]
	if len(rows) != len(want) {
		t.Fatalf("history gave %d rows, the device published %d readings up to %s", len(rows), len(want), until.Format(time.RFC3339Nano))
	}
	cell := func(row []string, name string) string {
		i, ok := col[name]
		if !ok {
			t.Fatalf("CSV has no column %q: %v", name, col)
		}
		return row[i]
	}
	for i, p := range want {
		row := rows[i]
		if cell(row, "subject") != p.subject || cell(row, "time") != p.time.UTC().Format(time.RFC3339Nano) {
			t.Fatalf("row %d: %s at %s, published %s at %s", i, cell(row, "subject"), cell(row, "time"), p.subject, p.time.UTC().Format(time.RFC3339Nano))
		}
		switch {
		case strings.HasSuffix(p.subject, ".env"):
			var e struct {
				T json.Number `json:"temperature_c"`
				H json.Number `json:"humidity_pct"`
				P json.Number `json:"pressure_hpa"`
			}
			decode(t, p.data, &e)
			for name, v := range map[string]json.Number{"env.temperature_c": e.T, "env.humidity_pct": e.H, "env.pressure_hpa": e.P} {
				if cell(row, name) != v.String() {
					t.Errorf("row %d %s = %q, published %q", i, name, cell(row, name), v)
				}
			}
		case strings.HasSuffix(p.subject, ".motion"):
			var m struct {
				A    []json.Number `json:"accel_g"`
				Roll json.Number   `json:"roll_deg"`
			}
			decode(t, p.data, &m)
			for j, name := range []string{"motion.accel_g.x", "motion.accel_g.y", "motion.accel_g.z"} {
				if cell(row, name) != m.A[j].String() {
					t.Errorf("row %d %s = %q, published %q", i, name, cell(row, name), m.A[j])
				}
			}
			if cell(row, "motion.roll_deg") != m.Roll.String() {
				t.Errorf("row %d roll %q, published %q", i, cell(row, "motion.roll_deg"), m.Roll)
			}
		case strings.Contains(p.subject, ".joystick."):
			var j struct{ Key, Action string }
			decode(t, p.data, &j)
			if cell(row, "joystick.key") != j.Key || cell(row, "joystick.action") != j.Action {
				t.Errorf("row %d joystick %q %q, published %s %s", i, cell(row, "joystick.key"), cell(row, "joystick.action"), j.Key, j.Action)
			}
		}
	}

	t.Run("table", func(t *testing.T) {
		code, out, errOut := run(context.Background(), "history", "--nats", srv.URL(), "--id", "pi1",
			"--stream", "SENSEHAT_pi1", "--since", "1h", "--until", until.Format(time.RFC3339Nano))
		if code != 0 {
			t.Fatalf("history exit %d: %s", code, errOut)
		}
		for _, want := range []string{"env.temperature_c", "env.pressure_hpa", "motion.accel_g.z", "up pressed 1;"} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
		if !strings.ContainsAny(out, string(sparkBlocks)) {
			t.Errorf("table has no sparkline:\n%s", out)
		}
	})
	t.Run("progress", func(t *testing.T) {
		defer func(n uint64) { progressEvery = n }(progressEvery)
		progressEvery = 8
		code, _, errOut := run(context.Background(), "history", "--nats", srv.URL(), "--id", "pi1",
			"--stream", "SENSEHAT_pi1", "--since", "1h", "--csv")
		if code != 0 {
			t.Fatalf("history exit %d: %s", code, errOut)
		}
		if !strings.Contains(errOut, "history: 2 of ") || !strings.Contains(errOut, "readings in range") {
			t.Errorf("no progress on stderr for a range above the threshold:\n%s", errOut)
		}
	})
	t.Run("json lines", func(t *testing.T) {
		code, out, errOut := run(context.Background(), "history", "--nats", srv.URL(), "--id", "pi1",
			"--stream", "SENSEHAT_pi1", "--since", "1h", "--until", until.Format(time.RFC3339Nano), "--json", "--kind", "env")
		if code != 0 {
			t.Fatalf("history exit %d: %s", code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var envs []published
		for _, p := range want {
			if strings.HasSuffix(p.subject, ".env") {
				envs = append(envs, p)
			}
		}
		if len(lines) != len(envs) {
			t.Fatalf("%d JSON lines, %d env readings published:\n%s", len(lines), len(envs), out)
		}
		for i, l := range lines {
			var v struct {
				Kind    string          `json:"kind"`
				Reading json.RawMessage `json:"reading"`
			}
			decode(t, []byte(l), &v)
			if v.Kind != "env" || string(v.Reading) != string(envs[i].data) {
				t.Errorf("line %d: %s, published %s", i, l, envs[i].data)
			}
		}
	})
}

func subjects(ps []published) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.subject
	}
	return out
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

// Eight evenly spaced values rising by one draw the eight block heights
// U+2581..U+2588 in order (Unicode "Block Elements"); a value repeated
// draws the middle one; a cell with no reading stays blank.
func TestSparkline(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(n int) []time.Time {
		ts := make([]time.Time, n)
		for i := range ts {
			ts[i] = t0.Add(time.Duration(i) * time.Minute)
		}
		return ts
	}
	ts := at(8)
	if got := sparkline([]float64{1, 2, 3, 4, 5, 6, 7, 8}, ts, ts[0], ts[7].Add(time.Second), 8); got != "▁▂▃▄▅▆▇█" {
		t.Errorf("rising: %q", got)
	}
	if got := sparkline([]float64{5, 5}, ts[:2], ts[0], ts[1].Add(time.Second), 2); got != "▅▅" {
		t.Errorf("flat: %q", got)
	}
	gap := []time.Time{ts[0], ts[7]}
	if got := sparkline([]float64{1, 2}, gap, ts[0], ts[7].Add(time.Second), 8); got != "▁      █" {
		t.Errorf("gap: %q", got)
	}
}

func TestHistoryRefusesBadRanges(t *testing.T) {
	for _, args := range [][]string{
		{"history"},
		{"history", "--id", "pi1", "--since", "yesterday"},
		{"history", "--id", "pi1", "--since", "1h", "--until", "2h"},
		{"history", "--id", "pi1", "--csv", "--json"},
		{"history", "--id", "pi1", "--kind", "weather"},
		{"history", "--id", "pi.1"},
	} {
		if code, _, _ := run(context.Background(), args...); code == 0 {
			t.Errorf("%v: exit 0, want an error", args)
		}
	}
}
