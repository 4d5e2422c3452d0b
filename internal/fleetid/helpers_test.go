package fleetid_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/cli"
	"github.com/sensehat/sensehat/internal/testutil"
)

// pinnedServer is the nats-server the hub runs in the tests: the pinned
// version on PATH (.ci/run installs it; export
// PATH=$HOME/.cache/sensehat-tools/bin:$PATH). Missing, the test fails:
// a refusal test that skips proves nothing.
func pinnedServer(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err == nil && bin == debianServer {
		err = errors.New("only Debian's 2.9 is on PATH")
	}
	if err != nil {
		t.Fatalf("the pinned nats-server (v2.15.2) is not on PATH (%v): run .ci/run once, or "+
			"GOBIN=$HOME/.cache/sensehat-tools/bin go install github.com/nats-io/nats-server/v2@v2.15.2 "+
			"and export PATH=$HOME/.cache/sensehat-tools/bin:$PATH", err)
	}
	return bin
}

// debianServer is where Debian's (and Raspberry Pi OS's) nats-server
// package puts the binary: what a Pi's leaf node runs.
const debianServer = "/usr/sbin/nats-server"

// piServer is the nats-server the Pis' leaf nodes run: Debian's 2.9
// (SENSEHAT_NATS_SERVER_LEAF overrides the path). Missing, the test
// falls back to the pinned one on a workstation and fails in CI.
func piServer(t *testing.T) (bin string, debian bool) {
	t.Helper()
	bin = os.Getenv("SENSEHAT_NATS_SERVER_LEAF")
	if bin == "" {
		bin = debianServer
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Debian's nats-server for the Pis' leaf nodes: %v; apt-get install nats-server or set SENSEHAT_NATS_SERVER_LEAF", err)
		}
		t.Logf("Debian's nats-server not found (%v): the Pis' leaf nodes run the pinned one", err)
		return pinnedServer(t), false
	}
	return bin, true
}

// startServer runs bin -c conf until the test ends, and waits until addr
// accepts TCP connections.
func startServer(t *testing.T, bin, conf, addr string) *testutil.LogBuffer {
	t.Helper()
	out, _ := start(t, bin, conf, addr)
	return out
}

// startStoppable is startServer, and returns a function that stops the
// server and waits for it.
func startStoppable(t *testing.T, bin, conf, addr string) func() {
	t.Helper()
	_, stop := start(t, bin, conf, addr)
	return stop
}

func start(t *testing.T, bin, conf, addr string) (*testutil.LogBuffer, func()) {
	t.Helper()
	out := &testutil.LogBuffer{}
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-done
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("%s -c %s:\n%s", bin, conf, tail(out.String(), 40))
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return out, stop
		}
		select {
		case <-done:
			t.Fatalf("%s -c %s exited:\n%s", bin, conf, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s within 20s:\n%s", bin, addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// runCLI runs the sensehat tool as a user would.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	app := &cli.App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if rc := app.Run(context.Background(), args); rc != 0 {
		t.Fatalf("sensehat %s: exit %d\n%s%s", strings.Join(args, " "), rc, out.String(), errb.String())
	}
	return out.String()
}

// client is a NATS connection that remembers the permission errors the
// server sent it.
type client struct {
	*nats.Conn
	mu   sync.Mutex
	errs []string
}

// violations returns the errors the server sent since the last call.
func (c *client) violations() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := strings.Join(c.errs, "; ")
	c.errs = nil
	return s
}

// dial connects with creds ("" for none) and fails the test if it cannot.
func dial(t *testing.T, url, creds string, opts ...nats.Option) *client {
	t.Helper()
	c, err := tryDial(url, creds, opts...)
	if err != nil {
		t.Fatalf("connecting to %s with %s: %v", url, creds, err)
	}
	t.Cleanup(c.Close)
	return c
}

func tryDial(url, creds string, opts ...nats.Option) (*client, error) {
	c := &client{}
	opts = append([]nats.Option{
		nats.Timeout(3 * time.Second), nats.MaxReconnects(0),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			c.mu.Lock()
			c.errs = append(c.errs, err.Error())
			c.mu.Unlock()
		}),
	}, opts...)
	if creds != "" {
		opts = append(opts, nats.UserCredentials(creds))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, err
	}
	c.Conn = nc
	return c, nil
}

// mqttConn is just enough MQTT 3.1.1 (OASIS standard, sections 3.1 to
// 3.9) to log in, publish at QoS 0 and subscribe, written out here so
// the test needs no MQTT library.
type mqttConn struct {
	c net.Conn
	r *bufio.Reader
}

func mqttRemLen(n int) []byte {
	var b []byte
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

func mqttStr(s string) []byte {
	b := make([]byte, 2, 2+len(s))
	binary.BigEndian.PutUint16(b, uint16(len(s)))
	return append(b, s...)
}

func mqttPacket(typ byte, body []byte) []byte {
	return append(append([]byte{typ}, mqttRemLen(len(body))...), body...)
}

// mqttConnect logs in; it returns the CONNACK return code (0 accepted, 4
// bad user name or password, 5 not authorized) or an error when the
// server closed the connection instead.
func mqttConnect(addr, clientID, user, password string) (*mqttConn, byte, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return nil, 0, err
	}
	flags := byte(0x02) // clean session
	body := append(mqttStr("MQTT"), 4)
	if user != "" {
		flags |= 0x80
	}
	if password != "" {
		flags |= 0x40
	}
	body = append(body, flags, 0, 60)
	body = append(body, mqttStr(clientID)...)
	if user != "" {
		body = append(body, mqttStr(user)...)
	}
	if password != "" {
		body = append(body, mqttStr(password)...)
	}
	m := &mqttConn{c: c, r: bufio.NewReader(c)}
	if _, err := c.Write(mqttPacket(0x10, body)); err != nil {
		c.Close()
		return nil, 0, err
	}
	typ, b, err := m.read(3 * time.Second)
	if err != nil {
		c.Close()
		return nil, 0, err
	}
	if typ>>4 != 2 || len(b) != 2 {
		c.Close()
		return nil, 0, fmt.Errorf("mqtt: expected CONNACK, got type %d", typ>>4)
	}
	if b[1] != 0 {
		c.Close()
	}
	return m, b[1], nil
}

func (m *mqttConn) read(within time.Duration) (byte, []byte, error) {
	_ = m.c.SetReadDeadline(time.Now().Add(within))
	typ, err := m.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, mul := 0, 1
	for {
		d, err := m.r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n += int(d&0x7f) * mul
		mul *= 128
		if d&0x80 == 0 {
			break
		}
	}
	b := make([]byte, n)
	_, err = io.ReadFull(m.r, b)
	return typ, b, err
}

func (m *mqttConn) publish(topic string, payload []byte) error {
	_, err := m.c.Write(mqttPacket(0x30, append(mqttStr(topic), payload...)))
	return err
}

// subscribe returns the SUBACK code: 0 granted (QoS 0), 0x80 refused.
func (m *mqttConn) subscribe(topic string) (byte, error) {
	body := append([]byte{0, 1}, mqttStr(topic)...)
	body = append(body, 0)
	if _, err := m.c.Write(mqttPacket(0x82, body)); err != nil {
		return 0, err
	}
	for {
		typ, b, err := m.read(3 * time.Second)
		if err != nil {
			return 0, err
		}
		if typ>>4 == 9 && len(b) == 3 {
			return b[2], nil
		}
	}
}

// leafLogin speaks the leaf node protocol as far as logging in without
// credentials: INFO, TLS (verified with ca), CONNECT, PING. It returns
// the server's answer line.
func leafLogin(addr string, ca []byte) (string, error) {
	raw, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(raw)
	info, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(info, "INFO ") {
		return "", fmt.Errorf("leaf node port: expected INFO, got %q (%v)", info, err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	tc := tls.Client(raw, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		return "", fmt.Errorf("leaf node port TLS: %w", err)
	}
	if _, err := io.WriteString(tc, "CONNECT {\"tls_required\":true,\"name\":\"anonymous\",\"headers\":true}\r\nPING\r\n"); err != nil {
		return "", err
	}
	r := bufio.NewReader(tc)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "closed: " + err.Error(), nil
		}
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-ERR") || line == "PONG" {
			return line, nil
		}
	}
}
