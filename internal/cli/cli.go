// Package cli is the laptop tool `sensehat`, a file per subcommand (say,
// status, watch, history, web, emulate, ha-remove, fleet, simulate,
// config) in the command table of cli.go. Each parses its own flags; the
// connection flags are shared and named as the nats CLI names them.
// Everything it prints leaves through one function that escapes what a
// terminal would act on (termsafe.go), because most of it comes from
// devices on the network.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/natsconn"
	"github.com/sensehat/sensehat/internal/version"
	"github.com/sensehat/sensehat/internal/wire"
)

// App is one invocation of the tool. Stdout and Stderr default to the
// process's; tests set them.
type App struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

func (a *App) init() {
	if a.Stdout == nil {
		a.Stdout = os.Stdout
	}
	if a.Stderr == nil {
		a.Stderr = os.Stderr
	}
	if a.Getenv == nil {
		a.Getenv = os.Getenv
	}
}

const usage = `sensehat: drive Sense HATs over NATS

Usage:
  sensehat say [--id ID|--all|--any] [--color C] [--background C] [--speed N] [--replace] TEXT...
  sensehat status                      every device found, as a table
  sensehat watch [joystick|env|motion|colour]
                                       live events and readings
  sensehat emulate [--nats-listen ADDR] [--mqtt-listen ADDR] [--http ADDR] [--http-host NAME] [--nats URL] [--terminal]
  sensehat ha-remove --id ID [--ha-prefix P]
                                       remove a decommissioned device from Home Assistant
  sensehat web [--http ADDR] [--http-host NAME] [--every D] [--history-stream S]
                                       the fleet page: every device, its matrix,
                                       plots of its readings, actions
  sensehat history --id ID [--since 2h] [--until TIME] [--csv|--json] [--kind K] [--stream NAME] [--domain D]
                                       stored readings (store and forward)
  sensehat fleet init|add|remove|creds|list|push|leaf-conf ...
                                       the fleet's identities (sensehat fleet --help)
  sensehat simulate --devices N [--first N] [--env-interval D] [--motion-interval D] [--joystick-every D] [--leaf URLS]
                                       N simulated boards (sim-0001...), for load tests
  sensehat config get|set|unset|diff ID|--all [key=value ...]
                                       desired state per device, revision-checked
                                       (docs/desired-state.md)
  sensehat catchup [--fleet DIR] [--stream S] [--domain D]
                                       beside the hub: a Pi's backlog is sourced as
                                       soon as the Pi is back (RELIABILITY.md)
  sensehat version

Connection flags (every subcommand): --nats URL (env NATS_URL), --creds,
--nkey, --user, --password, --tlscert, --tlskey, --tlsca, --prefix.
`

// commands are the subcommands, by the name on the command line.
var commands = map[string]func(a *App, ctx context.Context, args []string) error{
	"say":       (*App).say,
	"status":    (*App).status,
	"watch":     (*App).watch,
	"emulate":   (*App).emulate,
	"ha-remove": (*App).haRemove,
	"web":       (*App).web,
	"history":   (*App).history,
	"fleet":     (*App).fleet,
	"simulate":  (*App).simulate,
	"config":    (*App).config,
	"catchup":   (*App).catchup,
}

// Run runs the subcommand in args and returns the exit code.
func (a *App) Run(ctx context.Context, args []string) int {
	a.init()
	if len(args) == 0 {
		fmt.Fprint(a.Stderr, usage)
		return 2
	}
	// Every byte the commands write goes through a termWriter (termsafe.go),
	// but for the emulator's terminal view, which draws the matrix with
	// escape sequences of its own making.
	out, errOut := newTermWriter(a.Stdout), newTermWriter(a.Stderr)
	defer out.Flush()
	defer errOut.Flush()
	raw, wrapped := a.Stdout, *a
	wrapped.Stdout, wrapped.Stderr = out, errOut
	a = &wrapped
	var err error
	if cmd, ok := commands[args[0]]; ok {
		if args[0] == "emulate" {
			a.Stdout = raw
		}
		err = cmd(a, ctx, args[1:])
	} else {
		switch args[0] {
		case "version", "--version", "-version":
			fmt.Fprintln(a.Stdout, version.String("sensehat"))
			return 0
		case "help", "-h", "--help":
			fmt.Fprint(a.Stdout, usage)
			return 0
		default:
			fmt.Fprintf(a.Stderr, "sensehat: unknown command %q\n\n%s", args[0], usage)
			return 2
		}
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	// Errors quote device replies and server messages: escape them.
	fmt.Fprintln(a.Stderr, "sensehat:", termSafeLines(err.Error()))
	return 1
}

var errUsage = errors.New("usage")

// conn holds the shared connection flags.
type conn struct {
	natsconn.Settings
	Prefix string
}

func (c *conn) flags(fs *flag.FlagSet, getenv func(string) string) {
	url := getenv("NATS_URL")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	fs.StringVar(&c.URL, "nats", url, "NATS server URL(s) (env NATS_URL)")
	fs.StringVar(&c.Creds, "creds", getenv("NATS_CREDS"), "NATS credentials file")
	fs.StringVar(&c.NKey, "nkey", getenv("NATS_NKEY"), "NATS NKey seed file")
	fs.StringVar(&c.User, "user", getenv("NATS_USER"), "NATS user name")
	fs.StringVar(&c.Password, "password", getenv("NATS_PASSWORD"), "NATS password")
	fs.StringVar(&c.TLSCert, "tlscert", getenv("NATS_CERT"), "TLS client certificate")
	fs.StringVar(&c.TLSKey, "tlskey", getenv("NATS_KEY"), "TLS client key")
	fs.StringVar(&c.TLSCA, "tlsca", getenv("NATS_CA"), "TLS CA to verify the server")
	fs.StringVar(&c.Prefix, "prefix", wire.DefaultPrefix, "first subject token")
}

// connect dials once, without the daemon's retry-forever: a person at a
// terminal wants to hear at once that the server is not there.
func (c *conn) connect() (*nats.Conn, error) {
	c.Name = "sensehat cli"
	opts, err := natsconn.Options(c.Settings, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	opts = append(opts, nats.RetryOnFailedConnect(false), nats.MaxReconnects(0))
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", natsconn.Redact(c.URL), natsconn.Explain(err))
	}
	return nc, nil
}

// flagSet is the flag set of subcommand name with the connection flags
// every subcommand shares (--nats, credentials, TLS, --prefix).
func (a *App) flagSet(name, synopsis string) (*flag.FlagSet, *conn) {
	fs := newFlagSet(name, a.Stderr, synopsis)
	c := &conn{}
	c.flags(fs, a.Getenv)
	return fs, c
}

// parseNoArgs parses the flags of a command that takes no arguments
// besides them.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	return nil
}

func newFlagSet(name string, out io.Writer, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("sensehat "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: sensehat %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// serviceError returns the micro error carried in a reply's headers, if any.
func serviceError(m *nats.Msg) error {
	if m.Header == nil {
		return nil
	}
	if code := m.Header.Get("Nats-Service-Error-Code"); code != "" {
		return fmt.Errorf("device refused (%s): %s", termSafe(code), termSafe(m.Header.Get("Nats-Service-Error")))
	}
	return nil
}
