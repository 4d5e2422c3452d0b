// Command sensehat is the laptop side of sensehat: it sends text to the
// devices, lists them, watches their events and emulates a Sense HAT in the
// browser. See README.md and docs/.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sensehat/sensehat/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := (&cli.App{}).Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
