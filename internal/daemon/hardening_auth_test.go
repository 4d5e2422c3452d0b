package daemon

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/internal/testutil"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // PEM of the CA certificate
}

var serial int64 = 1

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sign makes a P-256 key and a certificate for it from tmpl, valid from
// an hour ago to an hour from now with the next serial, signed by parent
// and its key (nil: by the new key itself, for a CA).
func sign(t testing.TB, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (der []byte, key *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

func newCA(t testing.TB, dir, name string) *testCA {
	t.Helper()
	der, key := sign(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil, nil)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{cert: cert, key: key, file: filepath.Join(dir, name+"-ca.pem")}
	writePEM(t, ca.file, "CERTIFICATE", der)
	return ca
}

// issue signs a leaf for 127.0.0.1 usable by a server or a client, and
// returns the certificate and key files.
func (ca *testCA) issue(t testing.TB, dir, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	der, key := sign(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}, ca.cert, ca.key)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

// tlsServer starts a server that requires TLS and a client certificate
// signed by ca.
func tlsServer(t testing.TB, ca *testCA, dir string) *testutil.Server {
	t.Helper()
	cert, key := ca.issue(t, dir, "server", x509.ExtKeyUsageServerAuth)
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cert, KeyFile: key, CaFile: ca.file, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	opts := testutil.DefaultOptions()
	opts.TLS, opts.TLSVerify, opts.TLSConfig, opts.TLSTimeout = true, true, tc, 2
	return testutil.StartServer(t, opts)
}

func TestHardeningMutualTLS(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	ca := newCA(t, dir, "fleet")
	srv := tlsServer(t, ca, dir)
	url := "tls://" + srv.Addr().String()
	cert, key := ca.issue(t, dir, "pi1", x509.ExtKeyUsageClientAuth)
	laptopCert, laptopKey := ca.issue(t, dir, "laptop", x509.ExtKeyUsageClientAuth)

	t.Run("right CA", func(t *testing.T) {
		cfg := simConfig(t, url, "pi1")
		cfg.TLSCA, cfg.TLSCert, cfg.TLSKey = ca.file, cert, key
		startWith(t, cfg, startOpts{})
		nc := testutil.Connect(t, url, nats.RootCAs(ca.file), nats.ClientCert(laptopCert, laptopKey))
		waitStatus(t, nc, "pi1", 10*time.Second)
		if st := status(t, nc, "pi1"); !st.NATS.Connected || !strings.HasPrefix(st.NATS.Server, "tls://") {
			t.Errorf("status nats = %+v, want connected over tls://", st.NATS)
		}
	})

	t.Run("wrong CA", func(t *testing.T) {
		other := newCA(t, dir, "stranger")
		g := newGate(t, srv.Addr().String())
		cfg := simConfig(t, "tls://"+g.l.Addr().String(), "pi2")
		cfg.TLSCA, cfg.TLSCert, cfg.TLSKey = other.file, cert, key
		refusedAndRetrying(t, cfg, g, "TLS failure", "certificate", "--tlsca")
	})
}

// refusedAndRetrying starts a daemon with cfg whose connections, made
// through g, are refused (what names why): the refusal must be logged at
// WARN or ERROR, in a line with every one of words, and the daemon must
// keep running and dialling. nats.go reports only the first failed TLS
// handshake, and gives up after the same auth error twice unless told not
// to, so the attempts are counted where they arrive (g): an edge device
// must keep trying, since the server may be fixed later. It returns the
// daemon's log.
func refusedAndRetrying(t *testing.T, cfg config.Config, g *gate, what string, words ...string) *testutil.LogBuffer {
	t.Helper()
	logs := &testutil.LogBuffer{}
	r := startWith(t, cfg, startOpts{log: logs, level: -4})
	line := logs.WaitLog(t, 10*time.Second, words...)
	if !strings.Contains(line, "level=WARN") && !strings.Contains(line, "level=ERROR") {
		t.Errorf("the %s is only logged at %q; a user at the default level would not see it", what, line)
	}
	testutil.WaitFor(t, 10*time.Second, "three attempts", func() bool { return g.dials.Load() >= 3 })
	r.stillRunning(t)
	if r.d.nc.IsClosed() {
		t.Errorf("the connection was closed after the %s; it must keep retrying", what)
	}
	return logs
}

// authServer starts a server with one user/password and one nkey user.
func authServer(t testing.TB, user, password, nkeyPub string) *testutil.Server {
	t.Helper()
	opts := testutil.DefaultOptions()
	opts.Users = []*server.User{{Username: user, Password: password}}
	opts.Nkeys = []*server.NkeyUser{{Nkey: nkeyPub}}
	return testutil.StartServer(t, opts)
}

func TestHardeningNKeyAndPassword(t *testing.T) {
	testutil.CheckLeaks(t)
	const password = "p4ss-w0rd-sekrit"
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	seedFile := filepath.Join(t.TempDir(), "pi1.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := authServer(t, "laptop", password, pub)
	nc := testutil.Connect(t, srv.URL(), nats.UserInfo("laptop", password))

	t.Run("nkey", func(t *testing.T) {
		cfg := simConfig(t, srv.URL(), "pi1")
		cfg.NKey = seedFile
		logs := &testutil.LogBuffer{}
		startWith(t, cfg, startOpts{log: logs, level: -4})
		waitStatus(t, nc, "pi1", 10*time.Second)
		if strings.Contains(logs.String(), string(seed)) {
			t.Error("the nkey seed appears in the log")
		}
	})

	t.Run("user and password", func(t *testing.T) {
		cfg := simConfig(t, srv.URL(), "pi2")
		cfg.User, cfg.Password = "laptop", password
		logs := &testutil.LogBuffer{}
		startWith(t, cfg, startOpts{log: logs, level: -4})
		waitStatus(t, nc, "pi2", 10*time.Second)
		if strings.Contains(logs.String(), password) {
			t.Errorf("the password appears in the log:\n%s", logs.Lines(password))
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		const wrong = "not-the-p4ssword"
		// In the URL too: the form most likely to leak into a log line.
		g := newGate(t, srv.Addr().String())
		cfg := simConfig(t, "nats://laptop:"+wrong+"@"+g.l.Addr().String(), "pi3")
		cfg.User, cfg.Password = "laptop", wrong
		logs := refusedAndRetrying(t, cfg, g, "refused credentials", "Authorization Violation", "--user/--password")
		for _, secret := range []string{wrong, password} {
			if ls := logs.Lines(secret); len(ls) > 0 {
				t.Errorf("a password appears in the log: %q", ls)
			}
		}
	})
}

// TestHardeningDevicePermissions runs the daemon against the server
// configuration the project ships for a fleet, so the permission sets
// tested are exactly the deployed ones.
func TestHardeningDevicePermissions(t *testing.T) {
	testutil.CheckLeaks(t)
	opts, err := server.ProcessConfigFile(filepath.Join("..", "..", "deploy", "nats", "nats-server.conf"))
	if err != nil {
		t.Fatalf("loading the shipped server config: %v", err)
	}
	opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
	srv := testutil.StartServer(t, opts)
	cfg := simConfig(t, srv.URL(), "pi1")
	cfg.User, cfg.Password = "pi1", "change-me-pi1"
	logs := &testutil.LogBuffer{}
	startWith(t, cfg, startOpts{log: logs})

	laptop := testutil.Connect(t, srv.URL(), nats.UserInfo("laptop", "change-me-laptop"))
	env := testutil.SubscribeSync(t, laptop, "sensehat.pi1.sensors.env")
	waitStatus(t, laptop, "pi1", 10*time.Second)
	m := request(t, laptop, "sensehat.pi1.led.text", []byte(`{"text":"ok","speed":100}`), 10*time.Second)
	if !strings.Contains(string(m.Data), `"displayed":true`) {
		t.Errorf("text as pi1: %s %v", m.Data, m.Header)
	}
	if _, err := env.NextMsg(5 * time.Second); err != nil {
		t.Errorf("no reading published as pi1: %v", err)
	}
	// Discovery works under the device's permissions.
	m = request(t, laptop, "$SRV.PING.sensehat", nil, 2*time.Second)
	if !strings.Contains(string(m.Data), `"name":"sensehat"`) {
		t.Errorf("$SRV.PING.sensehat: %s", m.Data)
	}
	if ls := logs.Lines("ermission"); len(ls) > 0 {
		t.Errorf("the daemon hit permission errors under the shipped config: %q", ls)
	}

	// A device cannot drive another.
	violation := make(chan error, 1)
	pi1, err := nats.Connect(srv.URL(), nats.UserInfo("pi1", "change-me-pi1"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case violation <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer pi1.Close()
	if err := pi1.Publish("sensehat.pi2.led.text", []byte("hijack")); err != nil {
		t.Fatal(err)
	}
	_ = pi1.Flush()
	select {
	case err := <-violation:
		if !strings.Contains(strings.ToLower(err.Error()), "permissions violation") || !strings.Contains(err.Error(), "sensehat.pi2.led.text") {
			t.Errorf("error %v, want a permissions violation for sensehat.pi2.led.text", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("publishing to another device's subject as pi1 was not refused")
	}
}
