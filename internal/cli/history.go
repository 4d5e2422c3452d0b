package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/wire"
)

// historyReading is one stored reading or joystick event.
type historyReading struct {
	Seq     uint64
	Subject string
	Kind    string // env, motion, colour, joystick
	Time    time.Time
	Raw     json.RawMessage
	Fields  map[string]string  // flattened: accel.x -> "0.01"
	Numbers map[string]float64 // the numeric ones among Fields
}

// history reads a device's readings back from a JetStream stream: the
// hub's SENSEHAT stream, which sources every Pi, or with --stream and
// --domain a Pi's own.
func (a *App) history(ctx context.Context, args []string) error {
	fs := newFlagSet("history", a.Stderr, "--id ID [--since 2h|TIME] [--until TIME] [--csv|--json] [--kind K] [--stream NAME] [--domain D]")
	var c conn
	c.flags(fs, a.Getenv)
	id := fs.String("id", "", "device id (required)")
	since := fs.String("since", "1h", "start: a duration back from now (2h, 30m) or an RFC 3339 time")
	until := fs.String("until", "", "end: a duration back from now or an RFC 3339 time (default now)")
	asCSV := fs.Bool("csv", false, "CSV: one row per reading, for spreadsheets")
	asJSON := fs.Bool("json", false, "JSON lines: one object per reading, as published")
	kind := fs.String("kind", "", "only env, motion, colour or joystick (default all)")
	stream := fs.String("stream", "SENSEHAT", "JetStream stream: SENSEHAT on the hub, SENSEHAT_<id> on a Pi")
	domain := fs.String("domain", "", "JetStream domain of the stream (sensehat-<id> for a Pi's, through the hub)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" || fs.NArg() > 0 || (*asCSV && *asJSON) {
		fs.Usage()
		return errUsage
	}
	switch *kind {
	case "", "env", "motion", "colour", "joystick":
	default:
		return fmt.Errorf("history: --kind %q: use env, motion, colour or joystick", *kind)
	}
	now := time.Now()
	from, err := parseWhen(*since, now)
	if err != nil {
		return fmt.Errorf("history: --since: %w", err)
	}
	to := now
	if *until != "" {
		if to, err = parseWhen(*until, now); err != nil {
			return fmt.Errorf("history: --until: %w", err)
		}
	}
	if !to.After(from) {
		return fmt.Errorf("history: --until %s is not after --since %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	subj, err := wire.NewSubjects(c.Prefix, *id)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	nc, err := c.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	rs, err := readHistory(ctx, nc, historyQuery{
		stream: *stream, domain: *domain, subject: subj.All(),
		kind: *kind, from: from, to: to, progress: a.Stderr,
	})
	if err != nil {
		return err
	}
	switch {
	case *asCSV:
		return writeHistoryCSV(a.Stdout, rs)
	case *asJSON:
		return writeHistoryJSON(a.Stdout, rs)
	}
	if len(rs) == 0 {
		fmt.Fprintf(a.Stdout, "no readings of %s between %s and %s in stream %s\n", *id, from.Format(time.RFC3339), to.Format(time.RFC3339), *stream)
		return nil
	}
	return writeHistoryTable(a.Stdout, *id, rs, 32)
}

// parseWhen reads "2h" (that long before now) or an RFC 3339 time.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q is negative: give how long ago, like 2h", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration (2h, 30m) nor an RFC 3339 time (2026-05-01T12:00:00Z)", s)
	}
	return t, nil
}

type historyQuery struct {
	stream, domain, subject, kind string
	from, to                      time.Time
	progress                      io.Writer // nil: silent
}

// progressEvery is how many messages make a range large enough to report
// progress on stderr, every quarter of it; a variable for tests.
var progressEvery uint64 = 20000

// readHistory reads the readings whose own time lies in [from, to].
// The stream's timestamps say when a message was stored, which on the hub
// can be long after the reading was taken (it waited on the Pi during an
// outage), but never before: so the read starts at the first message
// stored at or after from, goes to the end of the stream as it was when
// the read began, and keeps the readings by their own time.
func readHistory(ctx context.Context, nc *nats.Conn, q historyQuery) ([]historyReading, error) {
	var js jetstream.JetStream
	var err error
	if q.domain != "" {
		js, err = jetstream.NewWithDomain(nc, q.domain)
	} else {
		js, err = jetstream.New(nc)
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	s, err := js.Stream(ctx, q.stream)
	if err != nil {
		return nil, fmt.Errorf("history: stream %s: %w (is store and forward set up? see README, \"Keep every reading\"; --stream and --domain pick another stream)", q.stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("history: stream %s: %w", q.stream, err)
	}
	if info.State.Msgs == 0 || info.State.LastTime.Before(q.from) {
		return nil, nil
	}
	// One filter subject (<prefix>.<id>.>) works with nats-server 2.9 as well.
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{q.subject},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &q.from,
	})
	if err != nil {
		return nil, fmt.Errorf("history: reading stream %s: %w", q.stream, err)
	}
	var out []historyReading
	var read, total uint64
	for {
		batch, err := c.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, fmt.Errorf("history: reading stream %s: %w", q.stream, err)
		}
		got, done := 0, false
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return nil, fmt.Errorf("history: %w", err)
			}
			read++
			if total == 0 {
				total = md.NumPending + 1
			}
			if md.Sequence.Stream > info.State.LastSeq || md.NumPending == 0 {
				done = true
			}
			if md.Sequence.Stream > info.State.LastSeq {
				continue
			}
			r, ok := parseReading(m.Subject(), m.Data(), md)
			if !ok || (q.kind != "" && r.Kind != q.kind) || r.Time.Before(q.from) || r.Time.After(q.to) {
				continue
			}
			out = append(out, r)
			if q.progress != nil && total >= progressEvery && read%(progressEvery/4) == 0 {
				fmt.Fprintf(q.progress, "history: %d of %d messages read\n", read, total)
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("history: reading stream %s: %w", q.stream, err)
		}
		if done || got == 0 {
			break
		}
	}
	if q.progress != nil && total >= progressEvery {
		fmt.Fprintf(q.progress, "history: %d messages read, %d readings in range\n", read, len(out))
	}
	return out, nil
}

// parseReading turns a stored message into a reading: its kind from the
// subject (<prefix>.<id>.sensors.<kind> or .joystick.<key>), its time from
// the reading's own "time" field (the stream's timestamp if it has none).
func parseReading(subject string, data []byte, md *jetstream.MsgMetadata) (historyReading, bool) {
	toks := strings.Split(subject, ".")
	if len(toks) < 4 {
		return historyReading{}, false
	}
	r := historyReading{Seq: md.Sequence.Stream, Subject: subject, Time: md.Timestamp, Raw: json.RawMessage(bytes.Clone(data))}
	switch toks[len(toks)-2] {
	case "sensors":
		r.Kind = toks[len(toks)-1]
	case "joystick":
		r.Kind = "joystick"
	default:
		return historyReading{}, false
	}
	var v map[string]any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return historyReading{}, false
	}
	if ts, ok := v["time"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			r.Time = t
		}
	}
	delete(v, "time")
	r.Fields, r.Numbers = map[string]string{}, map[string]float64{}
	flatten("", v, r.Fields, r.Numbers)
	return r, true
}

func flatten(prefix string, v any, fields map[string]string, nums map[string]float64) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			flatten(name, e, fields, nums)
		}
	case []any:
		for i, e := range x {
			flatten(prefix+"."+strconv.Itoa(i), e, fields, nums)
		}
	case json.Number:
		fields[prefix] = x.String()
		if f, err := x.Float64(); err == nil {
			nums[prefix] = f
		}
	case string:
		fields[prefix] = x
	case bool:
		fields[prefix] = strconv.FormatBool(x)
	}
}

// columns are the field names of the readings, grouped by kind in the
// order kinds first appear, sorted within a kind.
func columns(rs []historyReading) (kinds []string, byKind map[string][]string) {
	byKind = map[string][]string{}
	seen := map[string]map[string]bool{}
	for _, r := range rs {
		if seen[r.Kind] == nil {
			seen[r.Kind] = map[string]bool{}
			kinds = append(kinds, r.Kind)
		}
		for f := range r.Fields {
			if !seen[r.Kind][f] {
				seen[r.Kind][f] = true
				byKind[r.Kind] = append(byKind[r.Kind], f)
			}
		}
	}
	for _, k := range kinds {
		sort.Strings(byKind[k])
	}
	return kinds, byKind
}

// writeHistoryCSV writes time, kind, subject, then one column per field
// of every kind (kind.field), empty where a reading has no such field.
func writeHistoryCSV(w io.Writer, rs []historyReading) error {
	kinds, byKind := columns(rs)
	head := []string{"time", "kind", "subject"}
	for _, k := range kinds {
		for _, f := range byKind[k] {
			head = append(head, k+"."+f)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	row := make([]string, len(head))
	for _, r := range rs {
		clear(row)
		row[0], row[1], row[2] = r.Time.UTC().Format(time.RFC3339Nano), r.Kind, r.Subject
		i := 3
		for _, k := range kinds {
			for _, f := range byKind[k] {
				if k == r.Kind {
					row[i] = r.Fields[f]
				}
				i++
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeHistoryJSON writes one line per reading: its kind, subject, stream
// sequence and the reading as the daemon published it.
func writeHistoryJSON(w io.Writer, rs []historyReading) error {
	enc := json.NewEncoder(w)
	for _, r := range rs {
		if err := enc.Encode(struct {
			Kind    string          `json:"kind"`
			Subject string          `json:"subject"`
			Seq     uint64          `json:"seq"`
			Reading json.RawMessage `json:"reading"`
		}{r.Kind, r.Subject, r.Seq, r.Raw}); err != nil {
			return err
		}
	}
	return nil
}

// writeHistoryTable writes one row per numeric quantity: min, mean, max,
// last and a sparkline of width cells over the time range, and for the
// joystick the count of each key and action.
func writeHistoryTable(w io.Writer, id string, rs []historyReading, width int) error {
	first, last := rs[0].Time, rs[0].Time
	for _, r := range rs {
		if r.Time.Before(first) {
			first = r.Time
		}
		if r.Time.After(last) {
			last = r.Time
		}
	}
	fmt.Fprintf(w, "%s: %d readings from %s to %s\n\n", termSafe(id), len(rs),
		first.Local().Format("2006-01-02 15:04:05"), last.Local().Format("2006-01-02 15:04:05"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "QUANTITY\tN\tMIN\tMEAN\tMAX\tLAST\tTREND")
	kinds, byKind := columns(rs)
	for _, k := range kinds {
		if k == "joystick" {
			continue
		}
		for _, f := range byKind[k] {
			var xs []float64
			var ts []time.Time
			for _, r := range rs {
				if v, ok := r.Numbers[f]; ok && r.Kind == k {
					xs, ts = append(xs, v), append(ts, r.Time)
				}
			}
			if len(xs) == 0 {
				continue
			}
			lo, hi, sum := xs[0], xs[0], 0.0
			for _, x := range xs {
				lo, hi, sum = math.Min(lo, x), math.Max(hi, x), sum+x
			}
			fmt.Fprintf(tw, "%s.%s\t%d\t%s\t%s\t%s\t%s\t%s\n", k, f, len(xs), num(lo), num(sum/float64(len(xs))), num(hi), num(xs[len(xs)-1]),
				sparkline(xs, ts, first, last, width))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	counts := map[string]int{}
	for _, r := range rs {
		if r.Kind == "joystick" {
			counts[r.Fields["key"]+" "+r.Fields["action"]]++
		}
	}
	if len(counts) > 0 {
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprint(w, "\njoystick:")
		for _, k := range keys {
			fmt.Fprintf(w, " %s %d;", termSafe(k), counts[k])
		}
		fmt.Fprintln(w)
	}
	return nil
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', 5, 64) }

// sparkBlocks are the eight Unicode block heights a sparkline is drawn with.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws xs, taken at ts, as width cells over [first, last]:
// each cell is the mean of the readings in its slice of time, a blank
// where there were none (a gap shows as a gap), scaled between the
// smallest and largest mean.
func sparkline(xs []float64, ts []time.Time, first, last time.Time, width int) string {
	sums := make([]float64, width)
	ns := make([]int, width)
	span := last.Sub(first)
	for i, x := range xs {
		c := 0
		if span > 0 {
			c = int(float64(ts[i].Sub(first)) / float64(span) * float64(width))
		}
		c = min(max(c, 0), width-1)
		sums[c] += x
		ns[c]++
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for c := range sums {
		if ns[c] > 0 {
			sums[c] /= float64(ns[c])
			lo, hi = math.Min(lo, sums[c]), math.Max(hi, sums[c])
		}
	}
	var b strings.Builder
	for c := range sums {
		switch {
		case ns[c] == 0:
			b.WriteRune(' ')
		case hi == lo:
			b.WriteRune(sparkBlocks[len(sparkBlocks)/2])
		default:
			b.WriteRune(sparkBlocks[int((sums[c]-lo)/(hi-lo)*float64(len(sparkBlocks)-1)+0.5)])
		}
	}
	return strings.TrimRight(b.String(), " ")
}
