// Package config holds the daemon's configuration: its defaults, the flags
// and the SENSEHAT_* environment variables that mirror them, so the systemd
// unit can read /etc/default/sensehatd and a shell user can type flags.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat/sysfs"
)

// Config is everything sensehatd can be told.
type Config struct {
	// NATS connection, named as the nats CLI names them.
	NATS     string
	Creds    string
	NKey     string
	User     string
	Password string
	TLSCert  string
	TLSKey   string
	TLSCA    string

	// ID is the device id, one subject token. Prefix is the first token.
	ID     string
	Prefix string

	Display  Backend
	Joystick Backend
	Sensors  Backend

	Rotation       int
	LowLight       bool
	EnvInterval    time.Duration
	MotionInterval time.Duration
	// ResendWindow, when set, resends the readings and joystick events of
	// that last stretch after a lost connection, for a local JetStream
	// stream to store what the closing socket swallowed (its duplicate
	// window drops the rest). 0, the default, never resends: plain
	// subscribers would see repeats.
	ResendWindow time.Duration
	// ColourInterval, ColourGain and ColourCycles drive the colour sensor
	// of a Sense HAT v2 or Astro Pi unit (see colour.go).
	ColourInterval time.Duration
	ColourGain     int
	ColourCycles   int
	// TempFactor is F in the CPU-heat compensation; 0 turns it off.
	TempFactor float64
	// StateDir keeps the magnetometer calibration across restarts; systemd
	// sets STATE_DIRECTORY for StateDirectory=.
	StateDir string
	LogLevel slog.Level
	// SysfsRoot is where the kernel's devices are looked up (framebuffer,
	// input device, bound I2C drivers, IIO sensors); tests and the
	// end-to-end checks point it at a tree of their own.
	SysfsRoot string

	// HAPrefix is Home Assistant's MQTT discovery prefix; "" or "none"
	// turns discovery off (see HADiscovery).
	HAPrefix string

	// DesiredDomain is the JetStream domain holding the desired-state
	// bucket: "" for the server's own JetStream (a hub the daemon talks to
	// directly, or a mirror of the bucket on the Pi's leaf), "hub" to
	// reach the hub's through a leaf (docs/desired-state.md).
	DesiredDomain string
	// DesiredMirror is the JetStream domain of the Pi's own nats-server
	// (sensehat-<id> with store and forward), in which the daemon keeps a
	// copy of its two keys and reads it while the hub cannot be
	// reached; "" keeps none.
	DesiredMirror string
	// Desired turns the desired-state watch on (--desired, default on).
	Desired bool

	// ShowVersion is set by --version: print and exit.
	ShowVersion bool
}

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{
		NATS:           "nats://127.0.0.1:4222",
		ID:             DefaultID(),
		Prefix:         wire.DefaultPrefix,
		Display:        Backend{Kind: KindAuto},
		Joystick:       Backend{Kind: KindAuto},
		Sensors:        Backend{Kind: KindAuto},
		EnvInterval:    time.Second,
		MotionInterval: 100 * time.Millisecond,
		ColourInterval: time.Second,
		ColourGain:     1,
		ColourCycles:   1,
		TempFactor:     1.6,
		StateDir:       "/var/lib/sensehatd",
		LogLevel:       slog.LevelInfo,
		SysfsRoot:      sysfs.Root,
		HAPrefix:       "homeassistant",
		Desired:        true,
	}
}

// DefaultID is the hostname made into a valid subject token, or "sensehat"
// when the hostname gives nothing usable.
func DefaultID() string {
	h, err := os.Hostname()
	if err != nil {
		return "sensehat"
	}
	id := SanitizeID(h)
	if id == "" || reservedID(id) {
		return "sensehat"
	}
	return id
}

// SanitizeID lower-cases s, keeps the first DNS label and replaces every
// byte that may not appear in a NATS subject token with '-'.
func SanitizeID(s string) string {
	s, _, _ = strings.Cut(s, ".")
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

func reservedID(id string) bool { return id == "all" || id == "any" }

// validToken reports whether s can be one NATS subject token.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r == '.' || r == '*' || r == '>' || r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// Validate checks the configuration as a whole.
func (c *Config) Validate() error {
	var errs []error
	if !validToken(c.ID) {
		errs = append(errs, fmt.Errorf("config: --id %q is not a valid subject token; use letters, digits, '-' or '_'", c.ID))
	} else if reservedID(c.ID) {
		errs = append(errs, fmt.Errorf("config: --id %q is reserved for fan-out subjects; choose another id", c.ID))
	}
	if !validToken(c.Prefix) {
		errs = append(errs, fmt.Errorf("config: --prefix %q is not a valid subject token", c.Prefix))
	}
	switch c.Rotation {
	case 0, 90, 180, 270:
	default:
		errs = append(errs, fmt.Errorf("config: --rotation %d; use 0, 90, 180 or 270", c.Rotation))
	}
	if c.EnvInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("config: --env-interval %v is too short; use 10ms or more", c.EnvInterval))
	}
	if c.ResendWindow < 0 || c.ResendWindow > 2*time.Minute {
		errs = append(errs, fmt.Errorf("config: --resend-window %v: use 0 (off) up to 2m, the device stream's duplicate window (deploy/nats/pi-stream.json)", c.ResendWindow))
	}
	if c.MotionInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("config: --motion-interval %v is too short; use 10ms or more", c.MotionInterval))
	}
	errs = append(errs, c.validateColour()...)
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("config: --tlscert and --tlskey go together; give both or neither"))
	}
	if c.User == "" && c.Password != "" {
		errs = append(errs, errors.New("config: --password without --user"))
	}
	if _, _, err := c.HADiscovery(); err != nil {
		errs = append(errs, err)
	}
	if c.DesiredMirror != "" && (!validToken(c.DesiredMirror) || c.DesiredDomain == "" || c.DesiredDomain == c.DesiredMirror) {
		errs = append(errs, fmt.Errorf("config: --desired-mirror %q: give the Pi's own JetStream domain (sensehat-<id>), with --desired-domain naming the hub's (hub)", c.DesiredMirror))
	}
	if c.TempFactor < 0 {
		errs = append(errs, fmt.Errorf("config: --temp-factor %v; use 0 (off) or a positive factor such as 1.6", c.TempFactor))
	}
	return errors.Join(errs...)
}

// HADiscovery returns the discovery prefix's subjects and whether
// discovery is on. "none" is off as "" is, because an empty environment
// variable cannot be told from an unset one.
func (c Config) HADiscovery() (wire.HomeAssistant, bool, error) {
	if c.HAPrefix == "" || c.HAPrefix == "none" {
		return wire.HomeAssistant{}, false, nil
	}
	h, err := wire.NewHomeAssistant(c.HAPrefix)
	if err != nil {
		return wire.HomeAssistant{}, false, fmt.Errorf("config: --ha-prefix: %w", err)
	}
	return h, true, nil
}

// FlagSet returns the daemon's flags bound to c. Each flag's default is
// the value c holds, so apply environment variables before calling it.
func (c *Config) FlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.NATS, "nats", c.NATS, "NATS server URL(s), comma separated (env NATS_URL)")
	fs.StringVar(&c.Creds, "creds", c.Creds, "NATS credentials file")
	fs.StringVar(&c.NKey, "nkey", c.NKey, "NATS NKey seed file")
	fs.StringVar(&c.User, "user", c.User, "NATS user name")
	fs.StringVar(&c.Password, "password", c.Password, "NATS password")
	fs.StringVar(&c.TLSCert, "tlscert", c.TLSCert, "TLS client certificate file")
	fs.StringVar(&c.TLSKey, "tlskey", c.TLSKey, "TLS client key file")
	fs.StringVar(&c.TLSCA, "tlsca", c.TLSCA, "TLS CA file to verify the server")
	fs.StringVar(&c.ID, "id", c.ID, "device id (a subject token; default: the hostname)")
	fs.StringVar(&c.Prefix, "prefix", c.Prefix, "first subject token")
	c.Display.allowed = displayKinds
	c.Joystick.allowed = joystickKinds
	c.Sensors.allowed = sensorKinds
	fs.Var(&c.Display, "display", "LED matrix: auto|fb[:PATH]|i2c[:BUS]|sim|none")
	fs.Var(&c.Joystick, "joystick", "joystick: auto|evdev[:PATH]|i2c[:BUS]|sim|none")
	fs.Var(&c.Sensors, "sensors", "sensors: auto|i2c[:BUS]|iio|sim|none")
	fs.IntVar(&c.Rotation, "rotation", c.Rotation, "display rotation: 0, 90, 180 or 270")
	fs.BoolVar(&c.LowLight, "low-light", c.LowLight, "start in low-light mode")
	fs.DurationVar(&c.EnvInterval, "env-interval", c.EnvInterval, "interval of sensors.env readings")
	fs.DurationVar(&c.MotionInterval, "motion-interval", c.MotionInterval, "interval of sensors.motion readings")
	fs.DurationVar(&c.ColourInterval, "colour-interval", c.ColourInterval, "interval of sensors.colour readings (Sense HAT v2, Astro Pi)")
	fs.DurationVar(&c.ResendWindow, "resend-window", c.ResendWindow, "after a lost connection, resend the readings of this last stretch (store and forward on a local leaf node; 0: never)")
	fs.IntVar(&c.ColourGain, "colour-gain", c.ColourGain, "colour sensor gain: 1, 4, 16, and 64 (TCS3400) or 60 (TCS34725)")
	fs.IntVar(&c.ColourCycles, "colour-cycles", c.ColourCycles, "colour sensor integration cycles, 1 to 256 (2.75 ms each on the TCS3400, 2.4 ms on the TCS34725)")
	fs.Float64Var(&c.TempFactor, "temp-factor", c.TempFactor, "CPU heat compensation factor F (0: off)")
	fs.StringVar(&c.SysfsRoot, "sysfs-root", c.SysfsRoot, "where sysfs is mounted (a copy of it, for testing)")
	fs.StringVar(&c.StateDir, "state-dir", c.StateDir, "directory for calibration state (env STATE_DIRECTORY under systemd)")
	fs.TextVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
	fs.StringVar(&c.HAPrefix, "ha-prefix", c.HAPrefix, `Home Assistant MQTT discovery prefix; "" or none: no discovery`)
	fs.BoolVar(&c.Desired, "desired", c.Desired, "watch the desired state in the bucket "+wire.DesiredBucket+" and apply it")
	fs.StringVar(&c.DesiredDomain, "desired-domain", c.DesiredDomain, `JetStream domain of the desired-state bucket ("": the server's own; "hub" through a leaf)`)
	fs.StringVar(&c.DesiredMirror, "desired-mirror", c.DesiredMirror, `JetStream domain of the Pi's own nats-server that keeps a copy of the desired state (store and forward: sensehat-<id>; "": none)`)
	fs.BoolVar(&c.ShowVersion, "version", false, "print version and exit")
	return fs
}

// envName maps a flag to its environment variable.
func envName(flagName string) string {
	return "SENSEHAT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse fills c from environment variables (looked up with getenv), then
// from args. Flags win over the environment, which wins over defaults.
func (c *Config) Parse(name string, args []string, getenv func(string) string, out io.Writer) error {
	fs := c.FlagSet(name, out)
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "version" {
			return
		}
		v := getenv(envName(f.Name))
		if v == "" && f.Name == "nats" {
			v = getenv("NATS_URL")
		}
		if v == "" && f.Name == "state-dir" {
			// systemd's StateDirectory= may list several; the first is ours.
			v, _, _ = strings.Cut(getenv("STATE_DIRECTORY"), ":")
		}
		if v == "" {
			return
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("config: environment %s=%q: %w", envName(f.Name), v, err))
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("config: unexpected argument %q; all settings are flags (see --help)", fs.Arg(0))
	}
	if c.ShowVersion {
		return nil
	}
	return c.Validate()
}

// Backend is a --display/--joystick/--sensors choice: a kind and an
// optional argument after the colon (a path or a bus number).
type Backend struct {
	Kind    Kind
	Arg     string
	allowed map[Kind]argKind
}

// Kind names what drives a part of the board.
type Kind string

// The backend kinds; which part takes which is in displayKinds,
// joystickKinds and sensorKinds.
const (
	KindAuto  Kind = "auto"
	KindFB    Kind = "fb"
	KindEvdev Kind = "evdev"
	KindI2C   Kind = "i2c"
	KindIIO   Kind = "iio"
	KindSim   Kind = "sim"
	KindNone  Kind = "none"
)

type argKind int

const (
	noArg argKind = iota
	pathArg
	busArg
)

var (
	displayKinds  = map[Kind]argKind{KindAuto: noArg, KindFB: pathArg, KindI2C: busArg, KindSim: noArg, KindNone: noArg}
	joystickKinds = map[Kind]argKind{KindAuto: noArg, KindEvdev: pathArg, KindI2C: busArg, KindSim: noArg, KindNone: noArg}
	sensorKinds   = map[Kind]argKind{KindAuto: noArg, KindI2C: busArg, KindIIO: noArg, KindSim: noArg, KindNone: noArg}
)

// String implements flag.Value.
func (b *Backend) String() string {
	if b == nil || b.Kind == "" {
		return ""
	}
	if b.Arg == "" {
		return string(b.Kind)
	}
	return string(b.Kind) + ":" + b.Arg
}

// Set implements flag.Value.
func (b *Backend) Set(s string) error {
	k, arg, hasArg := strings.Cut(s, ":")
	kind := Kind(k)
	allowed := b.allowed
	if allowed == nil {
		allowed = map[Kind]argKind{}
		for _, m := range []map[Kind]argKind{displayKinds, joystickKinds, sensorKinds} {
			for k, v := range m {
				allowed[k] = v
			}
		}
	}
	ak, ok := allowed[kind]
	if !ok {
		return fmt.Errorf("unknown backend %q; use one of %s", kind, kindList(allowed))
	}
	if hasArg {
		switch ak {
		case noArg:
			return fmt.Errorf("backend %q takes no argument", kind)
		case pathArg:
			if arg == "" {
				return fmt.Errorf("backend %q: empty path after ':'", kind)
			}
		case busArg:
			if n, err := strconv.Atoi(arg); err != nil || n < 0 {
				return fmt.Errorf("backend %q: bus %q is not a bus number such as 1", kind, arg)
			}
		}
	}
	b.Kind, b.Arg = kind, arg
	return nil
}

// Bus returns the I2C bus number of an i2c backend (default 1).
func (b Backend) Bus() int {
	if n, err := strconv.Atoi(b.Arg); err == nil {
		return n
	}
	return 1
}

func kindList(m map[Kind]argKind) string {
	order := []Kind{KindAuto, KindFB, KindEvdev, KindI2C, KindIIO, KindSim, KindNone}
	var out []string
	for _, k := range order {
		if a, ok := m[k]; ok {
			switch a {
			case pathArg:
				k += "[:PATH]"
			case busArg:
				k += "[:BUS]"
			}
			out = append(out, string(k))
		}
	}
	return strings.Join(out, ", ")
}
