// Command idlefloor is the floor of the daemon's idle cost: a bare nats.go
// client publishing what an idle sensehatd publishes, at the same rates and
// sizes (ten sensors.motion and one sensors.env a second, and one
// sensors.colour a second when -colour is set), with no hardware, no
// display and no service. Like the daemon's, each message carries a
// Nats-Msg-Id header numbered per kind (store and forward needs it), so
// the two send the same bytes. scripts/idle-cpu.sh runs it beside the
// daemon.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/wire"
)

func main() {
	url := flag.String("nats", nats.DefaultURL, "server")
	id := flag.String("id", "floor", "device id of the subjects")
	colour := flag.Bool("colour", true, "also publish sensors.colour once a second")
	flag.Parse()
	if err := run(*url, *id, *colour); err != nil {
		fmt.Fprintln(os.Stderr, "idlefloor:", err)
		os.Exit(1)
	}
}

func run(url, id string, colour bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nc, err := nats.Connect(url)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", url, err)
	}
	defer nc.Close()
	s := wire.Subjects{Prefix: wire.DefaultPrefix, ID: id}
	// Payloads the size of the daemon's on the simulated HAT at rest.
	env := []byte(`{"temperature_c":21.50,"temperature_raw_c":21.50,"humidity_pct":45.00,"pressure_hpa":1013.25,"time":"2026-01-01T12:00:00.123456789Z"}`)
	mot := []byte(`{"accel_g":[0.0000,0.0000,1.0000],"gyro_dps":[0.00,0.00,0.00],"mag_ut":[20.00,0.00,-40.00],"roll_deg":0.00,"pitch_deg":0.00,"time":"2026-01-01T12:00:00.123456789Z"}`)
	col := []byte(`{"red":100,"green":100,"blue":100,"clear":100,"red_raw":400,"green_raw":400,"blue_raw":400,"clear_raw":400,"gain":1,"integration_cycles":1,"integration_time_ms":2.4,"max_raw":1024,"time":"2026-01-01T12:00:00.123456789Z"}`)
	motT := time.NewTicker(100 * time.Millisecond)
	defer motT.Stop()
	envT := time.NewTicker(time.Second)
	defer envT.Stop()
	var colC <-chan time.Time
	if colour {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		colC = t.C
	}
	// One message per kind, its id rewritten in place, as the daemon does.
	msgs := map[string]*nats.Msg{}
	counts := map[string]uint64{}
	publish := func(kind, subj string, data []byte) error {
		m := msgs[kind]
		if m == nil {
			m = &nats.Msg{Subject: subj, Data: data, Header: nats.Header{nats.MsgIdHdr: []string{""}}}
			msgs[kind] = m
		}
		counts[kind]++
		m.Header[nats.MsgIdHdr][0] = id + "-000000000000-" + kind + "-" + strconv.FormatUint(counts[kind], 10)
		return nc.PublishMsg(m)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-motT.C:
			err = publish("motion", s.Motion(), mot)
		case <-envT.C:
			err = publish("env", s.Env(), env)
		case <-colC:
			err = publish("colour", s.Colour(), col)
		}
		if err != nil {
			return fmt.Errorf("publishing: %w", err)
		}
	}
}
