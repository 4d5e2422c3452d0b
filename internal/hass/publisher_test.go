package hass

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/testutil"
)

// Discovery goes out at start, again on Home Assistant's birth message,
// and again after a reconnect to
// a restarted server, which kept nothing: nats-server retains no message
// published from the NATS side.
func TestPublisherResends(t *testing.T) {
	testutil.CheckLeaks(t)
	port := testutil.FreePort(t)
	srv := testutil.StartServer(t, &server.Options{Port: port})

	var pub atomic.Pointer[Publisher]
	nc, err := nats.Connect(srv.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.ReconnectHandler(func(*nats.Conn) { pub.Load().Resend() }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	dev := testDevice(t)
	p, err := Start(nc, dev, func() Board { return fullBoard }, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub.Store(p)
	testutil.WaitFor(t, 15*time.Second, "discovery at start", func() bool { return p.Sent() == 1 })

	other := testutil.Connect(t, srv.URL())
	if err := other.Publish(dev.HA.Status(), []byte(Online)); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 15*time.Second, "discovery after the birth message", func() bool { return p.Sent() == 2 })

	srv.Shutdown()
	srv.WaitForShutdown()
	testutil.StartServer(t, &server.Options{Port: port})
	testutil.WaitFor(t, 15*time.Second, "discovery after a reconnect", func() bool { return p.Sent() == 3 })

	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// Start refuses a device it cannot describe.
func TestStartRefusesAnEmptyDevice(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	nc := testutil.Connect(t, srv.URL())
	if _, err := Start(nc, Device{}, func() Board { return Board{} }, nil); err == nil {
		t.Error("Start with an empty device succeeded")
	}
}

// Home Assistant's birth payload is "online", its last will "offline"
// (https://www.home-assistant.io/integrations/mqtt/#birth-and-last-will-messages).
func TestIsBirth(t *testing.T) {
	for in, want := range map[string]bool{"online": true, "online\n": true, "offline": false, "": false, "Online": false} {
		if got := isBirth([]byte(in)); got != want {
			t.Errorf("isBirth(%q) = %v, want %v", in, got, want)
		}
	}
}

// A magnetometer calibrated after start adds yaw and heading: the periodic
// look at the board finds the change and announces the device again, with
// them; in between, "online" keeps coming.
func TestPublisherAnnouncesABoardThatChanged(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	nc := testutil.Connect(t, srv.URL())
	dev := testDevice(t)
	msgs := make(chan *nats.Msg, 256)
	sub, err := nc.ChanSubscribe(dev.ConfigSubject(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	online := make(chan *nats.Msg, 256)
	asub, err := nc.ChanSubscribe(dev.Subjects.Availability(), online)
	if err != nil {
		t.Fatal(err)
	}
	defer asub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	var calibrated atomic.Bool
	board := func() Board {
		b := Board{Temperature: true, Motion: true}
		b.Heading = calibrated.Load()
		return b
	}
	p, err := start(nc, dev, board, nil, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	first := <-msgs
	if hasComponent(t, first.Data, "heading") {
		t.Fatal("heading announced before calibration")
	}
	for i := 0; i < 3; i++ {
		select {
		case m := <-online:
			if string(m.Data) != Online {
				t.Fatalf("availability %q", m.Data)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("online not repeated")
		}
	}
	calibrated.Store(true)
	select {
	case m := <-msgs:
		if !hasComponent(t, m.Data, "heading") || !hasComponent(t, m.Data, "yaw") {
			t.Errorf("after calibration: %s", m.Data)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the calibrated board was not announced again")
	}
	if err := p.Stop(); err != nil {
		t.Error(err)
	}
	// The last availability message is offline. Stop published it on
	// this connection, so after a round trip it is in the channel.
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	var last string
	for len(online) > 0 {
		last = string((<-online).Data)
	}
	if last != Offline {
		t.Errorf("last availability %q after Stop, want offline", last)
	}
}

func hasComponent(t *testing.T, msg []byte, key string) bool {
	t.Helper()
	_, ok := decode(t, msg)["components"].(map[string]any)[key]
	return ok
}
