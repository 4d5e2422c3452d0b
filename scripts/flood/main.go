// Command flood sends one kind of request to a sensehat device as fast as
// it can, each with its own reply subject, and counts the answers by their
// Nats-Service-Error-Code. scripts/flood-rss.sh runs it against the real
// daemon to find the peak memory and thread count a unit limit must allow.
//
//	go run ./scripts/flood --nats URL --user laptop --password ... \
//	    --id flood --kind pixels --count 2000
//
// Kinds: text (~1 KiB JSON texts to <id>.led.text), all and any (the same
// to the fan-out subjects), pixels (a valid JSON array of 64 colours padded
// with spaces to --size bytes), pixels-bad (a JSON array of --size bytes of
// small numbers, which the daemon must read through before refusing it)
// and status (empty requests to <id>.status).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/sensehat/sensehat/internal/wire"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// config is what the flags set.
type config struct {
	url, user, password string
	prefix, id, kind    string
	count, size, conns  int
	wait                time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var c config
	fs := flag.NewFlagSet("flood", flag.ContinueOnError)
	fs.StringVar(&c.url, "nats", "nats://127.0.0.1:4222", "server URL")
	fs.StringVar(&c.user, "user", "", "user name")
	fs.StringVar(&c.password, "password", "", "password")
	fs.StringVar(&c.prefix, "prefix", "sensehat", "subject prefix")
	fs.StringVar(&c.id, "id", "", "device id (required)")
	fs.StringVar(&c.kind, "kind", "text", "text, all, any, pixels, pixels-bad or status")
	fs.IntVar(&c.count, "count", 10000, "requests to send")
	fs.IntVar(&c.size, "size", 1_000_000, "payload size for pixels and pixels-bad")
	fs.IntVar(&c.conns, "conns", 2, "connections sending side by side")
	fs.DurationVar(&c.wait, "wait", 3*time.Second, "stop waiting for answers after this long without one")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "flood:", err)
		os.Exit(1)
	}
}

// payloadFor builds the request body of a kind.
func payloadFor(c config) (subject string, data []byte, err error) {
	subj := wire.Subjects{Prefix: c.prefix, ID: c.id}
	switch c.kind {
	case "text", "all", "any":
		target := subj
		if c.kind != "text" {
			target = subj.For(c.kind)
		}
		// ~1 KiB: 1000 runes is the most a text may hold.
		return target.Text(), []byte(`{"text":"` + strings.Repeat("flood ", 166) + `","speed":100}`), nil
	case "pixels":
		var b bytes.Buffer
		b.WriteByte('[')
		for i := 0; i < 64; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"#ff8800"`)
		}
		if c.size > b.Len()+1 {
			b.Write(bytes.Repeat([]byte{' '}, c.size-b.Len()-1))
		}
		b.WriteByte(']')
		return subj.Pixels(), b.Bytes(), nil
	case "pixels-bad":
		// "0," repeated: about size/2 array elements, the most work per
		// byte for a JSON array reader.
		n := (c.size - 2) / 2
		b := bytes.Repeat([]byte("0,"), n)
		b[len(b)-1] = ']'
		return subj.Pixels(), append([]byte{'['}, b...), nil
	case "status":
		return subj.Status(), nil, nil
	}
	return "", nil, fmt.Errorf("unknown --kind %q; use text, all, any, pixels, pixels-bad or status", c.kind)
}

func run(ctx context.Context, c config) error {
	if c.id == "" {
		return errors.New("--id is required")
	}
	subject, data, err := payloadFor(c)
	if err != nil {
		return err
	}
	// A machine busy with the flood itself can take more than nats.go's
	// 2 s to connect.
	opts := []nats.Option{nats.Name("flood"), nats.MaxReconnects(-1), nats.Timeout(20 * time.Second)}
	if c.user != "" {
		opts = append(opts, nats.UserInfo(c.user, c.password))
	}
	// One connection takes the answers; the senders only publish.
	rc, err := nats.Connect(c.url, opts...)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", c.url, err)
	}
	defer rc.Close()
	inbox := nats.NewInbox()
	var answered atomic.Int64
	var mu sync.Mutex
	codes := map[string]int{}
	last := make(chan struct{}, 1)
	sub, err := rc.Subscribe(inbox+".*", func(m *nats.Msg) {
		code := m.Header.Get("Nats-Service-Error-Code")
		if code == "" {
			code = "ok"
		}
		mu.Lock()
		codes[code]++
		mu.Unlock()
		answered.Add(1)
		select {
		case last <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return fmt.Errorf("subscribing to the answers: %w", err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return err
	}
	if err := rc.Flush(); err != nil {
		return err
	}

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, c.conns)
	for w := 0; w < c.conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			nc, err := nats.Connect(c.url, opts...)
			if err != nil {
				errs <- err
				return
			}
			defer nc.Close()
			for i := w; i < c.count; i += c.conns {
				if ctx.Err() != nil {
					return
				}
				if err := nc.PublishRequest(subject, fmt.Sprintf("%s.%d", inbox, i), data); err != nil {
					errs <- fmt.Errorf("publishing request %d: %w", i, err)
					return
				}
			}
			if err := nc.Flush(); err != nil {
				errs <- err
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	sent := time.Since(start)

	// Answers trickle in (a text that was queued answers once shown):
	// wait until they stop or all are in.
wait:
	for answered.Load() < int64(c.count) {
		select {
		case <-last:
		case <-time.After(c.wait):
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var parts []string
	for _, k := range []string{"ok", "400", "413", "503"} {
		if codes[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, codes[k]))
		}
	}
	for k, v := range codes {
		if k != "ok" && k != "400" && k != "413" && k != "503" {
			parts = append(parts, fmt.Sprintf("%s %d", k, v))
		}
	}
	fmt.Printf("%s: %d requests of %d bytes sent in %.1fs; answers: %s; unanswered %d\n",
		c.kind, c.count, len(data), sent.Seconds(), strings.Join(parts, ", "), int64(c.count)-answered.Load())
	return nil
}
