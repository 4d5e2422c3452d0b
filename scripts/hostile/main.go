// Command hostile is a device that tries to grow the fleet page: it
// answers discovery as --id (the micro service sensehat, endpoints under
// <prefix>.<id>), never replies to anything else when --mute, and
// otherwise publishes, --rounds times: --kinds made-up kinds of --size
// bytes each, then every kind of the contract padded to --size bytes with
// numbers no sensor gives (±1.7e308), those ten times a second until
// stopped. Its replies are --size bytes too. scripts/fleet-hostile.sh runs it
// against `sensehat web` and measures the page.
//
//	go run ./scripts/hostile --nats URL --id evil --kinds 1000 --size 100000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

func main() {
	url := flag.String("nats", nats.DefaultURL, "the NATS server")
	prefix := flag.String("prefix", "sensehat", "the subjects' prefix")
	id := flag.String("id", "evil", "the device id it answers discovery as")
	mute := flag.Bool("mute", false, "answer discovery only: no reply, no reading")
	kinds := flag.Int("kinds", 1000, "made-up kinds of reading published each round")
	size := flag.Int("size", 100_000, "bytes of each reading")
	rounds := flag.Int("rounds", 3, "rounds of readings")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *url, *prefix, *id, *mute, *kinds, *size, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, prefix, id string, mute bool, kinds, size, rounds int) error {
	nc, err := nats.Connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	svc, err := micro.AddService(nc, micro.Config{Name: "sensehat", Version: "0.0.1", Metadata: map[string]string{"id": id}})
	if err != nil {
		return err
	}
	defer func() { _ = svc.Stop() }()
	base := prefix + "." + id
	h := micro.HandlerFunc(func(r micro.Request) {
		if !mute {
			_ = r.Respond([]byte(`{"displayed":true,"id":"` + id + `","pad":"` + strings.Repeat("x", size) + `"}`))
		}
	})
	for name, subj := range map[string]string{"status": base + ".status", "text": base + ".led.text", "clear": base + ".led.clear", "all": prefix + ".all.led.text"} {
		if err := svc.AddEndpoint(name, h, micro.WithEndpointSubject(subj), micro.WithEndpointQueueGroupDisabled()); err != nil {
			return err
		}
	}
	if !mute {
		pad := strings.Repeat("p", size)
		contract := map[string]string{
			base + ".sensors.env":    `{"temperature_c":1.7e308,"pressure_hpa":-1.7e308,"humidity_pct":50,"pad":"` + pad + `"}`,
			base + ".sensors.motion": `{"accel_g":[1e300,0,1],"gyro_dps":[0,0,0],"roll_deg":1e9,"pitch_deg":0,"pad":"` + pad + `"}`,
			base + ".sensors.colour": `{"red":1e308,"pad":"` + pad + `"}`,
			base + ".joystick.up":    `{"key":"` + pad + `","action":"pressed"}`,
		}
		junk := []byte(`{"v":1,"pad":"` + pad + `"}`)
		for range rounds {
			for i := range kinds {
				if err := nc.Publish(fmt.Sprintf("%s.sensors.k%d", base, i), junk); err != nil {
					return err
				}
			}
			for subj, body := range contract {
				if err := nc.Publish(subj, []byte(body)); err != nil {
					return err
				}
			}
			if err := nc.Flush(); err != nil {
				return err
			}
		}
		fmt.Println("ready")
		// The contract's kinds keep coming, ten a second, as a device's
		// readings do: the page keeps them once it has discovered the id.
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				for subj, body := range contract {
					if err := nc.Publish(subj, []byte(body)); err != nil {
						return err
					}
				}
			}
		}
	}
	fmt.Println("ready")
	<-ctx.Done()
	return nil
}
