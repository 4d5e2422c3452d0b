// Package webguard protects the small web servers the laptop tool runs
// (the emulator page, later the fleet page) from the browser-borne attacks
// a server without authentication on a developer's machine is open to:
//
//   - Cross-site request forgery: any page the user visits can POST a form
//     or a fetch to http://127.0.0.1:8080. Writes (any method but GET, HEAD
//     and OPTIONS) must come from the page itself: a Sec-Fetch-Site other
//     than same-origin or none is refused, an Origin whose host:port is not
//     the request's Host is refused, and a write with a body type a
//     cross-site form can send (form, multipart, text/plain) but no Origin
//     is refused, since every current browser sends Origin on a POST. This
//     is the algorithm of net/http's CrossOriginProtection, stricter about
//     a missing Origin, with messages that say what to do.
//   - DNS rebinding: a name the attacker controls is pointed at 127.0.0.1,
//     making the attacker's page same-origin with ours. The browser still
//     sends the attacker's name as Host, so only known names are answered
//     (localhost, IP literals, and names the user configures).
//   - Resource exhaustion: every body is cut off at MaxBody, multipart is
//     refused before a byte of it is read (net/http spools big multipart
//     parts to temporary files), event streams are counted against
//     MaxStreams, and Server sets timeouts on headers, bodies and idle
//     connections.
//   - Framing (clickjacking): responses forbid being framed.
//
// The port in Host is not checked: IP literals and localhost cannot be
// rebound, and an SSH tunnel (ssh -L 9000:127.0.0.1:8080) changes the port
// a legitimate browser sends.
package webguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Opts configures a Guard.
type Opts struct {
	// Hosts are names, besides localhost and IP literals, the server
	// answers to in the Host header: the machine's name when the page is
	// opened from another computer, or a reverse proxy's name. Compared
	// without port and case.
	Hosts []string
	// MaxBody is the most bytes of a request body read; a longer body is
	// answered 413.
	MaxBody int64
	// MaxStreams is how many long-lived streams (server-sent events) may
	// be open at once; one more is answered 503.
	MaxStreams int
	// BodyTimeout bounds how long reading a request body may take, so a
	// client trickling a body cannot hold a connection.
	BodyTimeout time.Duration
	// Log receives refused requests at debug level; discarded when nil.
	Log *slog.Logger
}

// DefaultOpts are the options New uses for a nil *Opts; copy and adjust.
// The emulator's requests are form posts of a few dozen bytes, and a page
// opens one stream: 4 KiB and 32 streams leave a wide margin.
var DefaultOpts = Opts{
	MaxBody:     4 << 10,
	MaxStreams:  32,
	BodyTimeout: 10 * time.Second,
}

// Guard checks requests before they reach a handler. It is safe for
// concurrent use.
type Guard struct {
	opts    Opts
	hosts   map[string]bool
	streams chan struct{}
}

// New returns a guard with opts (DefaultOpts when nil; zero fields take
// the default's value).
func New(opts *Opts) (*Guard, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultOpts.MaxBody
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = DefaultOpts.MaxStreams
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = DefaultOpts.BodyTimeout
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	g := &Guard{opts: o, hosts: map[string]bool{"localhost": true}, streams: make(chan struct{}, o.MaxStreams)}
	for _, h := range o.Hosts {
		name := hostname(h)
		if name == "" || strings.ContainsAny(h, "/@ \t") {
			return nil, fmt.Errorf("webguard: allowed host %q is not a host name", h)
		}
		g.hosts[name] = true
	}
	return g, nil
}

// hostname returns the lower-case name of a Host header or host[:port],
// without port, brackets or trailing dot.
func hostname(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// AllowedHost reports whether a Host header names this server.
func (g *Guard) AllowedHost(host string) bool {
	name := hostname(host)
	if name == "" {
		return false
	}
	if net.ParseIP(name) != nil {
		return true
	}
	return g.hosts[name]
}

// Error writes a JSON error reply {"error": msg}, the shape the emulator's
// API answers every failure with.
func Error(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// BodyError answers err from reading a body: 413 when the body was over
// the limit, 400 otherwise.
func BodyError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes; the page sends a few dozen", tooBig.Limit))
		return
	}
	Error(w, http.StatusBadRequest, "reading the request: "+err.Error())
}

// safeMethod reports a method that must not change anything.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// Check returns the status and message a request is refused with, or 0
// when it may go on.
func (g *Guard) Check(r *http.Request) (int, string) {
	if !g.AllowedHost(r.Host) {
		return http.StatusForbidden, fmt.Sprintf("Host %q is not a name this server answers to (DNS rebinding protection); open it as localhost or by IP address, or allow the name with --http-host", r.Host)
	}
	if r.ContentLength > g.opts.MaxBody {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes is over the limit of %d", r.ContentLength, g.opts.MaxBody)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/") {
		return http.StatusUnsupportedMediaType, "multipart bodies are not accepted; send application/x-www-form-urlencoded"
	}
	if safeMethod(r.Method) {
		return 0, ""
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return http.StatusForbidden, fmt.Sprintf("cross-origin %s refused (Sec-Fetch-Site: %s): only this server's own page may change the board", r.Method, site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		if r.Header.Get("Sec-Fetch-Site") == "" && formType(ct, r.Header.Get("Content-Type")) {
			return http.StatusForbidden, fmt.Sprintf("%s of a form without an Origin header refused (browsers send one); from a script, add the header Origin: http://%s", r.Method, r.Host)
		}
		return 0, ""
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
		return http.StatusForbidden, fmt.Sprintf("cross-origin %s from %q refused: only this server's own page (http://%s) may change the board", r.Method, origin, r.Host)
	}
	return 0, ""
}

// formType reports a body type a cross-site HTML form or a "simple" fetch
// can send without a CORS preflight.
func formType(mediaType, header string) bool {
	switch mediaType {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return header == "" // no type at all: fetch with a Blob or string body may omit it
}

// Handler returns next behind the guard: refused requests are answered
// here; the others get security headers, a body cut off at MaxBody and a
// deadline for reading it. Nothing is cached: the pages show live state.
func (g *Guard) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		if code, msg := g.Check(r); code != 0 {
			g.opts.Log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "host", r.Host,
				"origin", r.Header.Get("Origin"), "remote", r.RemoteAddr, "status", code)
			if code == http.StatusRequestEntityTooLarge || code == http.StatusUnsupportedMediaType {
				// The body is not wanted: do not let the server drain it.
				h.Set("Connection", "close")
			}
			Error(w, code, msg)
			return
		}
		if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
			// Deadlines on the connection last for this request only: the
			// server sets its own before reading the next one.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(g.opts.BodyTimeout))
		}
		r.Body = http.MaxBytesReader(w, r.Body, g.opts.MaxBody)
		next.ServeHTTP(w, r)
	})
}

// Stream takes one of MaxStreams stream slots. When all are taken it
// answers 503 and returns ok false; otherwise call release when the stream
// ends.
func (g *Guard) Stream(w http.ResponseWriter) (release func(), ok bool) {
	select {
	case g.streams <- struct{}{}:
		return func() { <-g.streams }, true
	default:
		w.Header().Set("Retry-After", "10")
		Error(w, http.StatusServiceUnavailable, fmt.Sprintf("too many open event streams (%d); close a page and retry", cap(g.streams)))
		return nil, false
	}
}

// OpenStream takes a stream slot (see Stream) and starts an event stream
// on w: a 200 with headers that keep proxies from buffering it. When ok,
// call release when the stream ends.
func (g *Guard) OpenStream(w http.ResponseWriter) (rc *http.ResponseController, release func(), ok bool) {
	release, ok = g.Stream(w)
	if !ok {
		return nil, nil, false
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return http.NewResponseController(w), release, true
}

// Pump is what an event stream waits on after its first events: the
// pages of the fleet and of the emulator stream alike, and differ only
// in what wakes them.
type Pump struct {
	// Done closes when the server shuts down, ending the stream.
	Done <-chan struct{}
	// KeepAlive is how often an idle stream gets a KeepAlive comment, so
	// that proxies and browsers do not drop it.
	KeepAlive time.Duration
	// Events carries ready-made events. Took, when set, is told of each
	// one taken before it is written (to count what is still queued).
	Events <-chan []byte
	Took   func(ev []byte)
	// Changed, when set, wakes the stream to call Write, which writes
	// what changed itself (after the write deadline is renewed).
	Changed <-chan struct{}
	Write   func() error
}

// Run flushes w and writes what comes until the page hangs up (ctx ends),
// Done closes, or a write fails.
func (p Pump) Run(ctx context.Context, rc *http.ResponseController, w io.Writer) {
	keepAlive := time.NewTicker(p.KeepAlive)
	defer keepAlive.Stop()
	for {
		if err := rc.Flush(); err != nil {
			return
		}
		var err error
		select {
		case <-ctx.Done():
			return
		case <-p.Done:
			return
		case <-p.Changed:
			_ = rc.SetWriteDeadline(time.Now().Add(StreamWriteTimeout))
			err = p.Write()
		case ev := <-p.Events:
			if p.Took != nil {
				p.Took(ev)
			}
			err = WriteEvent(rc, w, ev)
		case <-keepAlive.C:
			err = WriteEvent(rc, w, KeepAlive)
		}
		if err != nil {
			return
		}
	}
}

// Page is what a page server (the fleet's, the emulator's) serves: its
// handler behind the guard, and the end of its event streams. Embed it
// for ServeHTTP and Close.
type Page struct {
	handler http.Handler
	once    sync.Once
	done    chan struct{}
}

// Page returns h behind the guard as a page.
func (g *Guard) Page(h http.Handler) *Page {
	return &Page{handler: g.Handler(h), done: make(chan struct{})}
}

// ServeHTTP serves the page and its API behind the guard.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.handler.ServeHTTP(w, r)
}

// Close ends every event stream (Done closes), so an http.Server's
// Shutdown does not wait for pages that never hang up.
func (p *Page) Close() { p.once.Do(func() { close(p.done) }) }

// Done is closed by Close; a stream ends then (Pump.Done).
func (p *Page) Done() <-chan struct{} { return p.done }

// Closed reports whether Close was called: a stream opened since is
// not followed.
func (p *Page) Closed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Streams returns how many stream slots are taken.
func (g *Guard) Streams() int { return len(g.streams) }

// Server returns an http.Server for h with the timeouts a server exposed
// to a browser needs. It sets no ReadTimeout or WriteTimeout: those would
// end event streams; the guard's body deadline and the stream's own write
// deadlines take their place.
func Server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// Shutdown stops srv, giving requests in flight up to 5 s (ctx may already
// be done; only its values are kept), then closes what is left.
func Shutdown(ctx context.Context, srv *http.Server) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
}

// Group runs the parts of a page server that end together (the page,
// the work behind it): the first to fail cancels the others' context, and
// Wait returns every failure.
type Group struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
}

// NewGroup returns a group and the context its parts run under.
func NewGroup(ctx context.Context) (*Group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &Group{cancel: cancel}, ctx
}

// Go runs f; an error from it ends the group, said as what's (for
// instance "emulator: daemon") unless what is "".
func (g *Group) Go(what string, f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			if what != "" {
				err = fmt.Errorf("%s: %w", what, err)
			}
			g.mu.Lock()
			g.errs = append(g.errs, err)
			g.mu.Unlock()
			g.cancel()
		}
	}()
}

// Serve serves srv on ln; a failure other than a shutdown is said as
// what's (for instance "fleet: page").
func (g *Group) Serve(what string, srv *http.Server, ln net.Listener) {
	g.Go(what, func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
}

// Wait waits for every part, cancels the group's context and returns
// the failures joined.
func (g *Group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return errors.Join(g.errs...)
}

// StreamWriteTimeout is how long one write to an event stream may block.
// A page that stops reading (a suspended laptop, a client that never
// reads) is dropped then and gives its stream slot back; it is well over
// the keep-alive interval a healthy page receives.
const StreamWriteTimeout = time.Minute

// KeepAlive is the event-stream comment that keeps an idle stream open.
var KeepAlive = []byte(": keep-alive\n\n")

// WriteEvent writes b to an event stream, renewing the write deadline
// first (see StreamWriteTimeout).
func WriteEvent(rc *http.ResponseController, w io.Writer, b []byte) error {
	_ = rc.SetWriteDeadline(time.Now().Add(StreamWriteTimeout))
	_, err := w.Write(b)
	return err
}

// Event returns an event-stream event named name carrying data (one
// line: data holds no newline).
func Event(name string, data []byte) []byte {
	ev := make([]byte, 0, len(name)+len(data)+16)
	ev = append(ev, "event: "...)
	ev = append(ev, name...)
	ev = append(ev, "\ndata: "...)
	ev = append(ev, data...)
	return append(ev, "\n\n"...)
}

// JSON answers with v as JSON and status code.
func JSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Exposed reports whether a listening address can be reached from other
// machines: a wildcard (0.0.0.0, ::) or an address that is not loopback.
func Exposed(addr net.Addr) bool {
	host := addr.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip == nil || !ip.IsLoopback()
}

// WarnExposed logs a warning when addr, where what listens (the flag that
// chose it), can be reached from other machines, and reports whether it
// did.
func WarnExposed(log *slog.Logger, what string, addr net.Addr) bool {
	if !Exposed(addr) {
		return false
	}
	log.Warn("listening on a non-loopback address: anyone who can reach it can use it, there is no authentication; bind 127.0.0.1 unless this is a network you trust",
		"flag", what, "addr", addr.String())
	return true
}
