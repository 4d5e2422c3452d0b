// Package fleet is the fleet page behind `sensehat web`: every device the
// micro service discovery finds, its matrix mirrored live, its readings
// and plots of them, and actions (text, clear, rotate, low light) that show
// each device's reply. `sensehat emulate` serves the same page with the
// simulated board's controls added (see Static and Mount).
//
// The server is a NATS client like any other: it asks $SRV.INFO.sensehat
// (wire.ServiceSubject) every round, asks each device found for its status, subscribes to the
// readings, and leases the live frames (led.frame.watch) only while a page
// is open, so devices publish no frames when nobody looks.
package fleet

import (
	"context"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/sensehat/sensehat/internal/webguard"
	"github.com/sensehat/sensehat/internal/wire"
)

//go:embed static
var static embed.FS

// Static is the page: index.html, its style and scripts. The fleet part
// runs everywhere; the simulation panel shows only where /api/info says
// "simulation": true (the emulator).
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("fleet: embedded page missing: " + err.Error()) // a build error, not a runtime one
	}
	return sub
}

// Opts configures a Server.
type Opts struct {
	// Prefix of the subjects (wire.DefaultPrefix when empty).
	Prefix string
	// NATSURL is shown on the page (redacted by the caller).
	NATSURL string
	// Hosts are names besides localhost and IP literals the page answers
	// to (see webguard).
	Hosts []string
	// MaxStreams bounds the open event streams (webguard's default when 0).
	MaxStreams int
	// Log receives discovery and page events; discarded when nil.
	Log *slog.Logger
	// Every is the discovery round: how often $SRV.INFO is asked.
	Every time.Duration
	// Wait is how long a round collects answers.
	Wait time.Duration
	// GoneAfter is how many rounds in a row a device may miss before its
	// card is marked gone; it is dropped after twice as many.
	GoneAfter int
	// Window is how far back the plots reach; SampleEvery thins the
	// readings kept for them (a ring per device and quantity of
	// Window/SampleEvery samples, at most 3600: New raises SampleEvery to
	// Window/3600 when it is less).
	Window, SampleEvery time.Duration
	// Lease is what each frame lease asks for; it is renewed every third
	// of it while a page is open.
	Lease time.Duration
	// KeepAlive is how often an idle event stream gets a comment.
	KeepAlive time.Duration
	// TextTimeout bounds the wait for a text's "displayed" reply.
	TextTimeout time.Duration
	// HistoryStream, if set, names a JetStream stream holding readings
	// (<prefix>.<id>.sensors.…); when it exists, the plots start with its
	// last Window of them, and the day and week spans are read from it on
	// demand.
	HistoryStream string
	// HistoryTimeout bounds reading one span from the stream, and
	// HistoryMaxMessages the readings it reads: a span that holds more
	// is answered with the part read and a note saying so.
	HistoryTimeout     time.Duration
	HistoryMaxMessages int
	// MaxDevices bounds the cards: a device found beyond it is not listed
	// (and logged), so a flood of ids cannot grow the server.
	MaxDevices int
	// ReplyWait is how long an action sent to all devices waits for their
	// replies (a text to all: plus about one second per character, the
	// time to scroll it, up to TextTimeout). The page shows each reply as
	// it comes; a device still silent then is listed as such.
	ReplyWait time.Duration
}

// DefaultOpts are the options New uses for a nil *Opts; copy and adjust.
// A device is marked gone after 3 missed rounds of 5 s: within 20 s of
// stopping.
var DefaultOpts = Opts{
	Prefix:      wire.DefaultPrefix,
	Every:       5 * time.Second,
	Wait:        time.Second,
	GoneAfter:   3,
	Window:      time.Hour,
	SampleEvery: time.Second,
	Lease:       15 * time.Second,
	KeepAlive:   20 * time.Second,
	TextTimeout: 2 * time.Minute,
	// 20 s and a million readings: a week of env readings every second
	// from one device is 604800.
	HistoryTimeout:     20 * time.Second,
	HistoryMaxMessages: 1_000_000,
	MaxDevices:         1000,
	ReplyWait:          5 * time.Second,
}

// PageHeader marks the requests the page's server makes on its own (status
// each round, frame leases), so a monitor of a device's traffic, such as
// the emulator's message list, can leave them out.
const PageHeader = "Sensehat-Page"

// Server is the fleet page and what it knows of the fleet.
type Server struct {
	nc    *nats.Conn
	opts  Opts
	subj  wire.Subjects // ID "*": the wildcard device
	guard *webguard.Guard
	*webguard.Page
	poke  chan struct{} // a page opened: lease at once
	again chan struct{} // Rediscover: a round now

	mu      sync.Mutex
	devices map[string]*device
	// series are the plots' samples by device and quantity. They outlive
	// a device's card (its history stays plotted) and come from history
	// too, for devices not present.
	series map[string]map[string]*ring
	// ringBytes is what the rings of series hold, for /fleet/limits.
	ringBytes int
	// dropped counts the values outside their physical range, and
	// refused the devices found beyond MaxDevices.
	dropped, refused int
	round            int
	clients          map[*client]struct{}

	spanCache spanCache // day and week, read from the history stream
}

// device is what the page knows of one device: every field bounded in
// bytes (limits.go), whatever the device sends.
type device struct {
	ID string `json:"id"`
	// Label is the id as the page shows it (Shown: control and bidi
	// characters escaped).
	Label     string            `json:"label"`
	Version   string            `json:"version"`
	Metadata  map[string]string `json:"metadata"`
	Note      string            `json:"note,omitempty"` // what was left out of the discovery answer
	FirstSeen time.Time         `json:"first_seen"`
	LastSeen  time.Time         `json:"last_seen"`
	Gone      bool              `json:"gone"`
	Status    json.RawMessage   `json:"status,omitempty"`
	StatusErr string            `json:"status_error,omitempty"`
	Frame     string            `json:"frame,omitempty"` // 192 bytes RGB888 as hex
	// Readings are the latest reading of each kind of the contract, as
	// parsed numbers and words, never the message as sent.
	Readings map[string]*cardReading `json:"readings"`
	// Dropped counts this device's values outside their physical range.
	Dropped int `json:"dropped,omitempty"`

	lastRound int
	sentAt    map[string]time.Time // last reading event per kind
}

// cardReading is what a card keeps of a reading: the contract's
// quantities only, by field (accel_g.x for a vector's element), at most
// one value each, so its size is bounded by the contract.
type cardReading struct {
	Time   time.Time          `json:"time,omitzero"`
	Values map[string]float64 `json:"values"`
	Words  map[string]string  `json:"words,omitempty"`
	// Dropped are the values outside their quantity's physical range, as
	// sent (clipped): shown as absurd, never plotted.
	Dropped map[string]string `json:"dropped,omitempty"`
}

// set replaces c's values with r's, keeping its maps; it returns how
// many values were dropped as not physical.
func (c *cardReading) set(r *wire.Reading) int {
	clear(c.Values)
	clear(c.Words)
	clear(c.Dropped)
	c.Time = r.Time
	dropped := 0
	for _, v := range r.Values {
		q, _ := wire.LookupQuantity(v.Name)
		key := strings.TrimPrefix(v.Name, q.Kind+".")
		switch {
		case q.Word:
			if w, ok := knownWord(q.Field, v.Text); ok {
				if c.Words == nil {
					c.Words = map[string]string{}
				}
				c.Words[key] = w
			}
		case isPhysical(v.Name, v.Num):
			c.Values[key] = v.Num
		default:
			if c.Dropped == nil {
				c.Dropped = map[string]string{}
			}
			c.Dropped[key] = clipText(v.Text, maxShownBytes)
			dropped++
		}
	}
	return dropped
}

// knownWord returns the contract's word for a joystick field (the
// contract's own string, not the device's), ok false for another.
func knownWord(field, w string) (string, bool) {
	list := wire.JoystickActions
	if field == wire.FieldKey {
		list = wire.JoystickKeys
	}
	for _, k := range list {
		if k == w {
			return k, true
		}
	}
	return "", false
}

// client is one page's event stream: its queue and the bytes in it.
type client struct {
	ch     chan []byte
	queued int // under Server.mu
}

// New returns the page's server on nc; Run makes it find devices.
func New(nc *nats.Conn, opts *Opts) (*Server, error) {
	if nc == nil {
		return nil, errors.New("fleet: no NATS connection")
	}
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	def := DefaultOpts
	if o.Prefix == "" {
		o.Prefix = def.Prefix
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.Every, def.Every}, {&o.Wait, def.Wait}, {&o.Window, def.Window}, {&o.SampleEvery, def.SampleEvery},
		{&o.Lease, def.Lease}, {&o.KeepAlive, def.KeepAlive}, {&o.TextTimeout, def.TextTimeout},
		{&o.HistoryTimeout, def.HistoryTimeout}, {&o.ReplyWait, def.ReplyWait},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if o.GoneAfter <= 0 {
		o.GoneAfter = def.GoneAfter
	}
	if o.MaxDevices <= 0 {
		o.MaxDevices = def.MaxDevices
	}
	// A ring holds at most maxRingSamples: a longer window keeps fewer
	// samples per second rather than more memory.
	o.SampleEvery = max(o.SampleEvery, o.Window/maxRingSamples)
	if o.HistoryMaxMessages <= 0 {
		o.HistoryMaxMessages = def.HistoryMaxMessages
	}
	if o.Wait > o.Every {
		o.Wait = o.Every
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if err := wire.CheckToken("prefix", o.Prefix); err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	g, err := webguard.New(&webguard.Opts{Hosts: o.Hosts, MaxStreams: o.MaxStreams, Log: o.Log})
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	s := &Server{
		nc: nc, opts: o, subj: wire.Subjects{Prefix: o.Prefix, ID: "*"}, guard: g,
		poke: make(chan struct{}, 1), again: make(chan struct{}, 1), devices: map[string]*device{}, series: map[string]map[string]*ring{},
		clients: map[*client]struct{}{}, spanCache: spanCache{reads: make(chan struct{}, spanReads)},
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(Static()))
	mux.HandleFunc("GET /api/info", s.info)
	s.Mount(mux)
	s.Page = g.Page(mux)
	return s, nil
}

// Run finds devices, follows their readings and frames, and leases frames
// while a page is open, until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	// History before the live readings, so each plot's samples stay in
	// time order; a failure leaves the live readings.
	if err := s.loadHistory(ctx); err != nil {
		s.opts.Log.Warn("plots start without history", "err", err)
	}
	var subs []*nats.Subscription
	defer func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
	}()
	// The kinds of the contract only, so the server filters out any
	// other a device makes up; each subscription's queue is bounded in
	// bytes (a flood beyond it is dropped by the client, not kept).
	handlers := map[string]nats.MsgHandler{s.subj.FrameLive(): s.onFrame, s.subj.Joystick("*"): s.onReading}
	for _, k := range wire.Kinds {
		if k != wire.KindJoystick {
			handlers[s.subj.Sensors(k)] = s.onReading
		}
	}
	for subject, h := range handlers {
		sub, err := s.nc.Subscribe(subject, h)
		if err != nil {
			return fmt.Errorf("fleet: subscribing to %s: %w", subject, err)
		}
		if err := sub.SetPendingLimits(pendingMsgs, pendingBytes); err != nil {
			return fmt.Errorf("fleet: bounding the queue of %s: %w", subject, err)
		}
		subs = append(subs, sub)
	}
	rounds := time.NewTicker(s.opts.Every)
	defer rounds.Stop()
	leases := time.NewTicker(s.opts.Lease / 3)
	defer leases.Stop()
	s.discover(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-rounds.C:
			s.discover(ctx)
		case <-leases.C:
			s.lease(false)
		case <-s.poke:
			s.lease(true)
		case <-s.again:
			s.discover(ctx)
		}
	}
}

// Rediscover has Run start a discovery round now rather than at the next
// tick: the emulator calls it once its device serves.
func (s *Server) Rediscover() {
	select {
	case s.again <- struct{}{}:
	default:
	}
}

// watchers is how many pages are open.
func (s *Server) watchers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// present returns the ids of the devices present (not gone), sorted.
func (s *Server) present() []string {
	s.mu.Lock()
	ids := make([]string, 0, len(s.devices))
	for id, d := range s.devices {
		if !d.Gone {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	sort.Strings(ids)
	return ids
}

// lease asks every device present for live frames, if a page is open.
func (s *Server) lease(force bool) {
	if !force && s.watchers() == 0 {
		return
	}
	secs := []byte(fmt.Sprintf(`{"seconds":%g}`, s.opts.Lease.Seconds()))
	for _, id := range s.present() {
		// No reply wanted: the frames are the answer.
		m := &nats.Msg{Subject: s.subj.For(id).FrameWatch(), Data: secs, Header: nats.Header{PageHeader: []string{"fleet"}}}
		if err := s.nc.PublishMsg(m); err != nil {
			s.opts.Log.Debug("frame lease", "id", id, "err", err)
		}
	}
}

// discover runs one round: who answers $SRV.INFO, then each one's status.
func (s *Server) discover(ctx context.Context) {
	found := s.ask(ctx)
	statuses := s.statuses(ctx, found)
	now := time.Now()
	s.mu.Lock()
	s.round++
	var fresh bool
	for id, info := range found {
		d := s.devices[id]
		if d == nil {
			if len(s.devices) >= s.opts.MaxDevices {
				s.refused++
				s.opts.Log.Warn("device not listed: the page lists at most MaxDevices", "id", id, "max", s.opts.MaxDevices)
				continue
			}
			d = &device{ID: id, Label: Shown(id), FirstSeen: now, Readings: map[string]*cardReading{}, sentAt: map[string]time.Time{}}
			s.devices[id] = d
			s.opts.Log.Info("device found", "id", id, "version", info.Version)
		}
		if d.Gone {
			s.opts.Log.Info("device back", "id", id)
		}
		fresh = fresh || d.Gone || d.lastRound == 0
		d.Metadata, d.Note = boundedMetadata(info.Metadata)
		d.Version, d.LastSeen, d.lastRound, d.Gone = clipText(info.Version, maxVersionBytes), now, s.round, false
		st := statuses[id]
		d.Status, d.StatusErr = st.body, st.err
	}
	for id, d := range s.devices {
		missed := s.round - d.lastRound
		switch {
		case missed >= 2*s.opts.GoneAfter:
			delete(s.devices, id)
			s.dropSeriesLocked(id)
		case missed >= s.opts.GoneAfter && !d.Gone:
			d.Gone = true
			s.opts.Log.Info("device gone", "id", id, "missed_rounds", missed)
		}
	}
	// Plots from the history stream of devices not listed go once their
	// newest sample is out of the window.
	old := now.Add(-s.opts.Window).UnixMilli()
	for id, byQ := range s.series {
		if s.devices[id] != nil {
			continue
		}
		newest := int64(math.MinInt64)
		for _, rg := range byQ {
			if x, ok := rg.last(); ok {
				newest = max(newest, x.T)
			}
		}
		if newest < old {
			s.dropSeriesLocked(id)
		}
	}
	ev := s.devicesEventLocked()
	s.mu.Unlock()
	s.broadcast(ev)
	if fresh {
		s.lease(false)
	}
}

// ask collects the micro service infos of this prefix's devices.
func (s *Server) ask(ctx context.Context) map[string]micro.Info {
	found := map[string]micro.Info{}
	inbox := s.nc.NewRespInbox()
	ch := make(chan *nats.Msg, 1024)
	sub, err := s.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		s.opts.Log.Warn("discovery: subscribing", "err", err)
		return found
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := s.nc.PublishRequest(wire.ServiceInfo(), inbox, nil); err != nil {
		s.opts.Log.Debug("discovery: asking", "err", err)
		return found
	}
	t := time.NewTimer(s.opts.Wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return found
		case <-t.C:
			return found
		case m := <-ch:
			var info micro.Info
			if json.Unmarshal(m.Data, &info) != nil {
				continue
			}
			id := info.Metadata["id"]
			if len(id) > maxIDBytes || wire.CheckToken("id", id) != nil || !s.ours(info, id) {
				continue
			}
			found[id] = info
		}
	}
}

// ours reports whether info's endpoints are under this page's prefix: two
// fleets may share a server.
func (s *Server) ours(info micro.Info, id string) bool {
	base := s.subj.For(id).Base() + "."
	for _, ep := range info.Endpoints {
		if strings.HasPrefix(ep.Subject, base) {
			return true
		}
	}
	return false
}

type statusResult struct {
	body json.RawMessage
	err  string
}

// statuses asks every device found for its status, at once.
func (s *Server) statuses(ctx context.Context, found map[string]micro.Info) map[string]statusResult {
	out := make(map[string]statusResult, len(found))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for id := range found {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rctx, cancel := context.WithTimeout(ctx, s.opts.Wait+time.Second)
			defer cancel()
			var r statusResult
			req := &nats.Msg{Subject: s.subj.For(id).Status(), Header: nats.Header{PageHeader: []string{"fleet"}}}
			m, err := s.nc.RequestMsgWithContext(rctx, req)
			switch {
			case err != nil:
				r.err = "status: " + err.Error()
			case len(m.Data) > maxStatusBytes:
				r.err = fmt.Sprintf("status: a reply of %d bytes, more than the %d the page keeps", len(m.Data), maxStatusBytes)
			case !json.Valid(m.Data):
				r.err = "status: not JSON"
			default:
				r.body = m.Data
			}
			mu.Lock()
			out[id] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// idOf returns the device token of <prefix>.<id>.…
func idOf(subject string) string {
	parts := strings.SplitN(subject, ".", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[1]
}

func (s *Server) onFrame(m *nats.Msg) {
	if len(m.Data) != 192 {
		return
	}
	id := idOf(m.Subject)
	h := hex.EncodeToString(m.Data)
	s.mu.Lock()
	d := s.devices[id]
	if d == nil {
		s.mu.Unlock()
		return
	}
	d.Frame = h
	s.mu.Unlock()
	j, _ := json.Marshal(map[string]string{"id": id, "rgb": h})
	s.broadcast(webguard.Event("frame", j))
}

// pendingMsgs and pendingBytes bound what waits in each subscription's
// queue for the page's handlers (nats.go's default is 64 MB): a device
// that floods beyond it loses readings, and the page says nothing of
// them rather than growing.
const (
	pendingMsgs  = 4096
	pendingBytes = 4 << 20
)

// readingEvery bounds the reading events per device and kind a page gets:
// motion comes ten times a second, a page needs two.
const readingEvery = 500 * time.Millisecond

// onReading keeps a reading of the contract (wire.DecodeReading) for its
// device's card and the plots; anything else on a readings subject is
// dropped.
func (s *Server) onReading(m *nats.Msg) {
	id, kind, ok := wire.ParseReadingSubject(m.Subject)
	if !ok {
		return
	}
	r, err := wire.DecodeReading(kind, m.Data, nil)
	if err != nil {
		return
	}
	now := time.Now()
	s.mu.Lock()
	d := s.devices[id]
	if d == nil {
		// Only discovered devices: an id seen in a reading alone keeps
		// nothing.
		s.mu.Unlock()
		return
	}
	s.sampleLocked(id, &r, now)
	c := d.Readings[kind]
	if c == nil {
		c = &cardReading{Values: map[string]float64{}}
		d.Readings[kind] = c
	}
	n := c.set(&r)
	d.Dropped += n
	s.dropped += n
	send := now.Sub(d.sentAt[kind]) >= readingEvery
	var j []byte
	if send {
		d.sentAt[kind] = now
		j, _ = json.Marshal(struct {
			ID      string       `json:"id"`
			Kind    string       `json:"kind"`
			Data    *cardReading `json:"data"`
			Dropped int          `json:"dropped"`
		}{id, kind, c, d.Dropped})
	}
	s.mu.Unlock()
	if send {
		s.broadcast(webguard.Event("reading", j))
	}
}

// boundedMetadata keeps at most maxMetadata entries of a discovery
// answer's metadata, maxMetadataBytes in all, and says what it left out.
func boundedMetadata(md map[string]string) (map[string]string, string) {
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]string{}
	size, left := 0, 0
	for _, k := range keys {
		if len(out) >= maxMetadata || size+len(k)+len(md[k]) > maxMetadataBytes {
			left++
			continue
		}
		out[k] = md[k]
		size += len(k) + len(md[k])
	}
	if left > 0 {
		return out, fmt.Sprintf("%d metadata entries left out: the page keeps %d, %d bytes in all", left, maxMetadata, maxMetadataBytes)
	}
	return out, ""
}

// sampleLocked keeps each number of the reading under its quantity's
// name (wire.Quantities: motion.accel_g.x) for the plots, at most one per
// SampleEvery; a value outside its physical range is left out. The
// caller decides whose readings count: live ones of discovered devices,
// stored ones of the history stream.
func (s *Server) sampleLocked(id string, r *wire.Reading, now time.Time) {
	if len(id) > maxIDBytes || wire.CheckToken("id", id) != nil {
		return
	}
	byQ := s.series[id]
	if byQ == nil {
		if len(s.series) >= s.opts.MaxDevices {
			return
		}
		byQ = map[string]*ring{}
		s.series[id] = byQ
	}
	ms := now.UnixMilli()
	for _, v := range r.Values {
		if !v.IsNum || !isPhysical(v.Name, v.Num) {
			continue
		}
		rg := byQ[v.Name]
		if rg == nil {
			n := max(min(int(s.opts.Window/s.opts.SampleEvery), maxRingSamples), 2)
			rg = newRing(n)
			byQ[v.Name] = rg
			s.ringBytes += n * sampleBytes
		}
		if last, ok := rg.last(); ok && ms-last.T < s.opts.SampleEvery.Milliseconds() {
			continue
		}
		rg.add(Sample{T: ms, V: v.Num})
	}
}

// dropSeriesLocked forgets the plots of a device whose card is removed:
// the rings are bounded by the devices listed.
func (s *Server) dropSeriesLocked(id string) {
	for _, rg := range s.series[id] {
		s.ringBytes -= len(rg.buf) * sampleBytes
	}
	delete(s.series, id)
}

// devicesEventLocked is the "devices" event: every card, sorted by id.
func (s *Server) devicesEventLocked() []byte {
	j, _ := json.Marshal(s.listLocked())
	return webguard.Event("devices", j)
}

func (s *Server) listLocked() []*device {
	list := make([]*device, 0, len(s.devices))
	for _, d := range s.devices {
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// broadcast queues ev for every stream; a stream too far behind (its
// queue full or holding streamBytes) loses it rather than holding up the
// others or growing the server.
func (s *Server) broadcast(ev []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
		if c.queued > 0 && c.queued+len(ev) > streamBytes {
			continue
		}
		select {
		case c.ch <- ev:
			c.queued += len(ev)
		default:
		}
	}
}
