package fleetid

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/sensehat/sensehat/internal/wire"
)

// Settings are the fleet's public choices, kept in DIR/fleet.json.
type Settings struct {
	// Name names the operator and the account ("sensehat").
	Name string `json:"name"`
	// Prefix is the first subject token of every device (wire.DefaultPrefix).
	Prefix string `json:"prefix"`
	// HAPrefix is Home Assistant's MQTT discovery prefix ("homeassistant").
	HAPrefix string `json:"ha_prefix"`
	// HubURL is where this tool reaches the hub's client port to push
	// account updates and the stream's sources.
	HubURL string `json:"hub_url"`
	// HubDomain is the hub's JetStream domain.
	HubDomain string `json:"hub_domain"`
	// Stream is the hub stream that sources every device ("SENSEHAT").
	Stream string `json:"stream"`
	// ClientListen, LeafListen, MQTTListen and HTTPListen are the hub's
	// ports. MQTTListen "" leaves MQTT off; HTTPListen must be loopback.
	ClientListen string `json:"client_listen"`
	LeafListen   string `json:"leaf_listen"`
	MQTTListen   string `json:"mqtt_listen,omitempty"`
	HTTPListen   string `json:"http_listen"`
	// StoreDir is where the hub keeps JetStream and the account JWTs.
	StoreDir string `json:"store_dir"`
	// ConfDir is where the files of DIR/hub are on the hub (the paths
	// hub.conf names). Empty: DIR/hub itself.
	ConfDir string `json:"conf_dir,omitempty"`
	// LeafHosts are the names and addresses the Pis dial the hub's leaf
	// node port by, written into the certificate the tool makes.
	LeafHosts []string `json:"leaf_hosts,omitempty"`
	// LeafCert and LeafKey are the user's own certificate for the leaf
	// node port (then LeafCA is the CA the Pis verify it with); empty:
	// the tool makes a CA and a certificate.
	// LeafURL is the hub's leaf node port as the Pis dial it
	// (tls://hub.local:7422): fleet add writes each Pi's nats-server
	// configuration with it (PiBundle).
	// For a hub cluster, LeafURL lists every node's, separated by
	// commas: a Pi's leaf node fails over among them.
	LeafURL  string `json:"leaf_url,omitempty"`
	LeafCert string `json:"leaf_cert,omitempty"`
	LeafKey  string `json:"leaf_key,omitempty"`
	LeafCA   string `json:"leaf_ca,omitempty"`
	// Replicas is the hub stream's replica count when the tool makes it:
	// 1 for a single hub, 3 for the hub cluster of deploy/nats/cluster
	// (fleet init --cluster), whose nodes include the auth.conf and
	// leaf-auth.conf WriteHub then writes beside hub.conf.
	Replicas int `json:"replicas,omitempty"`

	// Public keys, for `fleet list` and the configurations.
	OperatorKey string          `json:"operator_key"`
	AccountKey  string          `json:"account_key"`
	SystemKey   string          `json:"system_key"`
	RoleKeys    map[Role]string `json:"role_keys"`
}

// DefaultSettings are a hub on every interface of the machine it runs on,
// JetStream in domain "hub" under /var/lib/nats/sensehat-hub.
func DefaultSettings() Settings {
	return Settings{
		Name:         "sensehat",
		Prefix:       wire.DefaultPrefix,
		HAPrefix:     "homeassistant",
		HubURL:       "nats://127.0.0.1:4222",
		HubDomain:    "hub",
		Stream:       "SENSEHAT",
		ClientListen: "0.0.0.0:4222",
		LeafListen:   "0.0.0.0:7422",
		MQTTListen:   "0.0.0.0:1883",
		HTTPListen:   "127.0.0.1:8222",
		StoreDir:     "/var/lib/nats/sensehat-hub",
	}
}

// Files in a fleet directory. Seeds (*.nk), credentials and the CA's key
// are 0600; JWTs and certificates are public.
const (
	settingsFile = "fleet.json"
	operatorSeed = "operator.nk"
	accountSeed  = "account.nk"
	systemSeed   = "system.nk"
	operatorJWT  = "operator.jwt"
	accountJWT   = "account.jwt"
	systemJWT    = "system.jwt"
	// SystemCreds logs in to the system account: it pushes account JWTs.
	SystemCreds = "system.creds"
	// ToolName is the admin identity `fleet` uses for the stream's
	// sources (creds/<ToolName>.creds).
	ToolName   = "sensehat-fleet"
	usersDir   = "users"
	credsDir   = "creds"
	keysDir    = "keys"
	hubDir     = "hub"
	piDir      = "pi"
	privateDir = 0o700
	private    = 0o600
	public     = 0o644
)

// ErrExists is returned by Init for a directory that already holds a
// fleet, and by Add for a name already in it.
var ErrExists = errors.New("fleetid: already exists")

// ErrUnknown is returned for a name not in the fleet.
var ErrUnknown = errors.New("fleetid: not in the fleet")

// Fleet is the identity of one fleet, kept in a directory.
type Fleet struct {
	Dir      string
	Settings Settings

	op, acc, sys nkeys.KeyPair
	signers      map[Role]nkeys.KeyPair
	now          func() time.Time
}

// Member is one identity of the fleet.
type Member struct {
	Name string
	Role Role
	// Key is the user's public nkey, IssuedAt when its JWT was signed.
	Key      string
	IssuedAt time.Time
}

// Init creates a fleet in dir (made if missing, 0700): the operator, the
// system account and its user, the fleet's account with one scoped
// signing key per role, the tool's admin identity, and the hub's files.
func Init(dir string, s Settings) (*Fleet, error) {
	if err := wire.CheckToken("prefix", s.Prefix); err != nil {
		return nil, fmt.Errorf("fleetid: %w", err)
	}
	if _, err := wire.NewHomeAssistant(s.HAPrefix); err != nil {
		return nil, fmt.Errorf("fleetid: %w", err)
	}
	if err := checkLoopback(s.HTTPListen); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, settingsFile)); err == nil {
		return nil, fmt.Errorf("%w: %s holds a fleet; use another directory, or fleet add/remove/creds with --dir %s", ErrExists, dir, dir)
	}
	for _, d := range []string{dir, filepath.Join(dir, usersDir), filepath.Join(dir, credsDir), filepath.Join(dir, keysDir), filepath.Join(dir, hubDir)} {
		if err := os.MkdirAll(d, privateDir); err != nil {
			return nil, fmt.Errorf("fleetid: making %s: %w", d, err)
		}
		if err := os.Chmod(d, privateDir); err != nil {
			return nil, fmt.Errorf("fleetid: %w", err)
		}
	}
	f := &Fleet{Dir: dir, Settings: s, signers: map[Role]nkeys.KeyPair{}, now: time.Now}
	var err error
	if f.op, err = nkeys.CreateOperator(); err != nil {
		return nil, fmt.Errorf("fleetid: operator key: %w", err)
	}
	if f.acc, err = nkeys.CreateAccount(); err != nil {
		return nil, fmt.Errorf("fleetid: account key: %w", err)
	}
	if f.sys, err = nkeys.CreateAccount(); err != nil {
		return nil, fmt.Errorf("fleetid: system account key: %w", err)
	}
	f.Settings.OperatorKey, _ = f.op.PublicKey()
	f.Settings.AccountKey, _ = f.acc.PublicKey()
	f.Settings.SystemKey, _ = f.sys.PublicKey()
	f.Settings.RoleKeys = map[Role]string{}
	for _, r := range Roles {
		kp, err := nkeys.CreateAccount()
		if err != nil {
			return nil, fmt.Errorf("fleetid: signing key for %s: %w", r, err)
		}
		f.signers[r] = kp
		f.Settings.RoleKeys[r], _ = kp.PublicKey()
		if err := writeSeed(filepath.Join(dir, keysDir, string(r)+".nk"), kp); err != nil {
			return nil, err
		}
	}
	for name, kp := range map[string]nkeys.KeyPair{operatorSeed: f.op, accountSeed: f.acc, systemSeed: f.sys} {
		if err := writeSeed(filepath.Join(dir, name), kp); err != nil {
			return nil, err
		}
	}
	if err := f.writeOperatorAndSystem(); err != nil {
		return nil, err
	}
	if err := f.saveSettings(); err != nil {
		return nil, err
	}
	if err := f.signAccount(nil); err != nil {
		return nil, err
	}
	if _, err := f.AddCreds(Admin, ToolName); err != nil {
		return nil, err
	}
	if err := f.WriteHub(); err != nil {
		return nil, err
	}
	return f, nil
}

// Open reads the fleet in dir.
func Open(dir string) (*Fleet, error) {
	b, err := os.ReadFile(filepath.Join(dir, settingsFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("fleetid: %s holds no fleet (no %s): run sensehat fleet init %s first, or give --dir", dir, settingsFile, dir)
		}
		return nil, fmt.Errorf("fleetid: %w", err)
	}
	f := &Fleet{Dir: dir, signers: map[Role]nkeys.KeyPair{}, now: time.Now}
	if err := json.Unmarshal(b, &f.Settings); err != nil {
		return nil, fmt.Errorf("fleetid: %s: %w", filepath.Join(dir, settingsFile), err)
	}
	if f.op, err = readSeed(filepath.Join(dir, operatorSeed)); err != nil {
		return nil, err
	}
	if f.acc, err = readSeed(filepath.Join(dir, accountSeed)); err != nil {
		return nil, err
	}
	if f.sys, err = readSeed(filepath.Join(dir, systemSeed)); err != nil {
		return nil, err
	}
	for _, r := range Roles {
		if f.signers[r], err = readSeed(filepath.Join(dir, keysDir, string(r)+".nk")); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *Fleet) saveSettings() error {
	b, err := json.MarshalIndent(f.Settings, "", "  ")
	if err != nil {
		return fmt.Errorf("fleetid: %w", err)
	}
	return writeFile(filepath.Join(f.Dir, settingsFile), append(b, '\n'), public)
}

// writeOperatorAndSystem signs the operator JWT (self-signed, naming the
// system account) and the system account's JWT and user.
func (f *Fleet) writeOperatorAndSystem() error {
	oc := jwt.NewOperatorClaims(f.Settings.OperatorKey)
	oc.Name = f.Settings.Name
	oc.SystemAccount = f.Settings.SystemKey
	ojwt, err := oc.Encode(f.op)
	if err != nil {
		return fmt.Errorf("fleetid: signing the operator: %w", err)
	}
	sc := jwt.NewAccountClaims(f.Settings.SystemKey)
	sc.Name = "SYS"
	sjwt, err := sc.Encode(f.op)
	if err != nil {
		return fmt.Errorf("fleetid: signing the system account: %w", err)
	}
	ukp, err := nkeys.CreateUser()
	if err != nil {
		return fmt.Errorf("fleetid: %w", err)
	}
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.Name = "sensehat-fleet-sys"
	ujwt, err := uc.Encode(f.sys)
	if err != nil {
		return fmt.Errorf("fleetid: signing the system user: %w", err)
	}
	if err := writeCreds(filepath.Join(f.Dir, SystemCreds), ujwt, ukp); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(f.Dir, operatorJWT), []byte(ojwt), public); err != nil {
		return err
	}
	return writeFile(filepath.Join(f.Dir, systemJWT), []byte(sjwt), public)
}

// OperatorJWT, AccountJWT and SystemJWT return the fleet's public JWTs.
func (f *Fleet) OperatorJWT() (string, error) { return f.readJWT(operatorJWT) }

// AccountJWT is the fleet account's JWT as last signed.
func (f *Fleet) AccountJWT() (string, error) { return f.readJWT(accountJWT) }

// SystemJWT is the system account's JWT.
func (f *Fleet) SystemJWT() (string, error) { return f.readJWT(systemJWT) }

func (f *Fleet) readJWT(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(f.Dir, name))
	if err != nil {
		return "", fmt.Errorf("fleetid: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// signAccount signs the fleet account anew and keeps it in account.jwt:
// JetStream enabled, one scoped signing key per role (Home Assistant's
// naming the devices in the fleet), the revocations so far plus revoke.
func (f *Fleet) signAccount(revoke []string) error {
	token, err := f.accountToken(revoke, false)
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(f.Dir, accountJWT), []byte(token), public)
}

// accountToken signs the account. With onPi, the device's template also
// allows $JS.API.> and _INBOX.>: on a Pi's own server, $JS.API is the
// device's own JetStream domain and every client is that device, so this
// variant is only ever preloaded there, never pushed to the hub.
func (f *Fleet) accountToken(revoke []string, onPi bool) (string, error) {
	ac := jwt.NewAccountClaims(f.Settings.AccountKey)
	if old, err := f.AccountJWT(); err == nil {
		prev, err := jwt.DecodeAccountClaims(old)
		if err != nil {
			return "", fmt.Errorf("fleetid: %s: %w", accountJWT, err)
		}
		ac.Revocations = prev.Revocations
	}
	ac.Name = f.Settings.Name
	ac.Limits.Payload = AccountPayload
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: jwt.NoLimit, DiskStorage: jwt.NoLimit, Streams: jwt.NoLimit, Consumer: jwt.NoLimit}
	devices, err := f.devices()
	if err != nil {
		return "", err
	}
	for _, r := range Roles {
		t, err := roleTemplate(r, f.Settings, devices)
		if err != nil {
			return "", err
		}
		if onPi && r == Device {
			t.Pub.Allow = append(t.Pub.Allow, "$JS.API.>")
			t.Sub.Allow = append(t.Sub.Allow, "_INBOX.>")
		}
		sc := jwt.NewUserScope()
		sc.Key = f.Settings.RoleKeys[r]
		sc.Role = string(r)
		sc.Template = t
		sc.Description = "sensehat " + string(r)
		ac.SigningKeys.AddScopedSigner(sc)
	}
	for _, k := range revoke {
		// A second later than now: the revocation covers every JWT
		// of that key issued up to now, whatever the clocks' rounding.
		ac.RevokeAt(k, f.now().Add(time.Second))
	}
	vr := jwt.CreateValidationResults()
	ac.Validate(vr)
	if errs := vr.Errors(); len(errs) > 0 {
		return "", fmt.Errorf("fleetid: the account JWT would be invalid: %v", errs)
	}
	token, err := ac.Encode(f.op)
	if err != nil {
		return "", fmt.Errorf("fleetid: signing the account: %w", err)
	}
	return token, nil
}

// CheckName reports whether name can be a device id or the name of a
// person or program: one subject token of letters, digits, '-' and '_'
// (it becomes a subject token, a JetStream domain, a stream name and a
// file name), not a reserved id.
func CheckName(what, name string) error {
	if name == "" {
		return fmt.Errorf("fleetid: %s is empty: give letters, digits, '-' or '_'", what)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("fleetid: %s %q has %q: use letters, digits, '-' or '_'", what, name, r)
		}
	}
	if name == wire.All || name == wire.Any {
		return fmt.Errorf("fleetid: %s %q is reserved for the fan-out subjects: pick another", what, name)
	}
	return nil
}

// AddDevice makes the identity of device id and returns the path of its
// credentials file. The account is signed anew (Home Assistant may now
// command it): push it to the hub.
func (f *Fleet) AddDevice(id string) (string, error) {
	path, err := f.AddCreds(Device, id)
	if err != nil {
		return "", err
	}
	if err := f.signAccount(nil); err != nil {
		return "", err
	}
	if f.Settings.LeafURL != "" {
		if _, err := f.WritePiBundle(id); err != nil {
			return "", err
		}
	}
	return path, nil
}

// AddCreds makes an identity of role r named name and returns the path of
// its credentials file (0600). Names are unique across roles.
func (f *Fleet) AddCreds(r Role, name string) (string, error) {
	if err := CheckName("name", name); err != nil {
		return "", err
	}
	if _, err := ParseRole(string(r)); err != nil {
		return "", err
	}
	if _, err := os.Stat(f.userPath(name)); err == nil {
		return "", fmt.Errorf("%w: %q is in the fleet; fleet remove %s first to replace it", ErrExists, name, name)
	}
	ukp, err := nkeys.CreateUser()
	if err != nil {
		return "", fmt.Errorf("fleetid: %w", err)
	}
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.Name = name
	uc.IssuerAccount = f.Settings.AccountKey
	uc.Tags.Add("role:" + string(r))
	// A scoped user carries no permissions or limits of its own: the
	// server takes them from the signing key's template.
	uc.SetScoped(true)
	token, err := uc.Encode(f.signers[r])
	if err != nil {
		return "", fmt.Errorf("fleetid: signing %s: %w", name, err)
	}
	if err := writeFile(f.userPath(name), []byte(token), public); err != nil {
		return "", err
	}
	path := f.CredsPath(name)
	if err := writeCreds(path, token, ukp); err != nil {
		return "", err
	}
	return path, nil
}

// Remove revokes name (a device or anyone else) in the account JWT and
// deletes its files here. Push the account to make it take effect.
func (f *Fleet) Remove(name string) (Member, error) {
	m, err := f.member(name)
	if err != nil {
		return Member{}, err
	}
	if name == ToolName {
		return Member{}, fmt.Errorf("fleetid: %s is the tool's own identity and cannot be removed", name)
	}
	if err := os.Remove(f.userPath(name)); err != nil {
		return Member{}, fmt.Errorf("fleetid: %w", err)
	}
	if err := os.Remove(f.CredsPath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Member{}, fmt.Errorf("fleetid: %w", err)
	}
	if err := os.RemoveAll(f.PiBundleDir(name)); err != nil {
		return Member{}, fmt.Errorf("fleetid: %w", err)
	}
	return m, f.signAccount([]string{m.Key})
}

// CredsPath is where the credentials file of name is kept.
func (f *Fleet) CredsPath(name string) string { return filepath.Join(f.Dir, credsDir, name+".creds") }

func (f *Fleet) userPath(name string) string { return filepath.Join(f.Dir, usersDir, name+".jwt") }

// List returns every identity in the fleet, devices first, by name.
func (f *Fleet) List() ([]Member, error) {
	ents, err := os.ReadDir(filepath.Join(f.Dir, usersDir))
	if err != nil {
		return nil, fmt.Errorf("fleetid: %w", err)
	}
	var out []Member
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".jwt")
		if !ok {
			continue
		}
		m, err := f.member(name)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Role == Device) != (out[j].Role == Device) {
			return out[i].Role == Device
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Revoked is the number of keys the account JWT revokes.
func (f *Fleet) Revoked() (int, error) {
	token, err := f.AccountJWT()
	if err != nil {
		return 0, err
	}
	ac, err := jwt.DecodeAccountClaims(token)
	if err != nil {
		return 0, fmt.Errorf("fleetid: %w", err)
	}
	return len(ac.Revocations), nil
}

func (f *Fleet) devices() ([]string, error) {
	ms, err := f.List()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, m := range ms {
		if m.Role == Device {
			ids = append(ids, m.Name)
		}
	}
	return ids, nil
}

// Devices returns the ids of the devices in the fleet, sorted.
func (f *Fleet) Devices() ([]string, error) { return f.devices() }

func (f *Fleet) member(name string) (Member, error) {
	if err := CheckName("name", name); err != nil {
		return Member{}, err
	}
	b, err := os.ReadFile(f.userPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return Member{}, fmt.Errorf("%w: %q (fleet list shows who is)", ErrUnknown, name)
	}
	if err != nil {
		return Member{}, fmt.Errorf("fleetid: %w", err)
	}
	uc, err := jwt.DecodeUserClaims(strings.TrimSpace(string(b)))
	if err != nil {
		return Member{}, fmt.Errorf("fleetid: %s: %w", f.userPath(name), err)
	}
	m := Member{Name: name, Key: uc.Subject, IssuedAt: time.Unix(uc.IssuedAt, 0)}
	for r, k := range f.Settings.RoleKeys {
		if k == uc.Issuer {
			m.Role = r
		}
	}
	if m.Role == "" {
		return Member{}, fmt.Errorf("fleetid: %s is signed by %s, no role's key: was it copied from another fleet?", f.userPath(name), uc.Issuer)
	}
	return m, nil
}

func writeSeed(path string, kp nkeys.KeyPair) error {
	seed, err := kp.Seed()
	if err != nil {
		return fmt.Errorf("fleetid: %w", err)
	}
	return writeFile(path, append(seed, '\n'), private)
}

func readSeed(path string) (nkeys.KeyPair, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fleetid: reading a key of the fleet: %w", err)
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(b))))
	if err != nil {
		return nil, fmt.Errorf("fleetid: %s is not an nkey seed: %w", path, err)
	}
	return kp, nil
}

func writeCreds(path, token string, kp nkeys.KeyPair) error {
	seed, err := kp.Seed()
	if err != nil {
		return fmt.Errorf("fleetid: %w", err)
	}
	b, err := jwt.FormatUserConfig(token, seed)
	if err != nil {
		return fmt.Errorf("fleetid: %w", err)
	}
	return writeFile(path, b, private)
}

// writeFile writes through a temporary file renamed into place, so a
// reader never sees half a key, and a private file is never readable by
// others, even for a moment.
func writeFile(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("fleetid: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("fleetid: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("fleetid: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("fleetid: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("fleetid: %w", err)
	}
	return nil
}
