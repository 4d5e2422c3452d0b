package daemon

import (
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat"
)

func TestMiddlePressShowsIDWhenIdle(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	r := start(t, simConfig(t, srv.URL(), "pi1"))
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

// BenchmarkJoystickEvent is one joystick event encoded and published.
// With the Nats-Msg-Id header it reports 2 allocs/op (0 without): both are
// the header block nats.go's Msg.headerBytes builds on every PublishMsg;
// the id itself is written in place (msgid.go).
func BenchmarkJoystickEvent(b *testing.B) {
	srv := testutil.StartServer(b, nil)
	nc := connect(b, srv.URL())
	d := &Daemon{nc: nc}
	d.Config.Prefix, d.Config.ID = "sensehat", "pi1"
	p := &publisher{d: d}
	p.ids.init(d.Config.ID)
	for k := sensehat.KeyUp; k <= sensehat.KeyMiddle; k++ {
		p.joySubj[k] = "sensehat.pi1.joystick." + k.String()
	}
	ev := sensehat.Event{Key: sensehat.KeyUp, Action: sensehat.Pressed, Time: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		p.joystick(ev)
	}
}
