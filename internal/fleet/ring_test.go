package fleet

import (
	"testing"
	"time"
)

func TestRingKeepsTheNewestInOrder(t *testing.T) {
	r := newRing(3)
	if _, ok := r.last(); ok {
		t.Fatal("empty ring has a last sample")
	}
	for i := int64(1); i <= 5; i++ {
		r.add(Sample{T: i * 1000, V: float64(i)})
	}
	got := r.since(time.UnixMilli(0))
	if len(got) != 3 || got[0].V != 3 || got[1].V != 4 || got[2].V != 5 {
		t.Errorf("since(0) = %v, want values 3, 4, 5", got)
	}
	if got := r.since(time.UnixMilli(4000)); len(got) != 2 || got[0].V != 4 {
		t.Errorf("since(4s) = %v, want 4, 5", got)
	}
	if s, _ := r.last(); s.V != 5 {
		t.Errorf("last = %v, want 5", s)
	}
}
