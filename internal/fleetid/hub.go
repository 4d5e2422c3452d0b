package fleetid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/wire"
)

// MinHubVersion is the oldest nats-server the hub may run: only from
// 2.14.0 (and the 2.11.16 and 2.12.7 backports, which the tool does not
// try to tell apart) does nats-server hold messages a leaf node sends to
// the subject permissions of the user the leaf logged in as. An older hub
// lets any Pi's leaf publish readings as any device, whatever its
// credentials say. A Pi's own leaf server may be older (Debian's 2.9).
var MinHubVersion = [3]int{2, 14, 0}

// ErrOldServer is returned for a hub nats-server older than MinHubVersion.
var ErrOldServer = errors.New("fleetid: hub nats-server too old")

// Files of DIR/hub.
const (
	HubConf     = "hub.conf"
	LeafCA      = "leaf-ca.pem"
	leafCAKey   = "leaf-ca-key.pem"
	LeafCert    = "leaf-cert.pem"
	LeafKey     = "leaf-key.pem"
	leafCertOrg = "sensehat"
)

// ClusterAuthConf and ClusterLeafAuthConf replace the files of the same
// names in deploy/nats/cluster on each node of a hub cluster (fleet init
// --cluster): the top-level and the leafnodes parts of hub.conf.
const (
	ClusterAuthConf     = "auth.conf"
	ClusterLeafAuthConf = "leaf-auth.conf"
)

// HubDir is DIR/hub: hub.conf and the leaf node port's certificate.
func (f *Fleet) HubDir() string { return filepath.Join(f.Dir, hubDir) }

func (f *Fleet) confDir() string {
	if f.Settings.ConfDir != "" {
		return f.Settings.ConfDir
	}
	d, err := filepath.Abs(f.HubDir())
	if err != nil {
		return f.HubDir()
	}
	return d
}

// WriteHub writes DIR/hub/hub.conf and, the first time and unless the
// user brought a certificate, the leaf node port's CA and certificate. It
// runs again after each change of the account, so a hub started from a
// copy of it knows every revocation even before its resolver catches up.
func (f *Fleet) WriteHub() error {
	s := f.Settings
	certFile, keyFile := s.LeafCert, s.LeafKey
	if certFile == "" {
		certFile = filepath.Join(f.confDir(), LeafCert)
		keyFile = filepath.Join(f.confDir(), LeafKey)
		if _, err := os.Stat(filepath.Join(f.HubDir(), LeafCert)); err != nil {
			hosts := s.LeafHosts
			if len(hosts) == 0 {
				hosts = []string{"localhost", "127.0.0.1"}
				if h, err := os.Hostname(); err == nil {
					hosts = append(hosts, h, h+".local")
				}
			}
			ca, cert, key, caKey, err := makeLeafTLS(leafCertOrg, hosts, time.Now())
			if err != nil {
				return err
			}
			for name, c := range map[string]struct {
				b    []byte
				mode os.FileMode
			}{LeafCA: {ca, public}, LeafCert: {cert, public}, LeafKey: {key, private}, leafCAKey: {caKey, private}} {
				if err := writeFile(filepath.Join(f.HubDir(), name), c.b, c.mode); err != nil {
					return err
				}
			}
		}
	}
	op, err := f.OperatorJWT()
	if err != nil {
		return err
	}
	acc, err := f.AccountJWT()
	if err != nil {
		return err
	}
	sys, err := f.SystemJWT()
	if err != nil {
		return err
	}
	data := map[string]any{
		"S": s, "Operator": op, "Account": acc, "System": sys,
		"CertFile": certFile, "KeyFile": keyFile,
		"Store": s.StoreDir, "MaxFileStore": hubMaxFileStore, "MinVersion": fmt.Sprintf("%d.%d.%d", MinHubVersion[0], MinHubVersion[1], MinHubVersion[2]),
	}
	files := [][2]string{{HubConf, "hub"}}
	if s.Replicas > 1 {
		// The cluster's nodes take the same parts through the two
		// include files of deploy/nats/cluster, kept in step with
		// hub.conf on every change.
		files = append(files, [2]string{ClusterAuthConf, "auth-file"}, [2]string{ClusterLeafAuthConf, "leaf-auth-file"})
	}
	for _, file := range files {
		var b bytes.Buffer
		if err := hubTemplate.ExecuteTemplate(&b, file[1], data); err != nil {
			return fmt.Errorf("fleetid: %s: %w", file[0], err)
		}
		if err := writeFile(filepath.Join(f.HubDir(), file[0]), b.Bytes(), public); err != nil {
			return err
		}
	}
	return nil
}

// q quotes a string for a nats-server configuration file.
func q(s string) string { return strconv.Quote(s) }

// hubTemplate is hub.conf ("hub"), made of two parts a hub cluster's
// nodes include from files of their own: "auth" at the top level (the
// operator, the resolver, the feature flag) and "leaf-auth" in the
// leafnodes block (its TLS).
var hubTemplate = template.Must(template.New("hub").Funcs(template.FuncMap{"q": q}).Parse(`# nats-server configuration of the sensehat hub, written by
# "sensehat fleet init" and rewritten by every fleet add/remove/creds:
# change the fleet with the tool, not here. Needs nats-server {{.MinVersion}}
# or newer: older servers do not hold a leaf node to the permissions of
# the device it logs in as.
#
# Decentralized authentication: the operator below signs the fleet's
# account, whose scoped signing keys sign one user per device, person and
# program. No user is anonymous, on any port.

server_name: {{q (print .S.Name "-hub")}}
listen: {{q .S.ClientListen}}
# Monitoring, loopback only: it shows connections and subjects.
http: {{q .S.HTTPListen}}
{{template "auth" .}}
jetstream {
  domain: {{q .S.HubDomain}}
  store_dir: {{q (print .Store "/jetstream")}}
  # a budget nats-server reserves each stream's max_bytes against (the
  # hub stream: about 7.4 GB a device), not the disk's size
  max_file_store: {{.MaxFileStore}}
  max_memory_store: 256MB
}

leafnodes {
  # Each Pi's leaf logs in with its own device credentials and is held to
  # that device's permissions.
  listen: {{q .S.LeafListen}}
{{template "leaf-auth" .}}}
{{if .S.MQTTListen}}
# Home Assistant: users of the homeassistant role log in with their JWT
# as the MQTT password (they are bearer tokens, MQTT only).
mqtt {
  listen: {{q .S.MQTTListen}}
  # what one session may have unacknowledged
  max_ack_pending: 1024
}
{{end}}{{define "auth"}}
operator: {{q .Operator}}
system_account: {{q .S.SystemKey}}

# The full resolver keeps every account JWT on disk and takes updates
# pushed on $SYS.REQ.CLAIMS.UPDATE (sensehat fleet add/remove/push) while
# it runs: a new role template or a revocation is in force at once, and
# the connections of a revoked user are closed. No restart; and pushed
# updates survive one, unlike the MEMORY resolver's. In a hub cluster
# every node's resolver takes each push (all subscribe to it), and a node
# that was down when one was sent gets it from the others at the next
# "interval".
resolver: {
  type: full
  dir: {{q (print .Store "/jwt")}}
  allow_delete: false
  interval: "2m"
  timeout: "5s"
}
# What the hub starts with; a newer pushed JWT is kept over these.
resolver_preload: {
  {{.S.SystemKey}}: {{q .System}}
  {{.S.AccountKey}}: {{q .Account}}
}

# Replies to the hub's own JetStream API requests (the consumer a stream
# source makes on a Pi) name the Pi's domain, so a Pi's leaf may answer
# its own ($JSC.R.sensehat-<id>.>) and no other's.
feature_flags {
  js_api_reply_v2: true
}
{{end}}{{define "leaf-auth"}}  tls {
    cert_file: {{q .CertFile}}
    key_file: {{q .KeyFile}}
    timeout: 5
  }
{{end}}{{define "auth-file"}}# auth.conf of a hub cluster node (deploy/nats/cluster), written by
# "sensehat fleet init --cluster" and rewritten by every fleet
# add/remove/creds: the same file on the three nodes, included at the top
# level of hub-node.conf. Needs nats-server {{.MinVersion}} or newer.
{{template "auth" .}}{{end}}{{define "leaf-auth-file"}}# leaf-auth.conf of a hub cluster node (deploy/nats/cluster), written by
# "sensehat fleet init --cluster": included in the leafnodes block of
# hub-node.conf, the same on the three nodes. A Pi's leaf node logs in
# with its own device credentials over TLS and is held to them; the
# certificate names every node (fleet init --leaf-host).
{{template "leaf-auth" .}}{{end}}`))

// LeafConf is the nats-server configuration of device id's Pi: a leaf
// node of the hub (hubLeafURL; for a hub cluster every node's, separated
// by commas) that logs in with the device's credentials (credsFile
// on the Pi), verifying the hub with caFile, with JetStream in its own
// domain. Its own clients need credentials too: it trusts the fleet's
// operator and knows the account from the JWT preloaded here (MEMORY
// resolver: the Pi has no system account connection to take pushes), so
// the daemon and the nats CLI on the Pi log in with the device's
// credentials, and an anonymous local process is refused.
func (f *Fleet) LeafConf(id, hubLeafURL, credsFile, caFile, storeDir, listen string) (string, error) {
	if err := CheckName("device id", id); err != nil {
		return "", err
	}
	op, err := f.OperatorJWT()
	if err != nil {
		return "", err
	}
	acc, err := f.accountToken(nil, true)
	if err != nil {
		return "", err
	}
	sys, err := f.SystemJWT()
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	err = leafTemplate.Execute(&b, map[string]any{
		"S": f.Settings, "ID": id, "Domain": DeviceDomain(id), "URLs": strings.Split(hubLeafURL, ","),
		"Creds": credsFile, "CA": caFile, "Store": storeDir, "Listen": listen,
		"Operator": op, "Account": acc, "System": sys,
	})
	if err != nil {
		return "", fmt.Errorf("fleetid: leaf configuration: %w", err)
	}
	return b.String(), nil
}

var leafTemplate = template.Must(template.New("leaf").Funcs(template.FuncMap{"q": q}).Parse(`# nats-server on the Pi {{.ID}}: store and forward as a leaf node of the
# sensehat hub, written by "sensehat fleet". Works with nats-server 2.9
# (Debian 12, Raspberry Pi OS) and newer.

server_name: {{q (print "sensehat-" .ID)}}
listen: {{q .Listen}}

operator: {{q .Operator}}
system_account: {{q .S.SystemKey}}
resolver: MEMORY
resolver_preload: {
  {{.S.SystemKey}}: {{q .System}}
  {{.S.AccountKey}}: {{q .Account}}
}

jetstream {
  domain: {{q .Domain}}
  store_dir: {{q .Store}}
  max_file_store: 512MB
  max_memory_store: 16MB
}

leafnodes {
  remotes [
    {
      # a hub cluster's nodes, any of which will do: a lost connection
      # is retried on the next one
      urls: [{{range $i, $u := .URLs}}{{if $i}}, {{end}}{{q $u}}{{end}}]
      account: {{q .S.AccountKey}}
      # the device's own identity: the hub holds this leaf to it
      credentials: {{q .Creds}}
      tls {
        ca_file: {{q .CA}}
      }
    }
  ]
}
`))

// ParseVersion reads "v2.14.0", "2.14.0-beta.1" or nats-server --version's
// "nats-server: v2.14.0".
func ParseVersion(s string) ([3]int, error) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	var v [3]int
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, fmt.Errorf("fleetid: %q is not a nats-server version", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return v, fmt.Errorf("fleetid: %q is not a nats-server version", s)
		}
		v[i] = n
	}
	return v, nil
}

// CheckHubVersion returns ErrOldServer, saying why, for a version older
// than MinHubVersion.
func CheckHubVersion(version string) error {
	v, err := ParseVersion(version)
	if err != nil {
		return err
	}
	for i := range v {
		if v[i] != MinHubVersion[i] {
			if v[i] < MinHubVersion[i] {
				return fmt.Errorf("%w: the hub runs nats-server %d.%d.%d; a hub needs %d.%d.%d or newer, because older servers do not enforce a leaf node user's subject permissions on the messages the leaf sends (any Pi could publish as any device). Install a newer nats-server on the hub (a Pi's leaf may stay on Debian's)",
					ErrOldServer, v[0], v[1], v[2], MinHubVersion[0], MinHubVersion[1], MinHubVersion[2])
			}
			break
		}
	}
	return nil
}

// CheckHubBinary runs bin --version and checks it with CheckHubVersion.
func CheckHubBinary(ctx context.Context, bin string) error {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return fmt.Errorf("fleetid: running %s --version: %w", bin, err)
	}
	return CheckHubVersion(string(out))
}

// claimsReply is the system account's answer to a claims update.
type claimsReply struct {
	Data *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"data"`
	Error *struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	} `json:"error"`
}

// Push sends the fleet account's JWT to the hub over sys, a connection
// with the system credentials (DIR/system.creds). The hub's full resolver
// stores it and puts it in force: new scopes, revocations (closing the
// revoked users' connections).
func (f *Fleet) Push(sys *nats.Conn) error {
	if err := CheckHubVersion(sys.ConnectedServerVersion()); err != nil {
		return err
	}
	token, err := f.AccountJWT()
	if err != nil {
		return err
	}
	m, err := sys.Request("$SYS.REQ.CLAIMS.UPDATE", []byte(token), 5*time.Second)
	if err != nil {
		return fmt.Errorf("fleetid: pushing the account to the hub: %w (is the hub running with %s, and are these its system credentials?)", err, filepath.Join(f.HubDir(), HubConf))
	}
	var r claimsReply
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return fmt.Errorf("fleetid: the hub answered the account push with %q: %w", m.Data, err)
	}
	if r.Error != nil {
		return fmt.Errorf("fleetid: the hub refused the account (%d): %s", r.Error.Code, r.Error.Description)
	}
	if r.Data == nil || r.Data.Code != 200 {
		return fmt.Errorf("fleetid: the hub answered the account push with %q", m.Data)
	}
	return nil
}

// Limits of the hub stream. Every device is bounded by construction: the
// stream takes only the contract's reading subjects of each device in
// the fleet (ReadingSubjects), keeps at most HubMsgsPerSubject messages
// of each (discard old, per subject), each at most MaxReadingSize, so one
// device can only ever push out its own oldest readings of one kind.
// max_bytes is the sum of those bounds (HubMaxBytes): it is never the
// limit that evicts, only a backstop.
const (
	// MaxReadingSize is the largest message, headers included, the hub
	// stream takes. The largest reading (motion with every field, at the
	// sensors' extremes) is under 300 bytes; its Nats-Msg-Id and the
	// Nats-Stream-Source header the source adds (which names the subject
	// twice) take up to about 200 more with a long id. A larger message is
	// no reading: the hub refuses it rather than store it.
	MaxReadingSize = 1 << 10
	// HubMsgsPerSubject is what each subject (one kind of one device)
	// keeps: a day of motion at ten a second; at one a second env and
	// colour keep more than the week hubMaxAge allows, joystick events a
	// week too (docs/hub-cluster.md, "Retention by kind").
	HubMsgsPerSubject = 24 * 60 * 60 * 10
	hubMaxAge         = 7 * 24 * time.Hour
	// storeRecordOverhead is what nats-server's file store adds to each
	// message besides its subject, headers and data: a 22-byte record
	// header and an 8-byte hash (server/filestore.go, fileStoreMsgSize).
	// max_bytes counts stored records, so the bound includes it.
	storeRecordOverhead = 22 + 8
	// hubMaxFileStore is the hub's JetStream budget (max_file_store):
	// nats-server reserves each stream's max_bytes against it when the
	// stream is made or its sources change, so it holds HubMaxBytes of
	// about 140 devices. It is a budget, not the disk: see
	// docs/fleet-identity.md, "Limits".
	hubMaxFileStore = "1TB"
)

// msgsPerSubject is HubMsgsPerSubject, a variable so that a test can fill
// a subject to its limit in seconds.
var msgsPerSubject int64 = HubMsgsPerSubject

// ReadingSubjects are the subjects of device id the hub stream takes:
// <prefix>.<id>.sensors.<kind> for env, motion and colour, and
// <prefix>.<id>.joystick.<key> for each of wire.JoystickKeys. Nothing else
// a device publishes (status, availability, discovery) belongs in history.
func ReadingSubjects(prefix, id string) []string {
	s := wire.Subjects{Prefix: prefix, ID: id}
	var out []string
	for _, k := range wire.Kinds {
		if k != wire.KindJoystick {
			out = append(out, s.Sensors(k))
		}
	}
	for _, k := range wire.JoystickKeys {
		out = append(out, s.Joystick(k))
	}
	return out
}

// HubMaxBytes is the hub stream's max_bytes for the devices ids: for
// every reading subject of every device, HubMsgsPerSubject messages of
// the largest size the stream stores (MaxReadingSize, plus the subject
// and nats-server's 30 bytes of record). That is
//
//	devices × 8 subjects × 864,000 × (1,024 + 30 + len(subject)) bytes
//
// about 7.4 GB a device: the most a device can ever hold in the stream,
// so the stream's own limit never evicts one device for another. It
// grows and shrinks with the fleet (SyncSources).
func HubMaxBytes(prefix string, ids []string) int64 {
	var n int64
	for _, id := range ids {
		for _, subj := range ReadingSubjects(prefix, id) {
			n += msgsPerSubject * int64(MaxReadingSize+storeRecordOverhead+len(subj))
		}
	}
	if n == 0 {
		// no devices yet: a stream of no bytes would refuse the first
		n = msgsPerSubject * int64(MaxReadingSize+storeRecordOverhead)
	}
	return n
}

// HubStreamConfig is the hub stream sourcing each device in ids from its
// Pi's stream SENSEHAT_<id>, in the Pi's JetStream domain, delivered
// under the device's own prefix, with the per-device limits above.
func (f *Fleet) HubStreamConfig(ids []string) jetstream.StreamConfig {
	cfg := jetstream.StreamConfig{
		Name:        f.Settings.Stream,
		Description: "Every reading and joystick event of the fleet, sourced from each Pi's SENSEHAT_<id> stream; the sources follow sensehat fleet add/remove, each kind of each device keeps its own count",
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		MaxAge:      hubMaxAge,
		MaxMsgs:     -1,
		Duplicates:  10 * time.Minute,
		Replicas:    max(1, f.Settings.Replicas),
		AllowDirect: true,
	}
	f.setDeviceLimits(&cfg, ids)
	return cfg
}

// setDeviceLimits sets what follows the fleet: the sources and the limits
// that bound each device.
func (f *Fleet) setDeviceLimits(cfg *jetstream.StreamConfig, ids []string) {
	cfg.Sources = f.sources(ids)
	cfg.MaxMsgsPerSubject = msgsPerSubject
	cfg.MaxMsgSize = MaxReadingSize
	cfg.MaxBytes = HubMaxBytes(f.Settings.Prefix, ids)
}

// sources gives each device one source per reading subject, each with
// that one subject as its filter. One source with the eight subjects as
// filters (subject transforms) would need nats-server 2.10 on the Pi:
// Debian's 2.9 ignores a consumer's filter_subjects and sends its whole
// stream. A single filter it applies itself, so a Pi's stream holding
// other subjects (another device's, or invented ones under its own id)
// passes none of them on. (A nats-server modified to ignore the filter
// still could: see docs/fleet-identity.md.)
func (f *Fleet) sources(ids []string) []*jetstream.StreamSource {
	var out []*jetstream.StreamSource
	for _, id := range ids {
		for _, subj := range ReadingSubjects(f.Settings.Prefix, id) {
			out = append(out, &jetstream.StreamSource{
				Name:          "SENSEHAT_" + id,
				FilterSubject: subj,
				External: &jetstream.ExternalStream{
					APIPrefix:     "$JS." + DeviceDomain(id) + ".API",
					DeliverPrefix: SourceDeliverPrefix(id),
				},
			})
		}
	}
	return out
}

// SyncSources makes the hub stream source exactly the devices in the
// fleet, over admin (a connection with an admin identity, such as
// creds/sensehat-fleet.creds), and sets the limits that follow the fleet
// (max_bytes, per-subject count, message size). It creates the stream if
// it is missing and otherwise keeps what the stream holds and any other
// limit set by hand (max_age, replicas).
func (f *Fleet) SyncSources(ctx context.Context, admin *nats.Conn) ([]string, error) {
	ids, err := f.Devices()
	if err != nil {
		return nil, err
	}
	js, err := jetstream.NewWithDomain(admin, f.Settings.HubDomain)
	if err != nil {
		return nil, fmt.Errorf("fleetid: %w", err)
	}
	need := func(err error) error {
		if strings.Contains(err.Error(), "insufficient") {
			return fmt.Errorf("%w (the hub stream reserves %d bytes for %d device(s), %d each at most: raise max_file_store in the hub's jetstream block, see docs/fleet-identity.md)",
				err, HubMaxBytes(f.Settings.Prefix, ids), len(ids), HubMaxBytes(f.Settings.Prefix, ids[:min(1, len(ids))]))
		}
		return err
	}
	st, err := js.Stream(ctx, f.Settings.Stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		if _, err := js.CreateStream(ctx, f.HubStreamConfig(ids)); err != nil {
			return nil, fmt.Errorf("fleetid: creating the hub stream %s: %w", f.Settings.Stream, need(err))
		}
		return ids, nil
	case err != nil:
		return nil, fmt.Errorf("fleetid: reading the hub stream %s: %w", f.Settings.Stream, err)
	}
	cfg := st.CachedInfo().Config
	f.setDeviceLimits(&cfg, ids)
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return nil, fmt.Errorf("fleetid: updating the sources of %s: %w", f.Settings.Stream, need(err))
	}
	return ids, nil
}

func checkLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("fleetid: monitoring address %q: %w", hostport, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("fleetid: monitoring address %q is not loopback: the monitoring port shows every connection and subject without authentication, so it listens on 127.0.0.1 (reach it through ssh)", hostport)
	}
	return nil
}

// Where setup-fleet-pi.sh installs a Pi's identity, and the files of its
// bundle.
const (
	PiCreds  = "/etc/sensehat/device.creds"
	PiCA     = "/etc/sensehat/leaf-ca.pem"
	PiStore  = "/var/lib/nats/sensehat"
	PiListen = "127.0.0.1:4222"
)

// PiBundleDir is DIR/pi/<id>: what make deploy FLEET=... and
// install.sh --fleet install on the Pi.
func (f *Fleet) PiBundleDir(id string) string { return filepath.Join(f.Dir, piDir, id) }

// WritePiBundle writes the Pi's bundle: fleet-id, fleet-device.creds
// (0600), fleet-leaf-ca.pem and fleet-nats-server.conf (LeafConf with the
// paths setup-fleet-pi.sh installs to). It returns the directory.
func (f *Fleet) WritePiBundle(id string) (string, error) {
	if f.Settings.LeafURL == "" {
		return "", errors.New("fleetid: the fleet has no leaf URL (fleet init --leaf-url tls://hub.local:7422)")
	}
	creds, err := os.ReadFile(f.CredsPath(id))
	if err != nil {
		return "", fmt.Errorf("fleetid: %w", err)
	}
	caFile := f.Settings.LeafCA
	if caFile == "" {
		caFile = filepath.Join(f.HubDir(), LeafCA)
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return "", fmt.Errorf("fleetid: the leaf node CA: %w", err)
	}
	conf, err := f.LeafConf(id, f.Settings.LeafURL, PiCreds, PiCA, PiStore, PiListen)
	if err != nil {
		return "", err
	}
	dir := f.PiBundleDir(id)
	if err := os.MkdirAll(dir, privateDir); err != nil {
		return "", fmt.Errorf("fleetid: %w", err)
	}
	for _, w := range []struct {
		name string
		b    []byte
		mode os.FileMode
	}{
		{"fleet-id", []byte(id + "\n"), public},
		{"fleet-device.creds", creds, private},
		{"fleet-leaf-ca.pem", ca, public},
		{"fleet-nats-server.conf", []byte(conf), public},
	} {
		if err := writeFile(filepath.Join(dir, w.name), w.b, w.mode); err != nil {
			return "", err
		}
	}
	return dir, nil
}
