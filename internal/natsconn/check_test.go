package natsconn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

// writeCert writes a self-signed certificate and its key, PEM encoded, as
// openssl and nats-server expect them (RFC 7468 labels CERTIFICATE and
// PRIVATE KEY).
func writeCert(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	write(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	write(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})))
	return certFile, keyFile
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCheckFindsLocalMistakes: every file flag, missing or holding the
// wrong thing, is an error that names the flag and says what to give.
func TestCheckFindsLocalMistakes(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir, "client")
	otherCert, _ := writeCert(t, dir, "other")
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := user.Seed()
	if err != nil {
		t.Fatal(err)
	}
	seedFile := filepath.Join(dir, "user.nk")
	write(t, seedFile, string(seed)+"\n")
	// The layout nsc writes (docs.nats.io, "Creds"): a decorated user JWT,
	// then the decorated seed. Check looks at the shape of the JWT only.
	creds := filepath.Join(dir, "user.creds")
	write(t, creds, "-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVIn0.c2ln\n------END NATS USER JWT------\n\n"+
		"************************* IMPORTANT *************************\n\n-----BEGIN USER NKEY SEED-----\n"+string(seed)+"\n------END USER NKEY SEED------\n")
	notPEM := filepath.Join(dir, "ca.txt")
	write(t, notPEM, "this is not a certificate\n")
	badPEM := filepath.Join(dir, "bad.pem")
	write(t, badPEM, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	missing := filepath.Join(dir, "missing.pem")

	if err := Check(Settings{TLSCert: cert, TLSKey: key, TLSCA: cert, NKey: seedFile}); err != nil {
		t.Errorf("good cert, key, CA and seed: %v", err)
	}
	if err := Check(Settings{Creds: creds}); err != nil {
		t.Errorf("good creds: %v", err)
	}
	for _, tc := range []struct {
		name string
		s    Settings
		want []string
	}{
		{"CA missing", Settings{TLSCA: missing}, []string{"--tlsca", "no such file", "give the CA certificate"}},
		{"CA not PEM", Settings{TLSCA: notPEM}, []string{"--tlsca " + notPEM + " is not PEM", "give the CA certificate"}},
		{"CA PEM that does not parse", Settings{TLSCA: badPEM}, []string{"--tlsca " + badPEM + ": no certificate that parses"}},
		{"cert without key", Settings{TLSCert: cert}, []string{"--tlscert given without --tlskey"}},
		{"key without cert", Settings{TLSKey: key}, []string{"--tlskey given without --tlscert"}},
		{"cert missing", Settings{TLSCert: missing, TLSKey: key}, []string{"--tlscert", "no such file"}},
		{"key not PEM", Settings{TLSCert: cert, TLSKey: notPEM}, []string{"--tlskey " + notPEM + " is not PEM", "private key"}},
		{"key of another cert", Settings{TLSCert: otherCert, TLSKey: key}, []string{"--tlscert " + otherCert + " and --tlskey " + key + " are not a certificate and its key"}},
		{"creds missing", Settings{Creds: missing}, []string{"--creds", "no such file", ".creds file"}},
		{"creds without JWT", Settings{Creds: seedFile}, []string{"--creds " + seedFile + ": no user JWT"}},
		{"nkey missing", Settings{NKey: missing}, []string{"--nkey", "nkey seed file", "no such file"}},
		{"nkey not a seed", Settings{NKey: notPEM}, []string{"--nkey " + notPEM + ": no nkey seed"}},
		{"two at once", Settings{TLSCA: missing, NKey: missing}, []string{"--tlsca", "--nkey"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.s)
			if err == nil {
				t.Fatal("Check = nil")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if _, err := Options(tc.s, nil); err == nil {
				t.Error("Options took the settings Check refused")
			}
		})
	}
}
