package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/fleetid"
	"github.com/sensehat/sensehat/internal/hass"
	"github.com/sensehat/sensehat/internal/natsconn"
	"github.com/sensehat/sensehat/internal/wire"
)

const fleetUsage = `sensehat fleet: every device, person and program its own NATS identity

Usage:
  sensehat fleet init DIR [flags]     make the fleet: operator, account, one
                                      signing key per role, the hub's configuration
  sensehat fleet add ID               a device: DIR/creds/ID.creds, and DIR/pi/ID
                                      for the Pi (make deploy PI=... FLEET=DIR/pi/ID)
  sensehat fleet remove NAME          revoke a device (or anyone), live
  sensehat fleet creds ROLE NAME      credentials for a person or program:
                                      admin, operator, homeassistant, web, reader
  sensehat fleet list                 devices and roles in the fleet
  sensehat fleet push                 send the account to the hub and set the
                                      hub stream's sources (after the hub was down)
  sensehat fleet leaf-conf ID --hub-leaf URL
                                      the Pi's nats-server.conf (leaf node of the hub)

Every command but init takes --dir DIR (env SENSEHAT_FLEET_DIR, default
"fleet"); add, remove, creds and push reach the hub at the URL given to init
(--nats overrides) with DIR/system.creds (account pushes) and
DIR/creds/sensehat-fleet.creds (the stream's sources); --offline changes the
directory only (run "fleet push" later).

Roles:
  device         publishes only <prefix>.<id>.> and its own Home Assistant
                 discovery; receives only its own commands, all/any and
                 service discovery; answers only requests it received; its
                 own JetStream domain (sensehat-<id>) only; not over MQTT
  admin          everything (stream edits included)
  operator       the laptop: every device's commands and readings, history
  homeassistant  MQTT only (the JWT is the MQTT password): discovery,
                 readings, availability, led.text/clear/config of devices
                 in the fleet
  web            the fleet page: readings, live frames, actions, history
  reader         readings and history only

Files in DIR (keep DIR private: anyone with it can sign identities):
  operator.nk account.nk system.nk keys/*.nk   seeds (0600)
  creds/NAME.creds                             credentials (0600): give each
                                               to its device, person or program
  system.creds                                 the system account (0600)
  users/NAME.jwt operator.jwt account.jwt      public JWTs
  hub/hub.conf                                 the hub's nats-server configuration
  hub/leaf-ca.pem                              the CA the Pis verify the hub with
  pi/ID/                                       a Pi's bundle: its credentials (0600),
                                               the CA, its nats-server.conf
  hub/leaf-cert.pem hub/leaf-key.pem           the leaf node port's certificate
                                               (key 0600: make it 0640 root:nats
                                               where nats-server reads it)

The hub needs nats-server 2.14.0 or newer: older ones do not hold a leaf
node to the permissions of the device it logs in as. A Pi's own leaf may be
Debian's 2.9.
`

func (a *App) fleet(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(a.Stderr, fleetUsage)
		return errUsage
	}
	switch args[0] {
	case "init":
		return a.fleetInit(ctx, args[1:])
	case "add":
		return a.fleetAdd(ctx, args[1:])
	case "remove":
		return a.fleetRemove(ctx, args[1:])
	case "creds":
		return a.fleetCreds(ctx, args[1:])
	case "list":
		return a.fleetList(args[1:])
	case "push":
		return a.fleetPush(ctx, args[1:])
	case "leaf-conf":
		return a.fleetLeafConf(args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(a.Stdout, fleetUsage)
		return nil
	}
	fmt.Fprintf(a.Stderr, "sensehat fleet: unknown command %q\n\n%s", args[0], fleetUsage)
	return errUsage
}

// fleetFlags are what every fleet command but init shares.
type fleetFlags struct {
	dir, url string
	offline  bool
}

// fleetFlagSet is the flag set of fleet subcommand name with the flags
// every one has (see register).
func (a *App) fleetFlagSet(name, synopsis string, remote bool) (*fleetFlags, *flag.FlagSet) {
	ff := &fleetFlags{}
	fs := newFlagSet(name, a.Stderr, synopsis)
	ff.register(fs, a.Getenv, remote)
	return ff, fs
}

func (ff *fleetFlags) register(fs *flag.FlagSet, getenv func(string) string, remote bool) {
	dir := getenv("SENSEHAT_FLEET_DIR")
	if dir == "" {
		dir = "fleet"
	}
	fs.StringVar(&ff.dir, "dir", dir, "the fleet's directory (env SENSEHAT_FLEET_DIR)")
	if remote {
		fs.StringVar(&ff.url, "nats", "", "the hub's client URL (default: the one given to fleet init)")
		fs.BoolVar(&ff.offline, "offline", false, "change the directory only; fleet push sends it to the hub later")
	}
}

// parseInterleaved parses flags that may come before or after the
// positional arguments ("fleet add pi1 --dir d" as "fleet add --dir d pi1").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (a *App) fleetInit(ctx context.Context, args []string) error {
	s := fleetid.DefaultSettings()
	fs := newFlagSet("fleet init", a.Stderr, "DIR [flags]")
	fs.StringVar(&s.Prefix, "prefix", s.Prefix, "first subject token of every device")
	fs.StringVar(&s.HAPrefix, "ha-prefix", s.HAPrefix, "Home Assistant MQTT discovery prefix")
	fs.StringVar(&s.HubURL, "hub-url", s.HubURL, "where this tool reaches the hub's client port")
	fs.StringVar(&s.HubDomain, "domain", s.HubDomain, "the hub's JetStream domain")
	fs.StringVar(&s.Stream, "stream", s.Stream, "the hub stream that sources every device")
	fs.StringVar(&s.ClientListen, "listen", s.ClientListen, "the hub's client port")
	fs.StringVar(&s.LeafListen, "leaf-listen", s.LeafListen, "the hub's leaf node port (TLS)")
	fs.StringVar(&s.MQTTListen, "mqtt-listen", s.MQTTListen, `the hub's MQTT port ("" for none)`)
	fs.StringVar(&s.HTTPListen, "http", s.HTTPListen, "the hub's monitoring port (loopback only)")
	fs.StringVar(&s.StoreDir, "store", s.StoreDir, "the hub's JetStream and account store")
	fs.StringVar(&s.ConfDir, "conf-dir", "", "where DIR/hub's files are on the hub (default: DIR/hub)")
	hosts := fs.String("leaf-host", "", "comma-separated names and addresses the Pis dial the hub by (in the certificate the tool makes; default this machine's name, localhost, 127.0.0.1)")
	fs.StringVar(&s.LeafURL, "leaf-url", "", "the hub's leaf node port as the Pis dial it, for a cluster every node's, comma-separated (default tls://THIS-HOST:PORT of --leaf-listen; with --cluster one per --leaf-host)")
	cluster := fs.Bool("cluster", false, "the hub is deploy/nats/cluster's three nodes: the hub stream gets three replicas, and DIR/hub also gets the nodes' auth.conf and leaf-auth.conf")
	fs.StringVar(&s.LeafCert, "leaf-cert", "", "your own certificate for the leaf node port (with --leaf-key, --leaf-ca)")
	fs.StringVar(&s.LeafKey, "leaf-key", "", "its key")
	fs.StringVar(&s.LeafCA, "leaf-ca", "", "the CA the Pis verify it with")
	server := fs.String("nats-server", "nats-server", `the hub's nats-server binary, checked to be 2.14.0 or newer if it is here ("" when the hub runs elsewhere)`)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	if *hosts != "" {
		s.LeafHosts = strings.Split(*hosts, ",")
	}
	if *cluster {
		s.Replicas = 3
		if s.LeafURL == "" && len(s.LeafHosts) == 0 {
			return errors.New("fleet init: --cluster needs the nodes' names: --leaf-host hub-1.example.org,hub-2.example.org,hub-3.example.org (or --leaf-url)")
		}
	}
	if s.LeafURL == "" && *cluster {
		_, port, err := net.SplitHostPort(s.LeafListen)
		if err != nil {
			return fmt.Errorf("fleet init: --leaf-listen %q: %w", s.LeafListen, err)
		}
		urls := make([]string, len(s.LeafHosts))
		for i, h := range s.LeafHosts {
			urls[i] = "tls://" + net.JoinHostPort(h, port)
		}
		s.LeafURL = strings.Join(urls, ",")
	}
	if s.LeafURL == "" {
		host, _ := os.Hostname()
		if len(s.LeafHosts) > 0 {
			host = s.LeafHosts[0]
		}
		_, port, err := net.SplitHostPort(s.LeafListen)
		if err != nil {
			return fmt.Errorf("fleet init: --leaf-listen %q: %w", s.LeafListen, err)
		}
		s.LeafURL = "tls://" + net.JoinHostPort(host, port)
	}
	if (s.LeafCert == "") != (s.LeafKey == "") || (s.LeafCert != "" && s.LeafCA == "") {
		return errors.New("fleet init: --leaf-cert, --leaf-key and --leaf-ca go together")
	}
	if *server == "" {
		fmt.Fprintln(a.Stderr, "note: the hub's nats-server is not checked here; it must be 2.14.0 or newer (fleet push checks the running hub)")
	} else if bin, err := exec.LookPath(*server); err == nil {
		if err := fleetid.CheckHubBinary(ctx, bin); err != nil {
			return fmt.Errorf("%w (if the hub runs elsewhere, give its binary with --nats-server PATH, or --nats-server \"\" to skip this check)", err)
		}
	} else {
		fmt.Fprintf(a.Stderr, "note: %s not found here; the hub needs nats-server 2.14.0 or newer (fleet push checks the running hub)\n", *server)
	}
	f, err := fleetid.Init(pos[0], s)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "fleet %q made in %s (keep it private: it signs identities)\n", s.Name, f.Dir)
	if s.Replicas > 1 {
		fmt.Fprintf(a.Stdout, "hub cluster: copy %s and %s over deploy/nats/cluster's on each node (docs/hub-cluster.md); store %s\n", f.HubDir()+"/"+fleetid.ClusterAuthConf, f.HubDir()+"/"+fleetid.ClusterLeafAuthConf, s.StoreDir)
	} else {
		fmt.Fprintf(a.Stdout, "hub configuration: %s (nats-server -c it on the hub; store %s)\n", f.HubDir()+"/"+fleetid.HubConf, s.StoreDir)
	}
	fmt.Fprintf(a.Stdout, "next: sensehat fleet add ID --dir %s for each Pi\n", f.Dir)
	return nil
}

// hubConn dials the hub with one of the fleet's credentials files.
// open is how every fleet subcommand that works on a fleet starts: it
// parses args (flags may stand between the positional arguments), insists
// on want positional arguments and on usable (when given) holding after
// the parse, and opens the fleet directory.
func (ff *fleetFlags) open(fs *flag.FlagSet, args []string, want int, usable func() bool) (*fleetid.Fleet, []string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != want || (usable != nil && !usable()) {
		fs.Usage()
		return nil, nil, errUsage
	}
	f, err := fleetid.Open(ff.dir)
	if err != nil {
		return nil, nil, err
	}
	return f, pos, nil
}

func (ff *fleetFlags) hubConn(f *fleetid.Fleet, creds string) (*nats.Conn, error) {
	url := ff.url
	if url == "" {
		url = f.Settings.HubURL
	}
	opts, err := natsconn.Options(natsconn.Settings{URL: url, Creds: creds, Name: "sensehat fleet"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	opts = append(opts, nats.RetryOnFailedConnect(false), nats.MaxReconnects(0))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to the hub at %s: %w; the change is saved in %s: run sensehat fleet push --dir %s when the hub is up", natsconn.Redact(url), natsconn.Explain(err), f.Dir, f.Dir)
	}
	return nc, nil
}

// sync pushes the account to the hub and sets the stream's sources.
func (a *App) fleetSync(ctx context.Context, ff *fleetFlags, f *fleetid.Fleet) error {
	if err := f.WriteHub(); err != nil {
		return err
	}
	if ff.offline {
		fmt.Fprintf(a.Stdout, "offline: not sent to the hub; run sensehat fleet push --dir %s\n", f.Dir)
		return nil
	}
	sys, err := ff.hubConn(f, f.Dir+"/"+fleetid.SystemCreds)
	if err != nil {
		return err
	}
	defer sys.Close()
	if err := f.Push(sys); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "account pushed to the hub (nats-server %s)\n", sys.ConnectedServerVersion())
	admin, err := ff.hubConn(f, f.CredsPath(fleetid.ToolName))
	if err != nil {
		return err
	}
	defer admin.Close()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ids, err := f.SyncSources(cctx, admin)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "hub stream %s sources %d device(s): %s\n", f.Settings.Stream, len(ids), strings.Join(ids, " "))
	return nil
}

func (a *App) fleetAdd(ctx context.Context, args []string) error {
	ff, fs := a.fleetFlagSet("fleet add", "ID [--dir DIR] [--offline]", true)
	f, pos, err := ff.open(fs, args, 1, nil)
	if err != nil {
		return err
	}
	path, err := f.AddDevice(pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "device %s: %s (0600)\n", pos[0], path)
	if f.Settings.LeafURL != "" {
		fmt.Fprintf(a.Stdout, "the Pi's bundle: %s (make deploy PI=pi@%s.local FLEET=%s)\n", f.PiBundleDir(pos[0]), pos[0], f.PiBundleDir(pos[0]))
	}
	return a.fleetSync(ctx, ff, f)
}

func (a *App) fleetCreds(ctx context.Context, args []string) error {
	ff, fs := a.fleetFlagSet("fleet creds", "ROLE NAME [--dir DIR] [--offline]", true)
	f, pos, err := ff.open(fs, args, 2, nil)
	if err != nil {
		return err
	}
	r, err := fleetid.ParseRole(pos[0])
	if err != nil {
		return err
	}
	if r == fleetid.Device {
		return errors.New("fleet creds: devices come from fleet add ID")
	}
	path, err := f.AddCreds(r, pos[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%s %s: %s (0600)\n", r, pos[1], path)
	if r == fleetid.HomeAssistant {
		fmt.Fprintf(a.Stdout, "Home Assistant's MQTT integration: any user name, and as password the JWT in %s (between the first BEGIN/END lines); it is a secret\n", path)
	}
	// A new user needs no account change; push anyway so a hub that
	// missed an earlier change catches up.
	return a.fleetSync(ctx, ff, f)
}

func (a *App) fleetRemove(ctx context.Context, args []string) error {
	ff, fs := a.fleetFlagSet("fleet remove", "NAME [--dir DIR] [--offline]", true)
	haPrefix := fs.String("ha-prefix", "", "Home Assistant discovery prefix to remove a device from (default the fleet's)")
	f, pos, err := ff.open(fs, args, 1, nil)
	if err != nil {
		return err
	}
	m, err := f.Remove(pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%s %s revoked (key %s)\n", m.Role, m.Name, m.Key)
	if err := a.fleetSync(ctx, ff, f); err != nil {
		return err
	}
	if m.Role != fleetid.Device || ff.offline {
		return nil
	}
	p := f.Settings.HAPrefix
	if *haPrefix != "" {
		p = *haPrefix
	}
	ha, err := wire.NewHomeAssistant(p)
	if err != nil {
		return err
	}
	admin, err := ff.hubConn(f, f.CredsPath(fleetid.ToolName))
	if err != nil {
		return err
	}
	defer admin.Close()
	dev := hass.Device{Subjects: wire.Subjects{Prefix: f.Settings.Prefix, ID: m.Name}, HA: ha}
	if err := hass.Remove(admin, dev); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "removed from Home Assistant: empty discovery message on %s\n", wire.Topic(dev.ConfigSubject()))
	return nil
}

func (a *App) fleetPush(ctx context.Context, args []string) error {
	ff, fs := a.fleetFlagSet("fleet push", "[--dir DIR] [--nats URL]", true)
	f, _, err := ff.open(fs, args, 0, func() bool { return !ff.offline })
	if err != nil {
		return err
	}
	return a.fleetSync(ctx, ff, f)
}

func (a *App) fleetList(args []string) error {
	ff, fs := a.fleetFlagSet("fleet list", "[--dir DIR]", false)
	f, _, err := ff.open(fs, args, 0, nil)
	if err != nil {
		return err
	}
	ms, err := f.List()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tISSUED\tKEY")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Role, m.IssuedAt.UTC().Format(time.RFC3339), m.Key)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	n, err := f.Revoked()
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%d revoked key(s) in the account\n", n)
	return nil
}

func (a *App) fleetLeafConf(args []string) error {
	ff, fs := a.fleetFlagSet("fleet leaf-conf", "ID --hub-leaf URL [--dir DIR] [--creds FILE] [--ca FILE] [--store DIR]", false)
	hub := fs.String("hub-leaf", "", "the hub's leaf node URL as the Pi dials it (tls://hub.local:7422); for a cluster every node's, comma-separated")
	creds := fs.String("creds", "/etc/sensehat/device.creds", "the device's credentials on the Pi")
	ca := fs.String("ca", "/etc/sensehat/leaf-ca.pem", "the hub's leaf CA on the Pi")
	store := fs.String("store", "/var/lib/nats/sensehat", "the Pi's JetStream store")
	listen := fs.String("listen", "127.0.0.1:4222", "the Pi's client port")
	f, pos, err := ff.open(fs, args, 1, func() bool { return *hub != "" })
	if err != nil {
		return err
	}
	conf, err := f.LeafConf(pos[0], *hub, *creds, *ca, *store, *listen)
	if err != nil {
		return err
	}
	_, err = io.WriteString(a.Stdout, conf)
	return err
}
