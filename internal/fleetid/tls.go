package fleetid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Lifetimes of what makeLeafTLS signs. The CA outlives the certificate so
// a new certificate (fleet init --leaf-host ... in a new directory, or the
// user's own) does not mean touching every Pi.
const (
	caLifetime   = 10 * 365 * 24 * time.Hour
	certLifetime = 5 * 365 * 24 * time.Hour
)

// makeLeafTLS makes a CA and a server certificate for hosts (names and
// addresses), signed by it: PEM of the CA, the certificate and the
// certificate's and CA's keys.
func makeLeafTLS(org string, hosts []string, now time.Time) (caPEM, certPEM, keyPEM, caKeyPEM []byte, err error) {
	serial := func() *big.Int {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
		return n
	}
	ca := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{org}, CommonName: org + " fleet CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caCert, caKey, caPEM, caKeyPEM, err := sign(ca, nil, nil)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("fleetid: CA: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Organization: []string{org}, CommonName: org + " hub leaf node port"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	_, _, certPEM, keyPEM, err = sign(leaf, caCert, caKey)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("fleetid: leaf node certificate: %w", err)
	}
	return caPEM, certPEM, keyPEM, caKeyPEM, nil
}

// sign makes a P-256 key and a certificate of tmpl for it, signed by
// parent's key parentKey, or by the new key itself when parent is nil (a
// CA's own certificate). It returns both parsed and as PEM.
func sign(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (cert *x509.Certificate, key *ecdsa.PrivateKey, certPEM, keyPEM []byte, err error) {
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("key: %w", err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		return nil, nil, nil, nil, err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), nil
}
