package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/wire"
)

// Console line prefixes the host side looks for.
const (
	envPrefix    = "IIOVM-ENV "
	motionPrefix = "IIOVM-MOTION "
)

// serve runs a NATS server on 127.0.0.1:4222, the daemon's default, and
// prints the first sensors.env payload with pressure and the first
// sensors.motion payload with the magnetometer: earlier ones may lack a
// chip the daemon had not opened yet.
func serve(out io.Writer, timeout time.Duration) error {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: 4222, NoSigs: true})
	if err != nil {
		return fmt.Errorf("serve: nats-server: %w", err)
	}
	go ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		return errors.New("serve: nats-server not ready within 10s")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer nc.Close()
	msgs := make(chan *nats.Msg, 64)
	sub, err := nc.ChanSubscribe(wire.Subjects{Prefix: wire.DefaultPrefix, ID: "*"}.Sensors("*"), msgs)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer sub.Unsubscribe()

	// The first quantity of each chip that opens last.
	need := map[string]string{wire.KindEnv: wire.KindEnv + "." + wire.FieldPressureHPa, wire.KindMotion: wire.KindMotion + "." + wire.FieldMagUT + ".x"}
	prefix := map[string]string{"env": envPrefix, "motion": motionPrefix}
	deadline := time.After(timeout)
	for len(need) > 0 {
		select {
		case m := <-msgs:
			_, kind, ok := wire.ParseReadingSubject(m.Subject)
			quantity, needed := need[kind]
			if !ok || !needed {
				continue
			}
			r, err := wire.DecodeReading(kind, m.Data, nil)
			if _, has := r.Value(quantity); err != nil || !has {
				continue
			}
			fmt.Fprintf(out, "%s%s\n", prefix[kind], m.Data)
			delete(need, kind)
		case <-deadline:
			return fmt.Errorf("serve: no complete %v payload within %v", need, timeout)
		}
	}
	return nil
}
