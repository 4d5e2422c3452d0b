package health

import (
	"errors"
	"testing"
)

func TestRecordCountsAndRemembersLast(t *testing.T) {
	var r Registry
	r.Record("hts221", nil)
	if s := r.Snapshot(); len(s.Counts) != 0 || s.LastAt != nil {
		t.Fatalf("nil error recorded: %+v", s)
	}
	r.Record("hts221", errors.New("nack"))
	r.Record("hts221", errors.New("short read"))
	r.Record("nats", errors.New("disconnected"))
	s := r.Snapshot()
	if s.Counts["hts221"] != 2 || s.Counts["nats"] != 1 || r.Count("hts221") != 2 {
		t.Errorf("counts = %v", s.Counts)
	}
	if s.Last != "nats: disconnected" || s.LastAt == nil {
		t.Errorf("last = %q at %v", s.Last, s.LastAt)
	}
	s.Counts["hts221"] = 99
	if r.Count("hts221") != 2 {
		t.Error("snapshot shares the registry's map")
	}
}
