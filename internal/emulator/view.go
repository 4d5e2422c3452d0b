package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/fleet"
	"github.com/sensehat/sensehat/internal/webguard"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat"
)

// Opts configures a View.
type Opts struct {
	// Prefix and ID name the device's subjects, as the daemon has them.
	Prefix, ID string
	// NATSURL is shown on the page in the commands to try.
	NATSURL string
	// History is how many NATS messages a newly opened page is sent.
	History int
	// KeepAlive is how often an idle event stream sends a comment, so
	// proxies and phones on flaky networks keep it open.
	KeepAlive time.Duration
	// Log receives the page's comings and goings; discarded when nil.
	Log *slog.Logger
	// Hosts are names besides localhost and IP addresses the page answers
	// to (see webguard): the machine's name when it is opened from
	// another computer.
	Hosts []string
	// MaxStreams is how many pages may follow the board at once (each
	// holds an event stream); webguard.DefaultOpts.MaxStreams when 0.
	MaxStreams int
	// Fleet, if set, serves the fleet part of the page (/fleet/...): the
	// page is the fleet page with this board's controls added.
	Fleet *fleet.Server
}

// DefaultOpts are the options New uses for a nil *Opts; copy and adjust.
var DefaultOpts = Opts{
	Prefix:    wire.DefaultPrefix,
	ID:        "emu",
	NATSURL:   "nats://127.0.0.1:4222",
	History:   50,
	KeepAlive: 20 * time.Second,
}

// View is the web page of the simulated HAT and its HTTP API, behind a
// webguard.Guard (no cross-origin writes, known Host names only, small
// bodies, a bounded number of streams):
//
//	GET  /                 the fleet page (package fleet; embedded: no CDN, no build step)
//	GET  /fleet/...        the fleet's API, when Opts.Fleet is set
//	GET  /events           server-sent events: frame, conditions, msg
//	GET  /api/info         prefix, id and server URL, for the page's hints
//	GET  /api/conditions   the conditions the chips sense, as JSON
//	POST /api/conditions   form fields named as the JSON change them
//	POST /api/joystick     key=up|down|left|right|middle, action=press|release
type View struct {
	board *Board
	opts  Opts
	guard *webguard.Guard
	*webguard.Page

	mu      sync.Mutex
	clients map[chan []byte]struct{}
	history [][]byte
}

// New returns the view of b. Close ends its event streams.
func New(b *Board, opts *Opts) (*View, error) {
	if b == nil {
		return nil, errors.New("emulator: no board")
	}
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultOpts.KeepAlive
	}
	g, err := webguard.New(&webguard.Opts{Hosts: o.Hosts, MaxStreams: o.MaxStreams, Log: o.Log})
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	v := &View{board: b, opts: o, guard: g, clients: map[chan []byte]struct{}{}}
	mux := http.NewServeMux()
	// One page for the fleet and the emulator: the fleet's, which shows
	// the simulation panel when /api/info says "simulation".
	mux.Handle("GET /", http.FileServerFS(fleet.Static()))
	if o.Fleet != nil {
		o.Fleet.Mount(mux)
	}
	mux.HandleFunc("GET /events", v.events)
	mux.HandleFunc("GET /api/info", v.info)
	mux.HandleFunc("GET /api/conditions", v.getConditions)
	mux.HandleFunc("POST /api/conditions", v.setConditions)
	mux.HandleFunc("POST /api/joystick", v.joystick)
	v.Page = g.Page(mux)
	return v, nil
}

// broadcast queues ev for every stream; a stream too far behind loses it
// rather than holding up the others.
func (v *View) broadcast(ev []byte, keep bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if keep && v.opts.History > 0 {
		if len(v.history) >= v.opts.History {
			v.history = append(v.history[:0], v.history[1:]...)
		}
		v.history = append(v.history, ev)
	}
	for ch := range v.clients {
		select {
		case ch <- ev:
		default:
		}
	}
}

// events streams the matrix, the conditions and the NATS traffic.
func (v *View) events(w http.ResponseWriter, r *http.Request) {
	rc, release, ok := v.guard.OpenStream(w)
	if !ok {
		return
	}
	defer release()

	changed, cancel := v.board.Watch()
	defer cancel()
	ch := make(chan []byte, 256)
	v.mu.Lock()
	if v.Closed() {
		v.mu.Unlock()
		return
	}
	backlog := append([][]byte(nil), v.history...)
	v.clients[ch] = struct{}{}
	v.mu.Unlock()
	v.opts.Log.Debug("page connected", "remote", r.RemoteAddr)
	defer func() {
		v.mu.Lock()
		delete(v.clients, ch)
		v.mu.Unlock()
	}()

	buf := make([]byte, 0, frameEventLen)
	var last Frame
	sendFrame := func(force bool) error {
		f := v.board.Frame()
		if !force && f == last {
			return nil
		}
		last = f
		buf = AppendFrameEvent(buf[:0], &f)
		_, err := w.Write(buf)
		return err
	}
	// A page that stops reading (a suspended laptop, a client that never
	// reads) is dropped once a write has waited webguard.StreamWriteTimeout, so it
	// gives its stream slot back. The deadline is renewed before writing.
	_ = rc.SetWriteDeadline(time.Now().Add(webguard.StreamWriteTimeout))
	if err := sendFrame(true); err != nil {
		return
	}
	if _, err := w.Write(conditionsEvent(v.board.Conditions())); err != nil {
		return
	}
	for _, ev := range backlog {
		if _, err := w.Write(ev); err != nil {
			return
		}
	}
	webguard.Pump{
		Done: v.Done(), KeepAlive: v.opts.KeepAlive, Events: ch,
		Changed: changed, Write: func() error { return sendFrame(false) },
	}.Run(r.Context(), rc, w)
}

// frameEventLen is the size of one frame event: 192 duties as hex.
const frameEventLen = len("event: frame\ndata: ") + 2*192 + len("\n\n")

const hexDigits = "0123456789abcdef"

// AppendFrameEvent appends f as a server-sent "frame" event whose data is
// the 192 register bytes in hex (5-bit duties, per row 8 red, 8 green, 8
// blue): the page turns duties into screen colours itself. It allocates
// only when dst is too small.
func AppendFrameEvent(dst []byte, f *Frame) []byte {
	dst = append(dst, "event: frame\ndata: "...)
	for _, b := range f {
		dst = append(dst, hexDigits[b>>4], hexDigits[b&0x0F])
	}
	return append(dst, "\n\n"...)
}

func conditionsEvent(c Conditions) []byte {
	j, _ := json.Marshal(c) // plain floats: cannot fail
	return webguard.Event("conditions", j)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	webguard.Error(w, code, msg)
}

func (v *View) info(w http.ResponseWriter, _ *http.Request) {
	webguard.JSON(w, http.StatusOK, map[string]any{
		"prefix": v.opts.Prefix, "id": v.opts.ID, "nats_url": v.opts.NATSURL, "simulation": true,
	})
}

func (v *View) getConditions(w http.ResponseWriter, _ *http.Request) {
	webguard.JSON(w, http.StatusOK, v.board.Conditions())
}

// setConditions changes the named conditions and leaves the others as
// they are, so a slider sends only its own value.
func (v *View) setConditions(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		webguard.BodyError(w, err)
		return
	}
	c := v.board.Conditions()
	for name, vals := range r.PostForm {
		var p *float64
		for _, l := range limits {
			if l.name == name {
				p = l.get(&c)
			}
		}
		if p == nil {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("emulator: unknown condition %q; known: %s", name, conditionNames()))
			return
		}
		f, err := strconv.ParseFloat(vals[len(vals)-1], 64)
		if err != nil {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("emulator: %s %q is not a number", name, vals[len(vals)-1]))
			return
		}
		*p = f
	}
	if err := v.board.SetConditions(c); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	v.broadcast(conditionsEvent(c), false)
	webguard.JSON(w, http.StatusOK, c)
}

var keys = map[string]sensehat.Key{
	"up": sensehat.KeyUp, "down": sensehat.KeyDown, "left": sensehat.KeyLeft,
	"right": sensehat.KeyRight, "middle": sensehat.KeyMiddle,
}

// joystick reads the posted form only (r.PostForm, never FormValue, which
// would parse a multipart body into temporary files).
func (v *View) joystick(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		webguard.BodyError(w, err)
		return
	}
	k, ok := keys[r.PostForm.Get("key")]
	if !ok {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("emulator: key %q; want up, down, left, right or middle", r.PostForm.Get("key")))
		return
	}
	switch a := r.PostForm.Get("action"); a {
	case "press":
		v.board.Press(k)
	case "release":
		v.board.Release(k)
	default:
		httpError(w, http.StatusBadRequest, fmt.Sprintf("emulator: action %q; want press or release", a))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Monitor subscribes nc to everything the device receives and publishes
// (its own subjects and the fleet-wide text subjects) and shows it on the
// page. The subscriptions are plain ones, not the device's queue group, so
// watching takes no message away from a device. Call stop to unsubscribe.
func (v *View) Monitor(nc *nats.Conn) (stop func() error, err error) {
	s := wire.Subjects{Prefix: v.opts.Prefix, ID: v.opts.ID}
	subjects := []string{s.All(), s.AllText(), s.AnyText()}
	var subs []*nats.Subscription
	stop = func() error {
		var errs []error
		for _, s := range subs {
			errs = append(errs, s.Unsubscribe())
		}
		return errors.Join(errs...)
	}
	live := s.FrameLive()
	for _, s := range subjects {
		sub, err := nc.Subscribe(s, func(m *nats.Msg) {
			// Live frames are the mirror's, ten a second while a page
			// is open: the matrix shows them, the list would drown. The
			// fleet page's own status polls and leases are left out too.
			if m.Subject == live || m.Header.Get(fleet.PageHeader) != "" {
				return
			}
			v.Record(m.Subject, m.Data, time.Now())
		})
		if err != nil {
			_ = stop()
			return nil, fmt.Errorf("emulator: subscribing to %s: %w", s, err)
		}
		subs = append(subs, sub)
	}
	return stop, nil
}

// maxShown is how much of a payload the page shows.
const maxShown = 240

// Message is one NATS message as the page shows it.
type Message struct {
	Time    string `json:"time"`
	Subject string `json:"subject"`
	// Dir is "out" for what the device published (joystick, sensors) and
	// "in" for what was sent to it.
	Dir  string `json:"dir"`
	Data string `json:"data"`
	Size int    `json:"size"`
}

// Record shows a message on the page.
func (v *View) Record(subject string, data []byte, t time.Time) {
	m := Message{Time: t.Format("15:04:05.000"), Subject: subject, Dir: "in", Size: len(data)}
	if rest, ok := strings.CutPrefix(subject, wire.Subjects{Prefix: v.opts.Prefix, ID: v.opts.ID}.Base()+"."); ok &&
		(strings.HasPrefix(rest, "joystick.") || strings.HasPrefix(rest, "sensors.")) {
		m.Dir = "out"
	}
	switch {
	case !utf8.Valid(data):
		m.Data = fmt.Sprintf("(%d bytes of binary)", len(data))
	case len(data) > maxShown:
		cut := maxShown
		for !utf8.RuneStart(data[cut]) {
			cut--
		}
		m.Data = string(data[:cut]) + "…"
	default:
		m.Data = string(data)
	}
	j, err := json.Marshal(m)
	if err != nil {
		return
	}
	// Readings arrive ten times a second: they update the page's readings
	// table but are not kept for pages opened later.
	v.broadcast(webguard.Event("msg", j), m.Dir == "in" || strings.Contains(subject, ".joystick."))
}
