package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/webguard"
	"github.com/sensehat/sensehat/internal/wire"
)

// Mount adds the fleet's API to mux (the emulator puts it beside its own):
//
//	GET  /fleet/events      server-sent events: devices, frame, reading
//	GET  /fleet/devices     the cards as JSON
//	GET  /fleet/quantities  the quantities with samples, sorted
//	GET  /fleet/series?q=env.temperature_c[&span=hour|day|week][&id=pi1...]
//	GET  /fleet/limits      what the page keeps at most, and what it dropped
//	POST /fleet/text        to=<id>|all|any, text=...: the devices' replies
//	POST /fleet/clear       to=<id>|all
//	POST /fleet/config      to=<id>|all, rotation=0|90|180|270, low_light=true|false
//
// Streams count against the server's own webguard; the Host, Origin and
// body checks are those of whatever serves mux.
func (s *Server) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /fleet/events", s.events)
	mux.HandleFunc("GET /fleet/devices", s.list)
	mux.HandleFunc("GET /fleet/quantities", s.quantities)
	mux.HandleFunc("GET /fleet/series", s.getSeries)
	mux.HandleFunc("GET /fleet/limits", s.limits)
	mux.HandleFunc("POST /fleet/text", s.text)
	mux.HandleFunc("POST /fleet/clear", s.clear)
	mux.HandleFunc("POST /fleet/config", s.config)
	s.mountDesired(mux) // desired.go
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) {
	webguard.JSON(w, http.StatusOK, map[string]any{
		"prefix": s.opts.Prefix, "nats_url": s.opts.NATSURL, "simulation": false,
		"gone_after_s": (time.Duration(s.opts.GoneAfter) * s.opts.Every).Seconds(),
		"window_s":     s.opts.Window.Seconds(),
		"history":      s.opts.HistoryStream != "",
	})
}

func (s *Server) list(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	j, err := json.Marshal(s.listLocked())
	s.mu.Unlock()
	if err != nil {
		webguard.Error(w, http.StatusInternalServerError, "fleet: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(j)
}

// Limits is what /fleet/limits answers: what the page keeps at most
// (docs/fleet.md, "What the page keeps"), what it holds now, and what it
// dropped.
type Limits struct {
	MaxDevices       int `json:"max_devices"`
	MaxIDBytes       int `json:"max_id_bytes"`
	MaxStatusBytes   int `json:"max_status_bytes"`
	MaxMetadataBytes int `json:"max_metadata_bytes"`
	StreamBytes      int `json:"stream_bytes"`
	RingSamples      int `json:"ring_samples"`
	// DeviceRingBytes is the most one device's plot rings take.
	DeviceRingBytes int `json:"device_ring_bytes"`
	// Bounds are the physical range of each numeric quantity.
	Bounds map[string]Bounds `json:"bounds"`

	Devices   int `json:"devices"`
	RingBytes int `json:"ring_bytes"`
	// Dropped counts the values outside their physical range, Refused
	// the devices found beyond MaxDevices.
	Dropped int `json:"dropped"`
	Refused int `json:"refused"`
}

// Limits returns the page's bounds and what it holds now.
func (s *Server) Limits() Limits {
	n := max(min(int(s.opts.Window/s.opts.SampleEvery), maxRingSamples), 2)
	l := Limits{
		MaxDevices: s.opts.MaxDevices, MaxIDBytes: maxIDBytes, MaxStatusBytes: maxStatusBytes, MaxMetadataBytes: maxMetadataBytes,
		StreamBytes: streamBytes, RingSamples: n, DeviceRingBytes: deviceRingBytes(n), Bounds: map[string]Bounds{},
	}
	for _, k := range wire.Kinds {
		for _, q := range wire.Quantities(k) {
			if b, ok := boundsOf(q); ok {
				l.Bounds[q.Name] = b
			}
		}
	}
	s.mu.Lock()
	l.Devices, l.RingBytes, l.Dropped, l.Refused = len(s.devices), s.ringBytes, s.dropped, s.refused
	s.mu.Unlock()
	return l
}

func (s *Server) limits(w http.ResponseWriter, _ *http.Request) {
	webguard.JSON(w, http.StatusOK, s.Limits())
}

func (s *Server) quantities(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	seen := map[string]bool{}
	for _, byQ := range s.series {
		for q := range byQ {
			seen[q] = true
		}
	}
	s.mu.Unlock()
	qs := make([]string, 0, len(seen))
	for q := range seen {
		qs = append(qs, q)
	}
	sort.Strings(qs)
	webguard.JSON(w, http.StatusOK, qs)
}

// getSeries answers {"<id>": [{"t":ms,"v":x},...]} for quantity q over the
// span (hour when not given), for the devices named by id (every device
// when none). The hour is the live samples in memory. Day and week are
// read from the history stream, averaged into at most spanPoints per
// device, with header Sensehat-Series-Source "stream"; without a stream
// they are what memory holds, with source "memory". A note on an answer
// (Sensehat-Series-Note) says what is missing from it.
func (s *Server) getSeries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("q")
	if name == "" || len(name) > 100 {
		webguard.Error(w, http.StatusBadRequest, "fleet: give the quantity as q=, e.g. q=env.temperature_c (see /fleet/quantities)")
		return
	}
	span := q.Get("span")
	d, long := spans[span]
	if !long && span != "" && span != "hour" {
		webguard.Error(w, http.StatusBadRequest, fmt.Sprintf("fleet: span %q; want hour, day or week", span))
		return
	}
	if long {
		if _, err := plotQuantity(name); err != nil {
			webguard.Error(w, http.StatusBadRequest, err.Error())
			return
		}
		ids, err := spanIDs(q["id"])
		if err != nil {
			webguard.Error(w, http.StatusBadRequest, err.Error())
			return
		}
		res := s.spanCache.get(r.Context(), spanKey(name, span, ids), func() spanResult {
			ctx, cancel := s.detached(r.Context())
			defer cancel()
			return s.readSpan(ctx, name, ids, d)
		})
		switch {
		case res.err == nil:
			w.Header().Set(seriesSource, "stream")
			if res.note != "" {
				w.Header().Set(seriesNote, res.note)
			}
			webguard.JSON(w, http.StatusOK, res.series)
			return
		case !errors.Is(res.err, errNoStream):
			webguard.Error(w, http.StatusBadGateway, res.err.Error()+"; the hour span still plots the live readings")
			return
		}
		// No stream: what memory holds, averaged as the stream would be.
		w.Header().Set(seriesNote, fmt.Sprintf("only the last %s kept in memory: longer spans need a stream of readings (store and forward) named with --history-stream", shortDuration(s.opts.Window)))
	}
	w.Header().Set(seriesSource, "memory")
	want := map[string]bool{}
	for _, id := range q["id"] {
		want[id] = true
	}
	now := time.Now()
	since := now.Add(-s.opts.Window)
	out := map[string][]Sample{}
	s.mu.Lock()
	for id, byQ := range s.series {
		if len(want) > 0 && !want[id] {
			continue
		}
		if rg := byQ[name]; rg != nil {
			out[id] = rg.since(since)
		}
	}
	s.mu.Unlock()
	if long {
		for id, ss := range out {
			out[id] = downsample(ss, now.Add(-d).UnixMilli(), now.UnixMilli()+1, spanPoints)
		}
	}
	webguard.JSON(w, http.StatusOK, out)
}

// shortDuration writes 1h rather than 1h0m0s.
func shortDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// detached returns a context that ends when the server closes rather than
// when the request does: a read of the stream outlives the page that asked
// first, since others may wait for it and a reload finds it cached. The
// read's own timeout still bounds it.
func (s *Server) detached(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-s.Done():
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, cancel
}

// The headers of a series answer: where it comes from (stream or
// memory), and what is missing from it.
const (
	seriesSource = "Sensehat-Series-Source"
	seriesNote   = "Sensehat-Series-Note"
)

// events streams the cards, the live frames and the readings.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc, release, ok := s.guard.OpenStream(w)
	if !ok {
		return
	}
	defer release()

	c := &client{ch: make(chan []byte, 256)}
	s.mu.Lock()
	if s.Closed() {
		s.mu.Unlock()
		return
	}
	first := s.devicesEventLocked()
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
	}()
	// The first page wants frames now, not at the next renewal.
	select {
	case s.poke <- struct{}{}:
	default:
	}
	if err := webguard.WriteEvent(rc, w, first); err != nil {
		return
	}
	webguard.Pump{
		Done: s.Done(), KeepAlive: s.opts.KeepAlive, Events: c.ch,
		Took: func(ev []byte) {
			s.mu.Lock()
			c.queued -= len(ev)
			s.mu.Unlock()
		},
	}.Run(r.Context(), rc, w)
}

// Reply is one device's answer to an action, as the page shows it.
type Reply struct {
	// From is the device that answered ("" when none did).
	From string `json:"from,omitempty"`
	// Reply is the device's JSON reply (displayed, replaced, ok...).
	Reply json.RawMessage `json:"reply,omitempty"`
	// Error is the device's error reply or why there was none.
	Error string `json:"error,omitempty"`
}

// target reads and checks the form's "to".
func target(r *http.Request) (string, error) {
	to := r.PostForm.Get("to")
	if err := wire.CheckToken("to", to); err != nil {
		return "", fmt.Errorf("fleet: %w; send to=<device id>, all or any", err)
	}
	return to, nil
}

func (s *Server) text(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		webguard.BodyError(w, err)
		return
	}
	to, err := target(r)
	if err != nil {
		webguard.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	text := r.PostForm.Get("text")
	if strings.TrimSpace(text) == "" {
		webguard.Error(w, http.StatusBadRequest, "fleet: text is empty; type something to show")
		return
	}
	s.act(w, r, to, true, func(sj wire.Subjects) string { return sj.Text() }, []byte(text), s.opts.TextTimeout, s.textWait(text))
}

func (s *Server) clear(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		webguard.BodyError(w, err)
		return
	}
	to, err := target(r)
	if err != nil || to == wire.Any {
		webguard.Error(w, http.StatusBadRequest, "fleet: clear needs to=<device id> or all")
		return
	}
	s.act(w, r, to, false, func(sj wire.Subjects) string { return sj.Clear() }, nil, 10*time.Second, s.opts.ReplyWait)
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		webguard.BodyError(w, err)
		return
	}
	to, err := target(r)
	if err != nil || to == wire.Any {
		webguard.Error(w, http.StatusBadRequest, "fleet: config needs to=<device id> or all")
		return
	}
	cfg := map[string]any{}
	if v := r.PostForm.Get("rotation"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n%90 != 0 || n < 0 || n > 270 {
			webguard.Error(w, http.StatusBadRequest, fmt.Sprintf("fleet: rotation %q; want 0, 90, 180 or 270", v))
			return
		}
		cfg["rotation"] = n
	}
	if v := r.PostForm.Get("low_light"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			webguard.Error(w, http.StatusBadRequest, fmt.Sprintf("fleet: low_light %q; want true or false", v))
			return
		}
		cfg["low_light"] = b
	}
	if len(cfg) == 0 {
		webguard.Error(w, http.StatusBadRequest, "fleet: nothing to change; send rotation= or low_light=")
		return
	}
	body, _ := json.Marshal(cfg)
	s.act(w, r, to, false, func(sj wire.Subjects) string { return sj.Config() }, body, 10*time.Second, s.opts.ReplyWait)
}

// act sends body to the subject of device to and answers the page with
// the replies. For "all", a subject with a fan-out (fanout: led.text) is
// sent once and a reply awaited from every device present; other
// subjects are sent to each device present, at once. One device is
// waited for up to one; all of them up to all, after which each device
// still silent is answered "no reply". A page that asks with Accept:
// application/x-ndjson gets each reply on its own line as it comes,
// so one silent device holds up none of the others.
func (s *Server) act(w http.ResponseWriter, r *http.Request, to string, fanout bool, subject func(wire.Subjects) string, body []byte, one, all time.Duration) {
	wait := one
	if to == wire.All {
		wait = all
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	out := newReplyWriter(w, r)
	var err error
	if to != wire.All {
		_, err = s.requestMany(ctx, subject(s.subj.For(to)), body, 1, func(rep Reply) bool {
			if rep.From == "" && to != wire.Any {
				rep.From = to
			}
			out.emit(rep)
			return false
		})
	} else {
		ids := s.present()
		silent := fmt.Sprintf("no reply within %s", shortDuration(wait.Round(time.Second)))
		switch {
		case len(ids) == 0:
			out.emit(Reply{Error: "no device present"})
		case fanout:
			// Until every device listed replied: a reply from one not
			// listed is shown but waits for nobody.
			replied, left := map[string]bool{}, len(ids)
			listed := map[string]bool{}
			for _, id := range ids {
				listed[id] = true
			}
			_, err = s.requestMany(ctx, subject(s.subj.For(wire.All)), body, len(ids), func(rep Reply) bool {
				if listed[rep.From] && !replied[rep.From] {
					replied[rep.From] = true
					left--
				}
				out.emit(rep)
				return left > 0
			})
			if err == nil {
				for _, id := range ids {
					if !replied[id] {
						out.emit(Reply{From: id, Error: silent})
					}
				}
			}
		default:
			var wg sync.WaitGroup
			for _, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := s.requestMany(ctx, subject(s.subj.For(id)), body, 1, func(rep Reply) bool {
						if rep.From == "" {
							rep.From = id
						}
						out.emit(rep)
						return false
					})
					switch {
					case err != nil:
						out.emit(Reply{From: id, Error: err.Error()})
					case n == 0:
						out.emit(Reply{From: id, Error: silent})
					}
				}()
			}
			wg.Wait()
		}
	}
	if err == nil && to != wire.All && out.count() == 0 {
		msg := "no reply in time"
		if errors.Is(ctx.Err(), context.Canceled) {
			msg = "the page went away"
		}
		from := to
		if to == wire.Any {
			from = "" // nobody answered
		}
		out.emit(Reply{From: from, Error: msg})
	}
	out.finish(err)
}

// replyWriter answers an action: as one JSON object once every reply is
// in, or a line per reply as it comes (ndjson).
type replyWriter struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	stream bool

	mu      sync.Mutex
	n       int
	replies []Reply // kept when not streamed
}

// maxReplies bounds the replies one action answers: a device that
// replies many times cannot grow the answer.
const maxReplies = 2048

// ndjson is the type of an answer written a reply per line.
const ndjson = "application/x-ndjson"

func newReplyWriter(w http.ResponseWriter, r *http.Request) *replyWriter {
	rw := &replyWriter{w: w, rc: http.NewResponseController(w), stream: strings.Contains(r.Header.Get("Accept"), ndjson)}
	if rw.stream {
		w.Header().Set("Content-Type", ndjson)
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		_ = rw.rc.Flush()
	}
	return rw
}

func (rw *replyWriter) emit(rep Reply) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.n >= maxReplies {
		return
	}
	rw.n++
	if !rw.stream {
		rw.replies = append(rw.replies, rep)
		return
	}
	j, _ := json.Marshal(rep)
	_, _ = rw.w.Write(append(j, '\n'))
	_ = rw.rc.Flush()
}

func (rw *replyWriter) count() int {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return rw.n
}

// finish writes the answer when it is not streamed; err is a failure to
// send at all.
func (rw *replyWriter) finish(err error) {
	switch {
	case rw.stream && err != nil:
		rw.n = 0 // the error is said whatever came before
		rw.emit(Reply{Error: err.Error()})
	case rw.stream:
	case err != nil:
		webguard.Error(rw.w, http.StatusBadGateway, err.Error())
	default:
		webguard.JSON(rw.w, http.StatusOK, map[string]any{"replies": rw.replies})
	}
}

// requestMany publishes body with a reply inbox and hands take each reply
// until take returns false or ctx ends; it returns how many came. room
// sizes the queue of replies.
func (s *Server) requestMany(ctx context.Context, subject string, body []byte, room int, take func(Reply) bool) (int, error) {
	inbox := s.nc.NewRespInbox()
	ch := make(chan *nats.Msg, room+8)
	sub, err := s.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return 0, fmt.Errorf("fleet: subscribing for replies: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := s.nc.PublishRequest(subject, inbox, body); err != nil {
		return 0, fmt.Errorf("fleet: sending to %s: %w", subject, err)
	}
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n, nil
		case m := <-ch:
			n++
			if !take(toReply(m)) {
				return n, nil
			}
		}
	}
}

// textWait is how long a text to all waits for the replies, which come
// once it is shown: ReplyWait, plus a second per character (the default
// speed scrolls about 10 columns a second, a glyph and its gap are up to
// 8), up to TextTimeout.
func (s *Server) textWait(text string) time.Duration {
	return min(s.opts.ReplyWait+time.Duration(utf8.RuneCountInString(text))*time.Second, s.opts.TextTimeout)
}

func toReply(m *nats.Msg) Reply {
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		return Reply{Error: "no responders: the device is not there"}
	}
	var rep Reply
	if code := m.Header.Get("Nats-Service-Error-Code"); code != "" {
		rep.Error = clipText(code+": "+m.Header.Get("Nats-Service-Error"), maxErrorBytes)
	} else if len(m.Data) > maxStatusBytes {
		rep.Error = fmt.Sprintf("a reply of %d bytes, more than the %d the page shows", len(m.Data), maxStatusBytes)
	} else if json.Valid(m.Data) {
		rep.Reply = m.Data
	} else {
		rep.Error = "reply is not JSON"
	}
	var who struct {
		ID string `json:"id"`
	}
	if rep.Reply != nil && json.Unmarshal(m.Data, &who) == nil {
		rep.From = who.ID
	}
	return rep
}
