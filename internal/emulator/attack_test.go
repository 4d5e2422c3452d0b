package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// The attacks of the project's security issue, each sent to the page's
// server as a browser (or a script) would send it. The header values are
// what browsers send: Origin on every cross-origin request and every POST
// (Fetch standard, "append a request Origin header"), Sec-Fetch-Site
// cross-site / same-site / same-origin / none (Fetch Metadata Request
// Headers), Origin "null" from sandboxed frames and file: pages.

// send sends one request to srv and returns its status and error text.
func send(t *testing.T, srv *httptest.Server, method, path, host string, hdr map[string]string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		return resp.StatusCode, "" // a stream never ends: do not read it
	}
	var e struct{ Error string }
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e.Error
}

const formType = "application/x-www-form-urlencoded;charset=UTF-8"

func TestAttackCrossOriginWrites(t *testing.T) {
	hat, _, srv := newTestView(t)
	self := srv.URL // http://127.0.0.1:PORT
	press := "key=up&action=press"
	tests := []struct {
		name string
		hdr  map[string]string
		code int
		want string // in the error text
	}{
		{"fetch from another site", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": formType}, 403, "Sec-Fetch-Site: cross-site"},
		{"form from another site, old browser without Sec-Fetch-Site", map[string]string{"Origin": "http://evil.example", "Content-Type": formType}, 403, `cross-origin POST from "http://evil.example"`},
		{"another port on localhost is same-site, not same-origin", map[string]string{"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site", "Content-Type": formType}, 403, "same-site"},
		{"another port, no Sec-Fetch-Site", map[string]string{"Origin": "http://127.0.0.1:1", "Content-Type": formType}, 403, "cross-origin POST"},
		{"sandboxed frame or file: page", map[string]string{"Origin": "null", "Content-Type": formType}, 403, `from "null"`},
		{"form without Origin", map[string]string{"Content-Type": formType}, 403, "without an Origin header"},
		{"text/plain without Origin", map[string]string{"Content-Type": "text/plain"}, 403, "without an Origin header"},
		{"same origin, as Chromium sends it", map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin", "Content-Type": formType}, 204, ""},
		{"same origin, script with Origin", map[string]string{"Origin": self, "Content-Type": formType}, 204, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k := range keys { // whatever a previous case pressed
				hat.ATtiny.Release(keys[k])
			}
			code, msg := send(t, srv, "POST", "/api/joystick", "", tc.hdr, strings.NewReader(press))
			if code != tc.code || !strings.Contains(msg, tc.want) {
				t.Errorf("status %d %q, want %d containing %q", code, msg, tc.code, tc.want)
			}
			pressed := hat.ATtiny.Keys() != 0
			if pressed != (tc.code == 204) {
				t.Errorf("key register %#02x after a %d reply", hat.ATtiny.Keys(), code)
			}
		})
	}

	// The conditions are changed only by the page itself as well.
	before := Conditions{}
	_ = json.Unmarshal([]byte(mustGet(t, srv, "/api/conditions")), &before)
	code, _ := send(t, srv, "POST", "/api/conditions", "", map[string]string{"Origin": "http://evil.example", "Content-Type": formType}, strings.NewReader("temperature_c=99"))
	if code != 403 {
		t.Errorf("cross-origin conditions POST: status %d, want 403", code)
	}
	var after Conditions
	_ = json.Unmarshal([]byte(mustGet(t, srv, "/api/conditions")), &after)
	if after != before {
		t.Errorf("conditions changed by a refused POST: %+v -> %+v", before, after)
	}
}

func mustGet(t *testing.T, srv *httptest.Server, path string) string {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestAttackDNSRebindingHost(t *testing.T) {
	hat, _, srv := newTestView(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	tests := []struct {
		host string
		code int
	}{
		// After rebinding, the attacker's page is same-origin with the
		// server: its own name is the Host, and Origin matches it.
		{"rebind.evil.example:" + port, 403},
		{"rebind.evil.example", 403},
		{"127.0.0.1.evil.example:" + port, 403},
		{"localhost.evil.example:" + port, 403},
		// What a browser sends for the page opened directly, or through
		// an SSH tunnel on another port.
		{"127.0.0.1:" + port, 204},
		{"localhost:" + port, 204},
		{"LOCALHOST:9000", 204},
		{"[::1]:" + port, 204},
		{"192.0.2.7:" + port, 204}, // the machine's LAN address
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			hat.ATtiny.Release(keys["down"])
			origin := "http://" + tc.host
			code, msg := send(t, srv, "POST", "/api/joystick", tc.host,
				map[string]string{"Origin": origin, "Sec-Fetch-Site": "same-origin", "Content-Type": formType},
				strings.NewReader("key=down&action=press"))
			if code != tc.code {
				t.Errorf("POST with Host %s: status %d %q, want %d", tc.host, code, msg, tc.code)
			}
			if tc.code == 403 && !strings.Contains(msg, "DNS rebinding") {
				t.Errorf("refusal %q does not say why", msg)
			}
			if (hat.ATtiny.Keys() != 0) != (tc.code == 204) {
				t.Errorf("key register %#02x after a %d reply", hat.ATtiny.Keys(), code)
			}
			// Reads too: a rebound page must not read the API or follow
			// the NATS traffic.
			for _, path := range []string{"/api/info", "/events", "/"} {
				want := 200
				if tc.code == 403 {
					want = 403
				}
				if path == "/events" && want == 200 {
					continue // a stream; the other tests read those
				}
				if code, _ := send(t, srv, "GET", path, tc.host, nil, nil); code != want {
					t.Errorf("GET %s with Host %s: status %d, want %d", path, tc.host, code, want)
				}
			}
		})
	}

	t.Run("configured name", func(t *testing.T) {
		o := DefaultOpts
		o.Hosts = []string{"raspberrypi.local"}
		v := newView(t, sim.NewHAT(), &o)
		srv := httptest.NewServer(v)
		t.Cleanup(func() { v.Close(); srv.Close() })
		if code, msg := send(t, srv, "GET", "/api/info", "RaspberryPi.local.:8080", nil, nil); code != 200 {
			t.Errorf("configured name: status %d %q, want 200", code, msg)
		}
		if code, _ := send(t, srv, "GET", "/api/info", "raspberrypi.evil.example:8080", nil, nil); code != 403 {
			t.Errorf("other name: status %d, want 403", code)
		}
	})
}

func TestAttackOversizedBody(t *testing.T) {
	hat, _, srv := newTestView(t)
	same := map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin", "Content-Type": formType}
	// 1 MiB of valid form: 30 with a million leading zeros, accepted
	// before (ParseForm reads up to 10 MB).
	big := "temperature_c=" + strings.Repeat("0", 1<<20) + "30"

	t.Run("with Content-Length", func(t *testing.T) {
		code, msg := send(t, srv, "POST", "/api/conditions", "", same, strings.NewReader(big))
		if code != 413 || !strings.Contains(msg, "over the limit") {
			t.Errorf("status %d %q, want 413", code, msg)
		}
	})
	t.Run("chunked", func(t *testing.T) {
		// io.MultiReader hides the length: the client sends it chunked.
		code, msg := send(t, srv, "POST", "/api/conditions", "", same, io.MultiReader(strings.NewReader(big)))
		if code != 413 || !strings.Contains(msg, "over 4096 bytes") {
			t.Errorf("status %d %q, want 413", code, msg)
		}
	})
	t.Run("joystick", func(t *testing.T) {
		code, _ := send(t, srv, "POST", "/api/joystick", "", same,
			io.MultiReader(strings.NewReader("action=press&key=up&pad="+strings.Repeat("x", 1<<20))))
		if code != 413 {
			t.Errorf("status %d, want 413", code)
		}
		if hat.ATtiny.Keys() != 0 {
			t.Error("an oversized joystick post pressed a key")
		}
	})
	var after Conditions
	_ = json.Unmarshal([]byte(mustGet(t, srv, "/api/conditions")), &after)
	if after.TemperatureC != DefaultConditions.TemperatureC {
		t.Errorf("temperature %g after refused posts, want %g", after.TemperatureC, DefaultConditions.TemperatureC)
	}
}

// spyReader is a multipart body produced on the fly: a small form part and
// a big file. Once the file is past net/http's 32 MB in-memory limit
// (defaultMaxMemory, which FormValue uses), it looks for the temporary
// file the server spools the rest into.
type spyReader struct {
	head, tail []byte
	size       int64
	sent       atomic.Int64 // read by the test while the transport may still send
	dir        string
	spooled    atomic.Bool
	checked    int64 // the MiB last looked at
}

func (s *spyReader) Read(p []byte) (int, error) {
	if len(s.head) > 0 {
		n := copy(p, s.head)
		s.head = s.head[n:]
		return n, nil
	}
	if sent := s.sent.Load(); sent < s.size {
		if sent > 40<<20 && sent>>20 != s.checked {
			// The server has read at least 40 MB less the socket
			// buffers by now: past 32 MB it writes to a file.
			s.checked = sent >> 20
			if ents, _ := os.ReadDir(s.dir); len(ents) > 0 {
				s.spooled.Store(true)
			}
		}
		n := int64(len(p))
		if n > s.size-sent {
			n = s.size - sent
		}
		clear(p[:n])
		s.sent.Add(n)
		return int(n), nil
	}
	if len(s.tail) > 0 {
		n := copy(p, s.tail)
		s.tail = s.tail[n:]
		return n, nil
	}
	return 0, io.EOF
}

func TestAttackMultipartUploadLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir) // where mime/multipart spools big parts
	hat, _, srv := newTestView(t)

	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	_ = mw.WriteField("key", "up")
	_ = mw.WriteField("action", "press")
	if _, err := mw.CreateFormFile("upload", "big.bin"); err != nil {
		t.Fatal(err)
	}
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	body := &spyReader{head: head.Bytes(), tail: []byte(tail), size: 64 << 20, dir: dir}
	code, msg := send(t, srv, "POST", "/api/joystick", "", map[string]string{
		"Origin": srv.URL, "Sec-Fetch-Site": "same-origin", "Content-Type": mw.FormDataContentType(),
	}, body)
	if code != 415 || !strings.Contains(msg, "multipart") {
		t.Errorf("status %d %q, want 415 refusing multipart", code, msg)
	}
	if body.spooled.Load() {
		t.Error("the server wrote the upload to a temporary file")
	}
	if hat.ATtiny.Keys() != 0 {
		t.Error("the multipart form pressed a key")
	}
	if sent := body.sent.Load(); sent > 48<<20 {
		t.Errorf("the server read %d MiB of a refused upload", sent>>20)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left in TMPDIR: %v", ents)
	}
}

func TestAttackEventStreamCap(t *testing.T) {
	testutil.CheckLeaks(t)
	o := DefaultOpts
	o.MaxStreams = 3
	v := newView(t, sim.NewHAT(), &o)
	srv := httptest.NewServer(v)
	t.Cleanup(func() { v.Close(); srv.Close() })

	open := func() (*http.Response, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		resp := getEvents(t, ctx, cancel, srv)
		return resp, func() { cancel(); resp.Body.Close() }
	}
	var closers []context.CancelFunc
	t.Cleanup(func() {
		for _, c := range closers {
			c()
		}
	})
	for i := range 3 {
		resp, c := open()
		closers = append(closers, c)
		if resp.StatusCode != 200 {
			t.Fatalf("stream %d: status %d, want 200", i+1, resp.StatusCode)
		}
	}
	resp, c := open()
	var e struct{ Error string }
	_ = json.NewDecoder(resp.Body).Decode(&e)
	c()
	if resp.StatusCode != 503 || !strings.Contains(e.Error, "too many open event streams (3)") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth stream: status %d %q Retry-After %q, want 503 saying so", resp.StatusCode, e.Error, resp.Header.Get("Retry-After"))
	}

	// A page closes: its slot is free again once its handler has noticed.
	closers[0]()
	closers = closers[1:]
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, c := open()
		closers = append(closers, c)
		if resp.StatusCode == 200 {
			break
		}
		c()
		closers = closers[:len(closers)-1]
		if time.Now().After(deadline) {
			t.Fatalf("no stream slot free 10s after a page closed (status %d)", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wildcardListener listens on loopback but reports the wildcard address,
// so the warning for an exposed page can be tested without exposing one.
type wildcardListener struct{ net.Listener }

func (l wildcardListener) Addr() net.Addr {
	a := *l.Listener.Addr().(*net.TCPAddr)
	a.IP = net.IPv4zero
	return &a
}

func TestNonLoopbackPageWarns(t *testing.T) {
	testutil.CheckLeaks(t)
	for _, exposed := range []bool{false, true} {
		t.Run(fmt.Sprint("exposed=", exposed), func(t *testing.T) {
			ns := testutil.StartServer(t, nil)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if exposed {
				ln = wildcardListener{ln}
			}
			var logs testutil.LogBuffer
			e := &Emulator{
				Config:   SimConfig("emu", ns.URL(), t.TempDir()),
				Log:      slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
				Listener: ln,
				Ready:    make(chan struct{}),
			}
			run := testutil.GoReady(t, "the emulator", e.Ready, e.Run)
			if err := run.Stop(); err != nil {
				t.Errorf("Run: %v", err)
			}
			got := logs.String()
			warned := strings.Contains(got, "level=WARN") && strings.Contains(got, "no authentication") &&
				strings.Contains(got, "flag=--http") && strings.Contains(got, "addr=0.0.0.0:")
			if warned != exposed {
				t.Errorf("exposed=%v, log:\n%s", exposed, got)
			}
		})
	}
}
