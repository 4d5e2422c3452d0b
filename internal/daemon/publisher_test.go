package daemon

import (
	"testing"
	"time"

	"github.com/sensehat/sensehat/sensehat"
)

func TestMiddlePressShowsIDWhenIdle(t *testing.T) {
	_, r := startPi1(t, startOpts{})
	r.hat.ATtiny.Press(sensehat.KeyMiddle)
	deadline := time.Now().Add(5 * time.Second)
	for r.d.player.Status().Showing == "" {
		if time.Now().After(deadline) {
			t.Fatal("middle press showed nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := r.d.player.Status().Showing; len(got) < 4 || got[:4] != "pi1 " {
		t.Errorf("showing %q, want the id then the address", got)
	}
}
