package fleet

import "time"

// Sample is one reading of one quantity.
type Sample struct {
	T int64   `json:"t"` // Unix milliseconds
	V float64 `json:"v"`
}

// ring keeps the newest samples of one quantity in a fixed array: memory
// is bounded however long the page runs.
type ring struct {
	buf  []Sample
	next int
	full bool
}

func newRing(n int) *ring { return &ring{buf: make([]Sample, n)} }

func (r *ring) add(s Sample) {
	r.buf[r.next] = s
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// last returns the newest sample, ok false when there is none.
func (r *ring) last() (Sample, bool) {
	if !r.full && r.next == 0 {
		return Sample{}, false
	}
	i := r.next - 1
	if i < 0 {
		i = len(r.buf) - 1
	}
	return r.buf[i], true
}

// since returns the samples not older than t, oldest first.
func (r *ring) since(t time.Time) []Sample {
	ms := t.UnixMilli()
	var out []Sample
	add := func(s []Sample) {
		for _, x := range s {
			if x.T >= ms {
				out = append(out, x)
			}
		}
	}
	if r.full {
		add(r.buf[r.next:])
	}
	add(r.buf[:r.next])
	return out
}
