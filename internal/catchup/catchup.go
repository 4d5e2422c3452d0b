package catchup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Opts configures a Watcher. Copy DefaultOpts and adjust.
type Opts struct {
	// Stream is the hub stream whose sources are watched.
	Stream string
	// Domain is the hub's JetStream domain ("" for none).
	Domain string
	// Interval is how often the stream's sources are looked at.
	Interval time.Duration
	// Idle is how long a source may go without activity before it counts
	// as stalled: well above the sources' 1 s heartbeat.
	Idle time.Duration
	// Probe is how long a Pi's JetStream has to answer.
	Probe time.Duration
	// Hold is how long a restarted source is left to set itself up before
	// it may be restarted again.
	Hold time.Duration
	// Logger takes a line per restart; nil discards.
	Logger *slog.Logger
}

// DefaultOpts are the settings `sensehat catchup` runs with.
var DefaultOpts = Opts{
	Stream:   "SENSEHAT",
	Domain:   "hub",
	Interval: time.Second,
	Idle:     3 * time.Second,
	Probe:    time.Second,
	Hold:     10 * time.Second,
}

// Watcher restarts the stalled sources of one hub stream (see the package
// documentation).
type Watcher struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	o    Opts
	log  *slog.Logger
	mu   sync.Mutex
	held map[string]time.Time // API prefix -> last restart
	n    int
	// out holds the sources taken out and not yet put back (the second
	// update failed): every Round puts them back first.
	out []*jetstream.StreamSource
}

// New returns a Watcher working over nc, which must be allowed to read
// and update the stream and to send requests to the Pis' JetStream API.
func New(nc *nats.Conn, opts *Opts) (*Watcher, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if o.Stream == "" {
		return nil, errors.New("catchup: no stream given")
	}
	if o.Interval <= 0 || o.Idle <= 0 || o.Probe <= 0 || o.Hold < 0 {
		return nil, fmt.Errorf("catchup: interval %v, idle %v, probe %v must be positive and hold %v not negative", o.Interval, o.Idle, o.Probe, o.Hold)
	}
	var js jetstream.JetStream
	var err error
	if o.Domain != "" {
		js, err = jetstream.NewWithDomain(nc, o.Domain)
	} else {
		js, err = jetstream.New(nc)
	}
	if err != nil {
		return nil, fmt.Errorf("catchup: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{nc: nc, js: js, o: o, log: log, held: map[string]time.Time{}}, nil
}

// Restarts is how many sources the Watcher has restarted.
func (w *Watcher) Restarts() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// Run looks at the stream every Interval until ctx ends. A failed look
// (the hub restarting, the stream missing) is logged and tried again.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.o.Interval)
	defer t.Stop()
	var last string
	for {
		if _, err := w.Round(ctx); err != nil && ctx.Err() == nil {
			if err.Error() != last {
				w.log.Warn("catchup: looking at the hub stream failed; trying again", "stream", w.o.Stream, "err", err)
			}
			last = err.Error()
		} else {
			last = ""
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// key identifies a source in the stream's configuration and in its
// state: the stream it reads, where, and what it takes.
type key struct{ name, api, filter string }

func configKey(s *jetstream.StreamSource) key {
	k := key{name: s.Name, filter: s.FilterSubject}
	if s.External != nil {
		k.api = s.External.APIPrefix
	}
	return k
}

func infoKey(s *jetstream.StreamSourceInfo) key {
	k := key{name: s.Name, filter: s.FilterSubject}
	if s.External != nil {
		k.api = s.External.APIPrefix
	}
	return k
}

// Round looks at the stream once and restarts the stalled sources of
// every Pi that answers. It returns the API prefixes of the Pis whose
// sources it restarted. Sources it took out and could not put back the
// last time go back first. Rounds of one Watcher must not overlap (Run
// calls them one after the other).
func (w *Watcher) Round(ctx context.Context) ([]string, error) {
	if len(w.out) > 0 {
		if err := w.putBack(ctx, w.out); err != nil {
			return nil, err
		}
		w.out = nil
	}
	info, err := w.info(ctx)
	if err != nil {
		return nil, err
	}
	// The stalled sources of each Pi, by API prefix: only a source in
	// another domain can be waiting on a leaf node.
	stalled := map[string][]key{}
	now := time.Now()
	w.mu.Lock()
	for _, s := range info.Sources {
		if s.External == nil || s.External.APIPrefix == "" {
			continue
		}
		if s.Active >= 0 && s.Active < w.o.Idle && s.Error == nil {
			continue
		}
		api := s.External.APIPrefix
		if t, ok := w.held[api]; ok && now.Sub(t) < w.o.Hold {
			continue
		}
		stalled[api] = append(stalled[api], infoKey(s))
	}
	w.mu.Unlock()
	if len(stalled) == 0 {
		return nil, nil
	}
	// Probe every such Pi at once.
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ready []string
	)
	for api, keys := range stalled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w.reachable(ctx, api, keys[0].name) {
				mu.Lock()
				ready = append(ready, api)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(ready) == 0 {
		return nil, nil
	}
	slices.Sort(ready)
	var kick []key
	for _, api := range ready {
		kick = append(kick, stalled[api]...)
	}
	n, err := w.restart(ctx, kick)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	for _, api := range ready {
		w.held[api] = time.Now()
	}
	w.n += n
	w.mu.Unlock()
	w.log.Info("catchup: restarted stalled sources of reachable Pis", "stream", w.o.Stream, "sources", n, "pis", strings.Join(ready, " "))
	return ready, nil
}

func (w *Watcher) info(ctx context.Context) (*jetstream.StreamInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := w.js.Stream(ctx, w.o.Stream)
	if err != nil {
		return nil, fmt.Errorf("catchup: stream %s: %w", w.o.Stream, err)
	}
	return s.CachedInfo(), nil
}

// reachable asks the Pi's JetStream (API prefix api) for its stream.
func (w *Watcher) reachable(ctx context.Context, api, stream string) bool {
	ctx, cancel := context.WithTimeout(ctx, w.o.Probe)
	defer cancel()
	m, err := w.nc.RequestWithContext(ctx, api+".STREAM.INFO."+stream, nil)
	if err != nil {
		return false
	}
	var r struct {
		Error *struct{ Code int } `json:"error"`
	}
	return json.Unmarshal(m.Data, &r) == nil && r.Error == nil
}

// placeholder stands in for the sources being restarted when they are
// all the stream has: nats-server gives a stream left with neither
// subjects nor sources a subject of its own name.
var placeholder = jetstream.StreamSource{
	Name:     "SENSEHAT_CATCHUP_PLACEHOLDER",
	External: &jetstream.ExternalStream{APIPrefix: "$JS.sensehat-catchup-placeholder.API", DeliverPrefix: "_SENSEHAT_SRC.catchup-placeholder"},
}

// restart removes the sources kick from the stream and adds them back,
// each time on the configuration as it is just before, so that a change
// made meanwhile (fleet add) is kept.
func (w *Watcher) restart(ctx context.Context, kick []key) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out := map[key]bool{}
	for _, k := range kick {
		out[k] = true
	}
	info, err := w.info(ctx)
	if err != nil {
		return 0, err
	}
	cfg := info.Config
	var keep []*jetstream.StreamSource
	removed := map[key]*jetstream.StreamSource{}
	for _, s := range cfg.Sources {
		if out[configKey(s)] {
			removed[configKey(s)] = s
		} else {
			keep = append(keep, s)
		}
	}
	if len(removed) == 0 {
		return 0, nil
	}
	if len(keep) == 0 {
		p := placeholder
		keep = []*jetstream.StreamSource{&p}
	}
	var back []*jetstream.StreamSource
	for _, k := range kick {
		if s := removed[k]; s != nil {
			back = append(back, s)
		}
	}
	cfg.Sources = keep
	if _, err := w.js.UpdateStream(ctx, cfg); err != nil {
		// A timeout may hide an update that was made: put back to be sure.
		w.out = back
		return 0, fmt.Errorf("catchup: removing %d stalled sources from %s: %w", len(removed), w.o.Stream, err)
	}
	// Back in, on what the stream holds now.
	if err := w.putBack(ctx, back); err != nil {
		w.out = back
		return 0, err
	}
	return len(removed), nil
}

// putBack adds the sources back that are not in the stream, after what
// it has now (whatever was added meanwhile stays), and drops the
// placeholder.
func (w *Watcher) putBack(ctx context.Context, sources []*jetstream.StreamSource) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := w.info(ctx)
	if err != nil {
		return fmt.Errorf("%w (%d sources of %s are out until the next try)", err, len(sources), w.o.Stream)
	}
	cfg := info.Config
	var all []*jetstream.StreamSource
	have := map[key]bool{}
	for _, s := range cfg.Sources {
		if s.Name == placeholder.Name {
			continue
		}
		have[configKey(s)] = true
		all = append(all, s)
	}
	for _, s := range sources {
		if !have[configKey(s)] {
			all = append(all, s)
			have[configKey(s)] = true
		}
	}
	cfg.Sources = all
	if _, err := w.js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("catchup: adding %d sources back to %s: %w (tried again at the next look)", len(sources), w.o.Stream, err)
	}
	return nil
}
