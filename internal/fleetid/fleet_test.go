package fleetid_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/jwt/v2"

	"github.com/sensehat/sensehat/internal/fleetid"
)

func newFleet(t *testing.T) *fleetid.Fleet {
	t.Helper()
	s := fleetid.DefaultSettings()
	s.StoreDir = t.TempDir()
	s.LeafHosts = []string{"127.0.0.1"}
	f, err := fleetid.Init(filepath.Join(t.TempDir(), "fleet"), s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Every secret of the fleet is readable by its owner only; what the hub and
// the Pis must be given openly is public.
func TestInitFileModes(t *testing.T) {
	f := newFleet(t)
	if _, err := f.AddDevice("pi1"); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(f.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := fi.Mode().Perm()
		switch {
		case d.IsDir():
			if mode != 0o700 {
				t.Errorf("%s: %v, want 0700", p, mode)
			}
		case strings.HasSuffix(p, ".nk"), strings.HasSuffix(p, ".creds"), strings.HasSuffix(p, "key.pem"):
			if mode != 0o600 {
				t.Errorf("%s holds a secret and is %v, want 0600", p, mode)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fleetid.Init(f.Dir, f.Settings); !errors.Is(err, fleetid.ErrExists) {
		t.Errorf("Init over an existing fleet: %v, want ErrExists", err)
	}
}

func TestAddRemoveList(t *testing.T) {
	f := newFleet(t)
	for _, id := range []string{"pi1", "pi2"} {
		if _, err := f.AddDevice(id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.AddCreds(fleetid.Reader, "rita"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.AddDevice("pi1"); !errors.Is(err, fleetid.ErrExists) {
		t.Errorf("adding pi1 twice: %v, want ErrExists", err)
	}
	for _, bad := range []string{"all", "any", "a.b", "a b", "", "pi*"} {
		if _, err := f.AddDevice(bad); err == nil {
			t.Errorf("AddDevice(%q) accepted", bad)
		}
	}
	ms, err := f.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name+":"+string(m.Role))
	}
	want := "pi1:device pi2:device rita:reader sensehat-fleet:admin"
	if strings.Join(got, " ") != want {
		t.Errorf("List = %v, want %s", got, want)
	}
	m, err := f.Remove("pi2")
	if err != nil {
		t.Fatal(err)
	}
	token, err := f.AccountJWT()
	if err != nil {
		t.Fatal(err)
	}
	ac, err := jwt.DecodeAccountClaims(token)
	if err != nil {
		t.Fatal(err)
	}
	// The authority here is the jwt library the server uses to decide.
	if !ac.IsClaimRevoked(&jwt.UserClaims{ClaimsData: jwt.ClaimsData{Subject: m.Key, IssuedAt: m.IssuedAt.Unix()}}) {
		t.Errorf("pi2's key %s is not revoked in the account JWT", m.Key)
	}
	if _, err := os.Stat(f.CredsPath("pi2")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pi2's credentials still in the fleet directory: %v", err)
	}
	if _, err := f.Remove("pi2"); !errors.Is(err, fleetid.ErrUnknown) {
		t.Errorf("removing pi2 twice: %v, want ErrUnknown", err)
	}
	// Home Assistant may command the devices in the fleet only.
	for _, sk := range ac.SigningKeys {
		us, ok := sk.(*jwt.UserScope)
		if !ok || us.Role != string(fleetid.HomeAssistant) {
			continue
		}
		pub := strings.Join(us.Template.Pub.Allow, " ")
		if !strings.Contains(pub, "sensehat.pi1.led.text") || strings.Contains(pub, "sensehat.pi2.") {
			t.Errorf("Home Assistant may publish %s; want pi1's commands and none of removed pi2's", pub)
		}
	}
}

func TestCheckHubVersion(t *testing.T) {
	// The versions are nats-server's release notes' for "Enforce subject
	// permissions on inbound leaf messages" (2.14.0).
	for _, tc := range []struct {
		v  string
		ok bool
	}{
		{"nats-server: v2.9.10", false},
		{"v2.12.6", false},
		{"2.13.9", false},
		{"v2.14.0", true},
		{"nats-server: v2.15.2", true},
		{"v3.0.0", true},
		{"v2.14.0-beta.1", true},
	} {
		err := fleetid.CheckHubVersion(tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("CheckHubVersion(%q) = %v, want ok=%v", tc.v, err, tc.ok)
		}
		if err != nil && !errors.Is(err, fleetid.ErrOldServer) {
			t.Errorf("CheckHubVersion(%q) = %v, want ErrOldServer", tc.v, err)
		}
	}
	if err := fleetid.CheckHubVersion("banana"); err == nil {
		t.Error("CheckHubVersion(banana) accepted")
	}
}

func TestMonitoringLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8222", "192.168.1.2:8222", ":8222"} {
		s := fleetid.DefaultSettings()
		s.HTTPListen = addr
		if _, err := fleetid.Init(t.TempDir(), s); err == nil {
			t.Errorf("monitoring on %s accepted", addr)
		}
	}
}

// hub.conf has no user that logs in without credentials: no
// authorization block, no no_auth_user, accounts only from the operator.
func TestHubConfNoAnonymous(t *testing.T) {
	f := newFleet(t)
	b, err := os.ReadFile(filepath.Join(f.HubDir(), fleetid.HubConf))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for _, bad := range []string{"no_auth_user", "authorization", "password:", "accounts {"} {
		if strings.Contains(conf, bad) {
			t.Errorf("hub.conf has %q", bad)
		}
	}
	for _, need := range []string{"operator:", "type: full", "tls {", `http: "127.0.0.1:8222"`, "js_api_reply_v2: true"} {
		if !strings.Contains(conf, need) {
			t.Errorf("hub.conf lacks %q", need)
		}
	}
}
