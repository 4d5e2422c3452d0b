package none

import (
	"testing"

	"github.com/sensehat/sensehat/display"
)

func TestDiscardsAndCounts(t *testing.T) {
	d := New()
	f := display.NewFrame()
	for i := 0; i < 3; i++ {
		if err := d.Show(f); err != nil {
			t.Fatal(err)
		}
	}
	if d.Frames() != 3 {
		t.Fatalf("Frames() = %d, want 3", d.Frames())
	}
	if d.String() != "none" || d.Halt() != nil {
		t.Fatal("String/Halt")
	}
}

func TestZeroValueConcurrent(t *testing.T) {
	// The zero Dev works, and the player and a status handler may use it
	// from different goroutines.
	var d Dev
	f := display.NewFrame()
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 100 {
				if err := d.Show(f); err != nil {
					t.Error(err)
				}
				_ = d.Frames()
			}
		}()
	}
	for range 4 {
		<-done
	}
	if got := d.Frames(); got != 400 {
		t.Fatalf("Frames() = %d, want 400", got)
	}
}

func BenchmarkShow(b *testing.B) {
	d := New()
	f := display.NewFrame()
	b.ReportAllocs()
	for b.Loop() {
		d.Show(f)
	}
}
