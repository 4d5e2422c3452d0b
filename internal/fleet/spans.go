package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/wire"
)

// spans are the plots' time ranges besides the live hour. They are read
// from the history stream on demand: memory holds one Window only.
var spans = map[string]time.Duration{
	"day":  24 * time.Hour,
	"week": 7 * 24 * time.Hour,
}

// spanPoints is how many points a long span gets per device at most: one
// per 2 min over a day, one per 14 min over a week. A phone's chart has
// fewer pixels than that across.
const spanPoints = 720

// spanCacheTTL is how long a span read from the stream is answered again
// without reading it: several charts and reloads read the stream once.
const spanCacheTTL = 30 * time.Second

// spanCacheMax bounds the cached answers (quantity × span × devices).
const spanCacheMax = 64

// spanReads bounds the stream reads under way at once, whatever pages ask.
const spanReads = 2

// spanMaxIDs bounds the devices one span request may name: each is a
// filter subject of the consumer.
const spanMaxIDs = 32

// errNoStream says the history stream is not configured or not there.
var errNoStream = errors.New("fleet: no history stream")

// buckets averages samples into n equal slices of [from, to): the mean
// of each slice, placed at its middle. Memory is n per series, however
// many samples are added.
type buckets struct {
	from, to int64 // Unix ms
	sum      []float64
	n        []int
}

func newBuckets(from, to int64, n int) *buckets {
	if n < 1 {
		n = 1
	}
	if to <= from {
		to = from + 1
	}
	return &buckets{from: from, to: to, sum: make([]float64, n), n: make([]int, n)}
}

// add counts v at time t (Unix ms); a t outside [from, to) is ignored.
func (b *buckets) add(t int64, v float64) {
	if t < b.from || t >= b.to {
		return
	}
	i := int((t - b.from) * int64(len(b.sum)) / (b.to - b.from))
	b.sum[i] += v
	b.n[i]++
}

// samples returns the non-empty slices' means, oldest first: an empty
// slice is left out rather than drawn as a zero.
func (b *buckets) samples() []Sample {
	out := make([]Sample, 0, len(b.sum))
	w := b.to - b.from
	k := int64(len(b.sum))
	for i, n := range b.n {
		if n == 0 {
			continue
		}
		lo := b.from + int64(i)*w/k
		hi := b.from + int64(i+1)*w/k
		out = append(out, Sample{T: lo + (hi-lo)/2, V: b.sum[i] / float64(n)})
	}
	return out
}

// downsample returns the mean of samples in each of n equal slices of
// [from, to) (Unix ms), at each slice's middle, leaving out empty slices
// and samples outside the range: at most n points.
func downsample(samples []Sample, from, to int64, n int) []Sample {
	b := newBuckets(from, to, n)
	for _, s := range samples {
		b.add(s.T, s.V)
	}
	return b.samples()
}

// spanResult is one answer for a long span.
type spanResult struct {
	series map[string][]Sample
	// note says why the answer may be incomplete ("" when it is not).
	note string
	err  error
}

// spanCache holds recent answers and the reads under way, so requests
// for the same span wait for one read rather than start their own.
type spanCache struct {
	reads   chan struct{} // a slot per stream read under way
	mu      sync.Mutex
	entries map[string]*spanEntry
}

type spanEntry struct {
	done chan struct{} // closed when res is set
	at   time.Time
	res  spanResult
}

// get returns the cached answer for key, or runs read once for every
// caller asking meanwhile. An error is not kept: the next request retries.
func (c *spanCache) get(ctx context.Context, key string, read func() spanResult) spanResult {
	now := time.Now()
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*spanEntry{}
	}
	e := c.entries[key]
	if e != nil && !e.at.IsZero() && now.Sub(e.at) > spanCacheTTL {
		delete(c.entries, key)
		e = nil
	}
	if e == nil {
		if len(c.entries) >= spanCacheMax {
			for k, old := range c.entries {
				if !old.at.IsZero() { // done: safe to forget
					delete(c.entries, k)
				}
			}
		}
		e = &spanEntry{done: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		res := read()
		c.mu.Lock()
		e.res, e.at = res, time.Now()
		if res.err != nil {
			delete(c.entries, key)
		}
		close(e.done)
		c.mu.Unlock()
		return res
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.res
	case <-ctx.Done():
		return spanResult{err: fmt.Errorf("fleet: waiting for the history: %w", ctx.Err())}
	}
}

// spanKey names an answer: the quantity, the span and the devices.
func spanKey(q, span string, ids []string) string {
	return q + "|" + span + "|" + strings.Join(ids, ",")
}

// readSpan reads quantity q of the devices ids (every device when none)
// over the last d from the history stream, averaged into spanPoints per
// device. It stops after HistoryMaxMessages readings or HistoryTimeout,
// and says so in the note. errNoStream when there is no stream to read.
func (s *Server) readSpan(ctx context.Context, q string, ids []string, d time.Duration) spanResult {
	name := s.opts.HistoryStream
	if name == "" {
		return spanResult{err: errNoStream}
	}
	qty, err := plotQuantity(q)
	if err != nil {
		return spanResult{err: err}
	}
	kind := qty.Kind
	ctx, cancel := context.WithTimeout(ctx, s.opts.HistoryTimeout)
	defer cancel()
	select {
	case s.spanCache.reads <- struct{}{}:
		defer func() { <-s.spanCache.reads }()
	case <-ctx.Done():
		return spanResult{err: fmt.Errorf("fleet: waiting for other history reads: %w", ctx.Err())}
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		return spanResult{err: fmt.Errorf("fleet: history: %w", err)}
	}
	st, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return spanResult{err: errNoStream}
	}
	if err != nil {
		return spanResult{err: fmt.Errorf("fleet: history stream %s: %w", name, err)}
	}
	filters := []string{s.subj.Sensors(kind)}
	if len(ids) > 0 {
		filters = filters[:0]
		for _, id := range ids {
			filters = append(filters, s.subj.For(id).Sensors(kind))
		}
	}
	now := time.Now()
	start := now.Add(-d)
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: filters,
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &start,
	})
	if err != nil {
		return spanResult{err: fmt.Errorf("fleet: reading history stream %s: %w", name, err)}
	}
	from, to := start.UnixMilli(), now.UnixMilli()+1
	byID := map[string]*buckets{}
	read, limit := 0, s.opts.HistoryMaxMessages
	var note string
	for {
		if read >= limit {
			note = fmt.Sprintf("stopped after %d readings (the most one span reads): the newest part is missing; plot fewer devices or raise the bound", read)
			break
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			return spanResult{err: fmt.Errorf("fleet: reading history stream %s: %w", name, ctx.Err())}
		}
		if ctx.Err() != nil {
			note = fmt.Sprintf("stopped after %v and %d readings: the newest part is missing", s.opts.HistoryTimeout, read)
			break
		}
		// No wait: the span is what is stored; a wait would add its length
		// to every answer.
		batch, err := cons.FetchNoWait(min(historyBatch, limit-read))
		if err != nil {
			if ctx.Err() != nil {
				continue // said above
			}
			return spanResult{err: fmt.Errorf("fleet: reading history stream %s: %w", name, err)}
		}
		got, pending := 0, uint64(0)
		for m := range batch.Messages() {
			got++
			read++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			pending = md.NumPending
			id, _, ok := wire.ParseReadingSubject(m.Subject())
			if !ok {
				continue
			}
			b := byID[id]
			if b == nil {
				if len(byID) >= s.opts.MaxDevices {
					continue
				}
				b = newBuckets(from, to, spanPoints)
				byID[id] = b
			}
			r, err := wire.DecodeReading(kind, m.Data(), nil)
			if err != nil {
				continue
			}
			// A value outside its physical range would make the mean
			// absurd, or infinite and the answer no JSON at all.
			if v, ok := r.Value(qty.Name); ok && isPhysical(qty.Name, v.Num) {
				b.add(md.Timestamp.UnixMilli(), v.Num)
			}
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil {
			return spanResult{err: fmt.Errorf("fleet: reading history stream %s: %w", name, err)}
		}
		if got == 0 || pending == 0 {
			break
		}
	}
	out := make(map[string][]Sample, len(byID))
	for id, b := range byID {
		if pts := b.samples(); len(pts) > 0 {
			out[id] = pts
		}
	}
	return spanResult{series: out, note: note}
}

// plotQuantity is the quantity named q (env.temperature_c,
// motion.accel_g.x: wire.Quantities), if it is a number to plot.
func plotQuantity(q string) (wire.Quantity, error) {
	qty, ok := wire.LookupQuantity(q)
	if !ok || qty.Word {
		return wire.Quantity{}, fmt.Errorf("fleet: %q is not a quantity to plot; give one of /fleet/quantities, e.g. env.temperature_c or motion.accel_g.x", q)
	}
	return qty, nil
}

// spanIDs checks and sorts the devices a span request names.
func spanIDs(raw []string) ([]string, error) {
	if len(raw) > spanMaxIDs {
		return nil, fmt.Errorf("fleet: %d devices named; name at most %d, or none for all", len(raw), spanMaxIDs)
	}
	ids := slices.Clone(raw)
	for _, id := range ids {
		if err := wire.CheckToken("id", id); err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}
