package natsconn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nkeys"
)

// Check loads every file the settings name (--tlscert, --tlskey, --tlsca,
// --creds, --nkey) and checks it holds what its flag wants. nats.go reads
// them only when it dials, so without this a missing or garbled file is
// found after the daemon has told systemd it is ready, and only as a failed
// connection attempt. Each error names the flag, the file and what to give
// instead; all of them are joined.
func Check(s Settings) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case s.TLSCert != "" && s.TLSKey == "":
		add(errors.New("natsconn: --tlscert given without --tlskey; give both, the client certificate and its private key (PEM)"))
	case s.TLSKey != "" && s.TLSCert == "":
		add(errors.New("natsconn: --tlskey given without --tlscert; give both, the client certificate and its private key (PEM)"))
	case s.TLSCert != "":
		certErr := checkPEM("--tlscert", s.TLSCert, "the client certificate (PEM, BEGIN CERTIFICATE)")
		keyErr := checkPEM("--tlskey", s.TLSKey, "the client certificate's private key (PEM, BEGIN ... PRIVATE KEY)")
		add(certErr)
		add(keyErr)
		if certErr == nil && keyErr == nil {
			if _, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey); err != nil {
				add(fmt.Errorf("natsconn: --tlscert %s and --tlskey %s are not a certificate and its key: %w; give the key the certificate was issued for", s.TLSCert, s.TLSKey, err))
			}
		}
	}
	if s.TLSCA != "" {
		const want = "the CA certificate (PEM, BEGIN CERTIFICATE) that signed the server's certificate"
		if err := checkPEM("--tlsca", s.TLSCA, want); err != nil {
			add(err)
		} else if b, _ := os.ReadFile(s.TLSCA); !x509.NewCertPool().AppendCertsFromPEM(b) {
			add(fmt.Errorf("natsconn: --tlsca %s: no certificate that parses in the file; give %s", s.TLSCA, want))
		}
	}
	if s.Creds != "" {
		add(checkCreds(s.Creds))
	}
	if s.NKey != "" {
		add(checkSeed(s.NKey))
	}
	return errors.Join(errs...)
}

// readGiven reads the file given to flag; the error says what to give
// instead (want).
func readGiven(flag, path, want string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("natsconn: %s: %w; give %s", flag, err, want)
	}
	return b, nil
}

// checkPEM reads path and checks it holds at least one PEM block.
func checkPEM(flag, path, want string) error {
	b, err := readGiven(flag, path, want)
	if err != nil {
		return err
	}
	if blk, _ := pem.Decode(b); blk == nil {
		return fmt.Errorf("natsconn: %s %s is not PEM (no -----BEGIN line); give %s", flag, path, want)
	}
	return nil
}

// checkCreds checks a .creds file as nats.UserCredentials will read it: a
// user JWT and the user's seed.
func checkCreds(path string) error {
	const want = "the user's .creds file (nsc generate creds), holding the user JWT and seed"
	b, err := readGiven("--creds", path, want)
	if err != nil {
		return err
	}
	// ParseDecoratedJWT hands back the whole file when it finds no JWT
	// block; a JWT is three dot-separated parts.
	tok, err := nkeys.ParseDecoratedJWT(b)
	if err != nil || tok == string(b) || strings.Count(tok, ".") != 2 {
		return fmt.Errorf("natsconn: --creds %s: no user JWT block (-----BEGIN NATS USER JWT-----) in the file; give %s", path, want)
	}
	return checkHasSeed("--creds", path, b, "user seed", want)
}

// checkSeed checks an nkey seed file as nats.NkeyOptionFromSeed reads it.
func checkSeed(path string) error {
	const want = "the nkey seed file holding the user's seed (a line starting SU)"
	b, err := readGiven("--nkey", path, want)
	if err != nil {
		return err
	}
	return checkHasSeed("--nkey", path, b, "nkey seed", want)
}

// checkHasSeed checks that b, the file given to flag, holds a seed (what
// names it in the error), and wipes the key it parsed from memory.
func checkHasSeed(flag, path string, b []byte, what, want string) error {
	kp, err := nkeys.ParseDecoratedNKey(b)
	if err != nil {
		return fmt.Errorf("natsconn: %s %s: no %s in the file (%w); give %s", flag, path, what, err, want)
	}
	kp.Wipe()
	return nil
}
