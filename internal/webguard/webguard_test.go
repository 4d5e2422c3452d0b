package webguard

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestExposed(t *testing.T) {
	tests := []struct {
		addr    net.Addr
		exposed bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, false},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 1, 1), Port: 8080}, false}, // Debian's hostname address: 127.0.0.0/8 is loopback (RFC 1122)
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, false},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, true}, // what --http :8080 and 0.0.0.0:8080 bind
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv4(192, 168, 1, 20), Port: 4222}, true},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 4222, Zone: "eth0"}, true},
	}
	for _, tc := range tests {
		if got := Exposed(tc.addr); got != tc.exposed {
			t.Errorf("Exposed(%s) = %v, want %v", tc.addr, got, tc.exposed)
		}
	}
}

func TestWarnExposedLogs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	if WarnExposed(log, "--nats-listen", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4222}) || buf.Len() != 0 {
		t.Errorf("loopback warned: %q", buf.String())
	}
	if !WarnExposed(log, "--nats-listen", &net.TCPAddr{IP: net.IPv4zero, Port: 4222}) {
		t.Fatal("wildcard did not warn")
	}
	for _, want := range []string{"level=WARN", "no authentication", "flag=--nats-listen", "addr=0.0.0.0:4222"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("warning %q lacks %q", buf.String(), want)
		}
	}
}

func TestNewRefusesBadHost(t *testing.T) {
	for _, h := range []string{"", "a b", "http://x/"} {
		if _, err := New(&Opts{Hosts: []string{h}}); err == nil {
			t.Errorf("host %q accepted", h)
		}
	}
}

func TestCheck(t *testing.T) {
	g, err := New(&Opts{Hosts: []string{"Pi.Local"}, MaxBody: 100})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, host string
		hdr                map[string]string
		length             int64
		code               int
	}{
		{"GET needs no Origin", "GET", "127.0.0.1:8080", nil, 0, 0},
		{"HEAD", "HEAD", "localhost:8080", nil, 0, 0},
		{"OPTIONS is safe", "OPTIONS", "localhost:8080", map[string]string{"Origin": "http://evil.example"}, 0, 0},
		{"GET from a rebound name", "GET", "evil.example:8080", nil, 0, 403},
		{"empty Host (HTTP/1.0)", "GET", "", nil, 0, 403},
		{"configured name, any case, trailing dot", "GET", "pi.local.:80", nil, 0, 0},
		{"configured name, same-origin POST", "POST", "pi.local:8080", map[string]string{"Origin": "http://PI.LOCAL:8080", "Content-Type": "application/x-www-form-urlencoded"}, 10, 0},
		{"Origin with other scheme same host", "POST", "pi.local:8080", map[string]string{"Origin": "https://pi.local:8080", "Content-Type": "application/x-www-form-urlencoded"}, 10, 0},
		{"user typed the URL (Sec-Fetch-Site none)", "POST", "localhost:8080", map[string]string{"Sec-Fetch-Site": "none", "Origin": "http://localhost:8080"}, 10, 0},
		{"JSON from a script without Origin", "POST", "localhost:8080", map[string]string{"Content-Type": "application/json"}, 10, 0},
		{"no type, no Origin", "POST", "localhost:8080", nil, 10, 403},
		{"DELETE cross-site", "DELETE", "localhost:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, 0, 403},
		{"Origin without host", "POST", "localhost:8080", map[string]string{"Origin": "http://"}, 0, 403},
		{"body over the limit", "POST", "localhost:8080", map[string]string{"Origin": "http://localhost:8080"}, 101, 413},
		{"body at the limit", "POST", "localhost:8080", map[string]string{"Origin": "http://localhost:8080", "Content-Type": "application/x-www-form-urlencoded"}, 100, 0},
		{"multipart even on GET", "GET", "localhost:8080", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, 0, 415},
		{"multipart/mixed", "POST", "localhost:8080", map[string]string{"Origin": "http://localhost:8080", "Content-Type": "Multipart/Mixed; boundary=x"}, 10, 415},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/", nil)
			r.Host = tc.host
			r.ContentLength = tc.length
			for k, v := range tc.hdr {
				r.Header.Set(k, v)
			}
			if code, msg := g.Check(r); code != tc.code {
				t.Errorf("Check = %d %q, want %d", code, msg, tc.code)
			}
		})
	}
}

func TestHandlerHeadersAndBodyLimit(t *testing.T) {
	g, err := New(&Opts{MaxBody: 8})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			BodyError(w, err)
			return
		}
		w.WriteHeader(204)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, want := range map[string]string{
		"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
		"Cross-Origin-Resource-Policy": "same-origin", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}

	for _, n := range []int{8, 9} {
		req, _ := http.NewRequest("POST", srv.URL, io.MultiReader(strings.NewReader(strings.Repeat("x", n)))) // chunked
		req.Header.Set("Origin", srv.URL)
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := 204
		if n > 8 {
			want = 413
		}
		if resp.StatusCode != want {
			t.Errorf("%d-byte chunked body: status %d, want %d", n, resp.StatusCode, want)
		}
	}
}

func TestTrickledBodyTimesOut(t *testing.T) {
	g, err := New(&Opts{BodyTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	srv := httptest.NewServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		got <- err
	})))
	defer srv.Close()

	// A client that sends headers and three bytes of a 100-byte body,
	// then nothing.
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\nabc")
	select {
	case err := <-got:
		var ne net.Error
		if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("reading the trickled body: %v, want a timeout", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the handler still waits for the body after 20s")
	}
}

func TestStreamCap(t *testing.T) {
	g, err := New(&Opts{MaxStreams: 2})
	if err != nil {
		t.Fatal(err)
	}
	var releases []func()
	for i := range 2 {
		rel, ok := g.Stream(httptest.NewRecorder())
		if !ok {
			t.Fatalf("stream %d refused", i+1)
		}
		releases = append(releases, rel)
	}
	rec := httptest.NewRecorder()
	if _, ok := g.Stream(rec); ok || rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("third stream: ok %v, status %d; want 503 with Retry-After", ok, rec.Code)
	}
	releases[0]()
	if g.Streams() != 1 {
		t.Errorf("%d streams after a release, want 1", g.Streams())
	}
	if rel, ok := g.Stream(httptest.NewRecorder()); !ok {
		t.Error("slot not free after a release")
	} else {
		rel()
	}
	releases[1]()
	if g.Streams() != 0 {
		t.Errorf("%d streams after all released", g.Streams())
	}
}

func TestServerTimeouts(t *testing.T) {
	s := Server(http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Errorf("server without header/idle/size limits: %+v", s)
	}
	if s.ReadTimeout != 0 || s.WriteTimeout != 0 {
		t.Error("ReadTimeout or WriteTimeout set: event streams would be cut")
	}
}
