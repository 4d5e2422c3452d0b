// Command sensehatd puts a Raspberry Pi Sense HAT on a NATS network: it
// scrolls text sent to <prefix>.<id>.led.text, answers <prefix>.<id>.status
// and publishes joystick events and sensor readings. See README.md and docs/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/daemon"
	"github.com/sensehat/sensehat/internal/version"
)

// stopSignals all stop the daemon cleanly: cut the scroll, clear the
// matrix, drain NATS, exit 0. SIGHUP is among them because its default
// action kills the process with the matrix still lit; it comes when the
// terminal of a shell that started the daemon goes away, or from
// `kill -HUP` out of habit. It does not reload: settings come from flags
// and the environment, which only a new process reads, so under systemd
// change them with `systemctl restart sensehatd` (the unit has no
// ExecReload, so `systemctl reload` is refused).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	cfg := config.DefaultConfig()
	if err := cfg.Parse("sensehatd", args, os.Getenv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "sensehatd:", err)
		return 2
	}
	if cfg.ShowVersion {
		fmt.Println(version.String("sensehatd"))
		return 0
	}
	// journald adds timestamps; a plain text handler keeps lines short.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel, ReplaceAttr: dropTime}))
	d := &daemon.Daemon{Config: cfg, Log: log}
	if err := d.Run(ctx); err != nil {
		log.Error("sensehatd stopped", "err", err)
		return 1
	}
	return 0
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}
