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

	"github.com/sensehat/sensehat/internal/desired"
	"github.com/sensehat/sensehat/internal/wire"
)

// historyReading is one stored reading or joystick event, decoded
// through the contract (wire.DecodeReading).
type historyReading struct {
	Seq     uint64
	Subject string
	Kind    string // env, motion, colour, joystick
	Time    time.Time
	// Raw is the reading as published: kept only for --json.
	Raw json.RawMessage
	// Values are the contract's quantities the reading has, then the
	// fields outside the contract that the bound let through (fieldBound).
	Values []wire.Value
}

// value returns the value of quantity name, if the reading has it.
func (r *historyReading) value(name string) (wire.Value, bool) {
	for _, v := range r.Values {
		if v.Name == name {
			return v, true
		}
	}
	return wire.Value{}, false
}

// maxExtraFields bounds the fields outside the contract that history
// shows per kind, and maxExtraName the length of their names: a device
// can invent any number of fields of any length, and each one shown would
// be a column of every row. The first ones met are shown; the rest are
// counted and left to --json, which has every reading as published.
const (
	maxExtraFields = 8
	maxExtraName   = 64
)

// fieldBound lets through, per kind, the first maxExtraFields names of
// fields outside the contract, and counts what it leaves out.
type fieldBound struct {
	names map[string][]string // per kind, in the order met
	// left counts per kind the readings that had fields left out, and
	// most the most left out of one reading.
	left, most map[string]int
}

func newFieldBound() *fieldBound {
	return &fieldBound{names: map[string][]string{}, left: map[string]int{}, most: map[string]int{}}
}

// admit is wire.DecodeReading's keep for one reading of kind: the fields
// already shown, and as many new ones as there is room for. The new ones
// are shown once commit has the reading, known to be in range.
func (b *fieldBound) admit(kind string) func([]byte) bool {
	room := maxExtraFields - len(b.names[kind])
	return func(field []byte) bool {
		if b.shown(kind, field) {
			return true
		}
		if room > 0 && len(field) <= maxExtraName {
			room--
			return true
		}
		return false
	}
}

func (b *fieldBound) shown(kind string, field []byte) bool {
	for _, n := range b.names[kind] {
		if n == string(field) {
			return true
		}
	}
	return false
}

// commit shows the new fields of a reading admit let through, and counts
// those it left out.
func (b *fieldBound) commit(r *wire.Reading) {
	for _, e := range r.Extra {
		if f := strings.TrimPrefix(e.Name, r.Kind+"."); !b.shown(r.Kind, []byte(f)) {
			b.names[r.Kind] = append(b.names[r.Kind], f)
		}
	}
	if n := r.Unknown - len(r.Extra); n > 0 {
		b.left[r.Kind]++
		b.most[r.Kind] = max(b.most[r.Kind], n)
	}
}

// historyResult is what readHistory found.
type historyResult struct {
	readings []historyReading
	bound    *fieldBound
	// skipped counts the messages on readings' subjects whose payload is
	// not one of the contract (not JSON, a field of the wrong type).
	skipped int
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
	if *kind != "" && !wire.IsKind(*kind) {
		return fmt.Errorf("history: --kind %q: use one of %s", *kind, strings.Join(wire.Kinds, ", "))
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
	res, err := readHistory(ctx, nc, historyQuery{
		stream: *stream, domain: *domain, subject: subj.All(),
		kind: *kind, from: from, to: to, progress: a.Stderr, raw: *asJSON,
	})
	if err != nil {
		return err
	}
	if res.skipped > 0 {
		fmt.Fprintf(a.Stderr, "history: %d messages skipped: their payload is not a reading of the contract\n", res.skipped)
	}
	switch {
	case *asCSV:
		return writeHistoryCSV(a.Stdout, res)
	case *asJSON:
		return writeHistoryJSON(a.Stdout, res.readings)
	}
	if len(res.readings) == 0 {
		fmt.Fprintf(a.Stdout, "no readings of %s between %s and %s in stream %s\n", *id, from.Format(time.RFC3339), to.Format(time.RFC3339), *stream)
		return nil
	}
	return writeHistoryTable(a.Stdout, *id, res, 32)
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
	raw                           bool      // keep each reading as published
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
func readHistory(ctx context.Context, nc *nats.Conn, q historyQuery) (historyResult, error) {
	js, err := desired.JetStream(nc, q.domain)
	if err != nil {
		return historyResult{}, fmt.Errorf("history: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	s, err := js.Stream(ctx, q.stream)
	if err != nil {
		return historyResult{}, fmt.Errorf("history: stream %s: %w (is store and forward set up? see docs/fleet.md, \"Keep every reading\"; --stream and --domain pick another stream)", q.stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return historyResult{}, fmt.Errorf("history: stream %s: %w", q.stream, err)
	}
	res := historyResult{bound: newFieldBound()}
	if info.State.Msgs == 0 || info.State.LastTime.Before(q.from) {
		return res, nil
	}
	// One filter subject (<prefix>.<id>.>) works with nats-server 2.9 as well.
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{q.subject},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &q.from,
	})
	if err != nil {
		return historyResult{}, fmt.Errorf("history: reading stream %s: %w", q.stream, err)
	}
	var read, total uint64
	for {
		batch, err := c.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return historyResult{}, fmt.Errorf("history: reading stream %s: %w", q.stream, err)
		}
		got, done := 0, false
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return historyResult{}, fmt.Errorf("history: %w", err)
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
			_, kind, ok := wire.ParseReadingSubject(m.Subject())
			if !ok || (q.kind != "" && kind != q.kind) {
				continue
			}
			r, inRange, err := parseReading(m.Subject(), kind, m.Data(), md, res.bound, q)
			if err != nil {
				res.skipped++
				continue
			}
			if !inRange {
				continue
			}
			res.readings = append(res.readings, r)
			if q.progress != nil && total >= progressEvery && read%(progressEvery/4) == 0 {
				fmt.Fprintf(q.progress, "history: %d of %d messages read\n", read, total)
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return historyResult{}, fmt.Errorf("history: reading stream %s: %w", q.stream, err)
		}
		if done || got == 0 {
			break
		}
	}
	if q.progress != nil && total >= progressEvery {
		fmt.Fprintf(q.progress, "history: %d messages read, %d readings in range\n", read, len(res.readings))
	}
	return res, nil
}

// parseReading decodes a stored message through the contract: its time
// is the reading's own (the stream's timestamp if it has none), its
// fields outside the contract go through the bound. ok is false for a
// reading outside [q.from, q.to].
func parseReading(subject, kind string, data []byte, md *jetstream.MsgMetadata, bound *fieldBound, q historyQuery) (r historyReading, ok bool, err error) {
	d, err := wire.DecodeReading(kind, data, bound.admit(kind))
	if err != nil {
		return historyReading{}, false, err
	}
	r = historyReading{Seq: md.Sequence.Stream, Subject: subject, Kind: kind, Time: md.Timestamp, Values: d.Values}
	if !d.Time.IsZero() {
		r.Time = d.Time
	}
	if r.Time.Before(q.from) || r.Time.After(q.to) {
		return historyReading{}, false, nil
	}
	bound.commit(&d)
	r.Values = append(r.Values, d.Extra...)
	if q.raw {
		r.Raw = json.RawMessage(bytes.Clone(data))
	}
	return r, true, nil
}

// columns are the quantities of the readings, by kind in the order of
// wire.Kinds: the contract's in its order, then the fields outside it
// that the bound let through, in the order met.
func columns(res historyResult) (kinds []string, byKind map[string][]string) {
	present := map[string]bool{}
	for _, r := range res.readings {
		for _, v := range r.Values {
			present[v.Name] = true
		}
	}
	byKind = map[string][]string{}
	for _, k := range wire.Kinds {
		var names []string
		for _, q := range wire.Quantities(k) {
			if present[q.Name] {
				names = append(names, q.Name)
			}
		}
		for _, f := range res.bound.names[k] {
			if n := k + "." + f; present[n] {
				names = append(names, n)
			}
		}
		if len(names) > 0 {
			kinds = append(kinds, k)
			byKind[k] = names
		}
	}
	return kinds, byKind
}

// writeHistoryCSV writes time, kind, subject, then one column per
// quantity of every kind (env.temperature_c, motion.accel_g.x), empty
// where a reading has no such quantity. What came from the network is
// escaped like any output (termSafe: a tab or a line break in a device's
// field is shown as \x09, \x0a, so every row is one line) and then
// guarded against formulas (csvCell).
func writeHistoryCSV(w io.Writer, res historyResult) error {
	kinds, byKind := columns(res)
	head := []string{"time", "kind", "subject"}
	for _, k := range kinds {
		head = append(head, byKind[k]...)
	}
	cw := csv.NewWriter(w)
	row := make([]string, len(head))
	for i, h := range head {
		row[i] = csvCell(termSafe(h))
	}
	if err := cw.Write(row); err != nil {
		return err
	}
	for _, r := range res.readings {
		clear(row)
		row[0], row[1], row[2] = r.Time.UTC().Format(time.RFC3339Nano), r.Kind, csvCell(termSafe(r.Subject))
		i := 3
		for _, k := range kinds {
			for _, name := range byKind[k] {
				if k == r.Kind {
					if v, ok := r.value(name); ok {
						row[i] = csvCell(termSafe(v.Text))
					}
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

// csvCell returns s as a spreadsheet must take it: as text, never as a
// formula. OWASP's advice on CSV injection
// (https://owasp.org/www-community/attacks/CSV_Injection) is that no cell
// may begin with '=', '+', '-', '@', a tab or a carriage return, and to
// prepend a single quote to one that does: spreadsheets then show it as
// text, the quote hidden. encoding/csv quotes a cell holding a comma, a
// quote or a line break, so no dangerous character can start a cell in the
// middle of another.
//
// A number is left as it is, negative ones included: a cell that is a
// JSON number (the grammar the readings use: -?int[.frac][e±exp]) is
// read by a spreadsheet as that number and can call nothing, while a
// quote would make every negative reading text that charts and sums
// skip. Anything else that starts with '-' ("-1+2", "-cmd") is quoted.
func csvCell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || isJSONNumber(s) {
		return s
	}
	return "'" + s
}

// isJSONNumber reports whether s is a number in JSON's grammar (RFC 8259,
// section 6).
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// writeHistoryJSON writes one line per reading: its kind, subject, stream
// sequence and the reading as the daemon published it, in JSON's own
// escapes where a rune would act on a terminal (termSafeJSON).
func writeHistoryJSON(w io.Writer, rs []historyReading) error {
	for _, r := range rs {
		line, err := json.Marshal(struct {
			Kind    string          `json:"kind"`
			Subject string          `json:"subject"`
			Seq     uint64          `json:"seq"`
			Reading json.RawMessage `json:"reading"`
		}{r.Kind, r.Subject, r.Seq, r.Raw})
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, termSafeJSON(line)+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// writeHistoryTable writes one row per numeric quantity: min, mean, max,
// last and a sparkline of width cells over the time range; for the
// joystick the count of each key and action; and what the bound on
// fields outside the contract left out.
func writeHistoryTable(w io.Writer, id string, res historyResult, width int) error {
	rs := res.readings
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
	kinds, byKind := columns(res)
	for _, k := range kinds {
		if k == wire.KindJoystick {
			continue
		}
		for _, name := range byKind[k] {
			var xs []float64
			var ts []time.Time
			for i := range rs {
				if rs[i].Kind != k {
					continue
				}
				if v, ok := rs[i].value(name); ok && v.IsNum {
					xs, ts = append(xs, v.Num), append(ts, rs[i].Time)
				}
			}
			if len(xs) == 0 {
				continue
			}
			lo, hi, sum := xs[0], xs[0], 0.0
			for _, x := range xs {
				lo, hi, sum = math.Min(lo, x), math.Max(hi, x), sum+x
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", termSafe(name), len(xs), num(lo), num(sum/float64(len(xs))), num(hi), num(xs[len(xs)-1]),
				sparkline(xs, ts, first, last, width))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Counted by the joystick's own keys and actions: a device's invented
	// ones are "other", so they cannot make the line as long as they like.
	counts := map[string]int{}
	known := func(s string, among []string) string {
		for _, a := range among {
			if s == a {
				return a
			}
		}
		return "other"
	}
	for i := range rs {
		if rs[i].Kind == wire.KindJoystick {
			key, _ := rs[i].value(wire.KindJoystick + "." + wire.FieldKey)
			action, _ := rs[i].value(wire.KindJoystick + "." + wire.FieldAction)
			counts[known(key.Text, wire.JoystickKeys)+" "+known(action.Text, wire.JoystickActions)]++
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
			fmt.Fprintf(w, " %s %d;", k, counts[k])
		}
		fmt.Fprintln(w)
	}
	for _, k := range wire.Kinds {
		if n := res.bound.left[k]; n > 0 {
			fmt.Fprintf(w, "\n%s: %d readings had fields outside the contract left out (up to %d in one); --json shows every reading as published\n",
				k, n, res.bound.most[k])
		}
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
