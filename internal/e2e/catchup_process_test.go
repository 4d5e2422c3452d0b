package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/catchup"
	"github.com/sensehat/sensehat/internal/cli"
	"github.com/sensehat/sensehat/internal/fleetid"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// An hour of readings at the daemon's default rates (config.Default:
// env and colour every second, motion every 100 ms): what a Pi has
// stored when its link has been down for an hour.
var hourKinds = []struct {
	kind  string
	every time.Duration
}{{wire.KindEnv, time.Second}, {wire.KindMotion, 100 * time.Millisecond}, {wire.KindColour, time.Second}}

// hourOf is the number of readings of each kind in d at the default rates.
func hourOf(d time.Duration) map[string]int {
	out := map[string]int{}
	for _, k := range hourKinds {
		out[k.kind] = int(d / k.every)
	}
	return out
}

// A reading as large as sensehatd's (a motion reading is about 250 bytes
// of JSON).
var backlogPayload = []byte(`{"accel_g":[0.0123,-0.0045,0.9987],"gyro_dps":[0.12,-0.34,0.05],"mag_ut":[21.3,-4.5,38.9],"roll_deg":359.1,"pitch_deg":0.7,"yaw_deg":123.4,"compass_deg":123.4,"heading_deg":121.9,"time":"2026-12-07T06:00:00.123456789Z"}`)

// catchupRig is a hub configured by `sensehat fleet` (decentralized
// auth, the leaf node port on TLS, the hub stream with the sources
// SyncSources sets) and N Pis, each behind a leaf node of its own as
// `fleet leaf-conf` writes it, with its own store-and-forward stream.
type catchupRig struct {
	root, fdir string
	f          *fleetid.Fleet
	hubBin     string
	hubConf    string
	hubAddr    string
	hubURL     string
	hub        *process
	pis        []*catchupPi
	durable    bool // candidate B: durable sourcing consumers
	onePerPi   bool // candidate D: one source per Pi, as deploy/nats/cluster/streams.sh makes them
}

type catchupPi struct {
	id   string
	url  string
	proc *process
}

func fleetCLI(t *testing.T, args ...string) {
	t.Helper()
	var out bytes.Buffer
	app := &cli.App{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if rc := app.Run(context.Background(), args); rc != 0 {
		t.Fatalf("sensehat %s: exit %d\n%s", strings.Join(args, " "), rc, out.String())
	}
}

// waitTCP waits until addr accepts connections.
func waitTCP(t *testing.T, p *process, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-p.waited:
			t.Fatalf("nats-server exited on start: %v\n%s", p.err, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server not listening on %s within 30s", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newCatchupRig(t *testing.T, n int, piBin string, durable bool) *catchupRig {
	t.Helper()
	r := &catchupRig{root: t.TempDir(), hubBin: tool(t, "nats-server"), durable: durable}
	r.fdir = filepath.Join(r.root, "fleet")
	clientPort, leafPort := testutil.FreePort(t), testutil.FreePort(t)
	r.hubAddr = fmt.Sprintf("127.0.0.1:%d", clientPort)
	r.hubURL = "nats://" + r.hubAddr
	fleetCLI(t, "fleet", "init", r.fdir, "--store", filepath.Join(r.root, "hub-store"),
		"--listen", r.hubAddr, "--leaf-listen", fmt.Sprintf("127.0.0.1:%d", leafPort),
		"--mqtt-listen", "", "--http", fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)),
		"--hub-url", r.hubURL, "--leaf-host", "127.0.0.1", "--nats-server", r.hubBin)
	for i := 1; i <= n; i++ {
		fleetCLI(t, "fleet", "add", fmt.Sprintf("pi%02d", i), "--dir", r.fdir, "--offline")
	}
	f, err := fleetid.Open(r.fdir)
	if err != nil {
		t.Fatal(err)
	}
	r.f = f
	r.hubConf = filepath.Join(r.fdir, "hub", fleetid.HubConf)
	r.startHub(t)

	leafURL := fmt.Sprintf("tls://127.0.0.1:%d", leafPort)
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("pi%02d", i)
		port := testutil.FreePort(t)
		conf, err := f.LeafConf(id, leafURL, f.CredsPath(id), filepath.Join(r.fdir, "hub", fleetid.LeafCA),
			filepath.Join(r.root, id+"-store"), fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(r.root, id+".conf")
		if err := os.WriteFile(p, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		pi := &catchupPi{id: id, url: fmt.Sprintf("nats://127.0.0.1:%d", port)}
		pi.proc = startProcess(t, piBin, "-c", p)
		waitTCP(t, pi.proc, fmt.Sprintf("127.0.0.1:%d", port))
		r.pis = append(r.pis, pi)
	}
	// Each Pi's stream, as deploy/nats/pi-stream.json makes it.
	for _, pi := range r.pis {
		nc := r.piConn(t, pi)
		js, err := jetstream.NewWithDomain(nc, fleetid.DeviceDomain(pi.id))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s := wire.Subjects{Prefix: wire.DefaultPrefix, ID: pi.id}
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "SENSEHAT_" + pi.id,
			Subjects: []string{s.Base() + ".sensors.>", s.Base() + ".joystick.>"}, Storage: jetstream.FileStorage,
			Discard: jetstream.DiscardOld, MaxBytes: 256 << 20, MaxAge: 7 * 24 * time.Hour, Duplicates: 2 * time.Minute, MaxMsgSize: 64 << 10})
		if err == nil && durable {
			_, err = js.CreateConsumer(ctx, "SENSEHAT_"+pi.id, durableConsumer(pi.id))
		}
		cancel()
		nc.Close()
		if err != nil {
			t.Fatalf("%s's stream: %v", pi.id, err)
		}
	}
	// Every Pi reachable through the hub before the sources are set.
	admin := r.admin(t)
	for _, pi := range r.pis {
		testutil.WaitFor(t, 30*time.Second, pi.id+"'s stream through its leaf node", func() bool {
			m, err := admin.Request("$JS."+fleetid.DeviceDomain(pi.id)+".API.STREAM.INFO.SENSEHAT_"+pi.id, nil, time.Second)
			return err == nil && bytes.Contains(m.Data, []byte(`"SENSEHAT_`+pi.id+`"`))
		})
	}
	admin.Close()
	fleetCLI(t, "fleet", "push", "--dir", r.fdir)
	if durable {
		r.useDurable(t)
	}
	return r
}

// useOnePerPi replaces the fleet's eight sources per Pi with one, filtered
// to <prefix>.<id>.> as deploy/nats/cluster/streams.sh makes it.
func (r *catchupRig) useOnePerPi(t *testing.T) {
	t.Helper()
	r.onePerPi = true
	r.setSources(t, func(id string) *jetstream.StreamSource {
		return &jetstream.StreamSource{
			Name: "SENSEHAT_" + id, FilterSubject: wire.DefaultPrefix + "." + id + ".>",
			External: &jetstream.ExternalStream{APIPrefix: "$JS." + fleetid.DeviceDomain(id) + ".API", DeliverPrefix: fleetid.SourceDeliverPrefix(id)},
		}
	})
}

// durableConsumer is candidate B's consumer on the Pi: a durable push
// consumer the hub's source names (nats-server 2.14 and later on the Pi),
// filtered to the device's reading subjects on the Pi's side.
func durableConsumer(id string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        "SENSEHAT_HUB",
		DeliverSubject: fleetid.SourceDeliverPrefix(id) + ".durable",
		AckPolicy:      jetstream.AckFlowControlPolicy,
		FlowControl:    true,
		IdleHeartbeat:  time.Second,
		MaxAckPending:  20000,
		FilterSubjects: fleetid.ReadingSubjects(wire.DefaultPrefix, id),
	}
}

// useDurable replaces the fleet's sources with one durable source per Pi.
func (r *catchupRig) useDurable(t *testing.T) {
	t.Helper()
	r.setSources(t, func(id string) *jetstream.StreamSource {
		c := durableConsumer(id)
		return &jetstream.StreamSource{
			Name:     "SENSEHAT_" + id,
			External: &jetstream.ExternalStream{APIPrefix: "$JS." + fleetid.DeviceDomain(id) + ".API"},
			Consumer: &jetstream.StreamConsumerSource{Name: c.Durable, DeliverSubject: c.DeliverSubject},
		}
	})
}

// setSources gives the hub stream the source of for every Pi instead of
// the fleet's.
func (r *catchupRig) setSources(t *testing.T, of func(id string) *jetstream.StreamSource) {
	t.Helper()
	nc := r.admin(t)
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, s, err := r.hubStream(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.Sources = nil
	for _, pi := range r.pis {
		cfg.Sources = append(cfg.Sources, of(pi.id))
	}
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatalf("sources: %v", err)
	}
}

func (r *catchupRig) startHub(t *testing.T) {
	t.Helper()
	r.hub = startProcess(t, r.hubBin, "-c", r.hubConf)
	waitTCP(t, r.hub, r.hubAddr)
}

// admin connects to the hub with the fleet tool's admin credentials.
func (r *catchupRig) admin(t *testing.T, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(r.hubURL, append([]nats.Option{nats.UserCredentials(r.f.CredsPath(fleetid.ToolName))}, opts...)...)
	if err != nil {
		t.Fatalf("admin to the hub: %v", err)
	}
	return nc
}

// piConn connects to a Pi's own nats-server as its device (an inbox the
// device may receive on).
func (r *catchupRig) piConn(t *testing.T, pi *catchupPi) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(pi.url, nats.UserCredentials(r.f.CredsPath(pi.id)), nats.CustomInboxPrefix("_INBOX."+pi.id))
	if err != nil {
		t.Fatalf("%s's nats-server: %v", pi.id, err)
	}
	return nc
}

// fillBacklog stores d of readings at the default rates in every Pi's
// stream, in time order, each with the daemon's Nats-Msg-Id, as the
// daemon would have while the hub was away. It returns the number stored
// per Pi.
func (r *catchupRig) fillBacklog(t *testing.T, d time.Duration) int {
	t.Helper()
	counts := hourOf(d)
	var wg sync.WaitGroup
	errs := make(chan error, len(r.pis))
	for _, pi := range r.pis {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- r.fillPi(pi, counts, d)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	return total
}

func (r *catchupRig) fillPi(pi *catchupPi, counts map[string]int, d time.Duration) error {
	return fillStream(pi.url, pi.id, counts, d, nats.UserCredentials(r.f.CredsPath(pi.id)), nats.CustomInboxPrefix("_INBOX."+pi.id))
}

// fillStream publishes d of readings of device id at the default rates
// (counts of each kind) to the Pi's nats-server at url, in time order.
func fillStream(url, id string, counts map[string]int, d time.Duration, opts ...nats.Option) error {
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(2000), jetstream.WithPublishAsyncTimeout(2*time.Minute))
	if err != nil {
		return err
	}
	s := wire.Subjects{Prefix: wire.DefaultPrefix, ID: id}
	n := map[string]int{}
	step := 100 * time.Millisecond
	for at := time.Duration(0); at < d; at += step {
		for _, k := range hourKinds {
			if at%k.every != 0 || n[k.kind] >= counts[k.kind] {
				continue
			}
			n[k.kind]++
			m := nats.NewMsg(s.Sensors(k.kind))
			m.Data = backlogPayload
			m.Header.Set(nats.MsgIdHdr, fmt.Sprintf("%s-b1-%s-%d", id, k.kind, n[k.kind]))
			if _, err := js.PublishMsgAsync(m, jetstream.WithStallWait(time.Minute)); err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(120 * time.Second):
		return fmt.Errorf("%s: backlog not acknowledged within 120s", id)
	}
	return nil
}

// hubStream opens the hub stream over nc, through the hub's domain.
func (r *catchupRig) hubStream(ctx context.Context, nc *nats.Conn) (jetstream.JetStream, jetstream.Stream, error) {
	js, err := jetstream.NewWithDomain(nc, r.f.Settings.HubDomain)
	if err != nil {
		return nil, nil, err
	}
	s, err := js.Stream(ctx, r.f.Settings.Stream)
	return js, s, err
}

// hubState is the hub stream's state, or an error while the hub starts.
func (r *catchupRig) hubState(nc *nats.Conn) (jetstream.StreamState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, s, err := r.hubStream(ctx, nc)
	if err != nil {
		return jetstream.StreamState{}, err
	}
	return s.CachedInfo().State, nil
}

// catchupResult is one restart of the hub: how long after the hub took
// clients again the whole backlog was in the hub stream.
type catchupResult struct {
	candidate string
	pis       int
	backlog   int // readings per Pi
	took      time.Duration
	load      string
	hubCPU    time.Duration // the hub nats-server's CPU time while catching up
	pisCPU    time.Duration // all the Pis' nats-servers' together
	progress  []uint64      // hub stream messages each second after the hub took clients
}

// restart stops the hub, stores a backlog of d on every Pi, starts the
// hub again and waits until the hub stream holds everything (before plus
// the backlog of every Pi), within limit. With watch, a catchup.Watcher
// runs next to the hub as `sensehat catchup` would.
func (r *catchupRig) restart(t *testing.T, d time.Duration, watch bool, limit time.Duration) catchupResult {
	t.Helper()
	nc := r.admin(t)
	before, err := r.hubState(nc)
	nc.Close()
	if err != nil {
		t.Fatal(err)
	}
	r.hub.terminate(t, "hub nats-server", 30*time.Second)
	perPi := r.fillBacklog(t, d)
	want := before.Msgs + uint64(perPi*len(r.pis))

	stop := func() {}
	if watch {
		stop = runCatchup(t, r.hubURL, catchup.Opts{Stream: r.f.Settings.Stream, Domain: r.f.Settings.HubDomain},
			nats.UserCredentials(r.f.CredsPath(fleetid.ToolName)))
	}
	load := loadavg()
	r.startHub(t)
	var up time.Time
	var cl *nats.Conn
	for cl == nil {
		c, err := nats.Connect(r.hubURL, nats.UserCredentials(r.f.CredsPath(fleetid.ToolName)), nats.Timeout(time.Second))
		if err == nil {
			up, cl = time.Now(), c
		} else {
			time.Sleep(5 * time.Millisecond)
		}
	}
	defer cl.Close()
	hub0, pis0 := cpuTime(r.hub), r.pisCPU()
	var st jetstream.StreamState
	var progress []uint64
	for {
		st, err = r.hubState(cl)
		if err == nil && st.Msgs >= want {
			break
		}
		if time.Since(up) > limit {
			t.Fatalf("%v after the hub took clients again its stream holds %d of %d readings (%v)", limit, st.Msgs, want, err)
		}
		if s := int(time.Since(up) / time.Second); s >= len(progress) {
			progress = append(progress, st.Msgs-min(st.Msgs, before.Msgs))
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(up)
	hubCPU, pisCPU := cpuTime(r.hub)-hub0, r.pisCPU()-pis0
	stop()
	if st.Msgs != want || st.LastSeq != want || st.FirstSeq != 1 {
		t.Fatalf("hub stream: %d messages, sequences %d..%d; want exactly %d", st.Msgs, st.FirstSeq, st.LastSeq, want)
	}
	return catchupResult{pis: len(r.pis), backlog: perPi, took: took, load: load + " / " + loadavg(),
		hubCPU: hubCPU, pisCPU: pisCPU, progress: progress}
}

// cpuTime is the user and system CPU time a running process has used
// (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms: Linux's
// USER_HZ is 100 on every architecture).
func cpuTime(p *process) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	k, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond
}

func (r *catchupRig) pisCPU() time.Duration {
	var d time.Duration
	for _, pi := range r.pis {
		d += cpuTime(pi.proc)
	}
	return d
}

// runCatchup runs a catchup.Watcher on the hub at url (stream and domain
// of o, DefaultOpts' where empty), as the sensehat-catchup service does
// beside the hub, until stop is called or the test ends.
func runCatchup(t *testing.T, url string, o catchup.Opts, opts ...nats.Option) (stop func()) {
	t.Helper()
	d := catchup.DefaultOpts
	if o.Stream != "" {
		d.Stream = o.Stream
	}
	if o.Domain != "" {
		d.Domain = o.Domain
	}
	nc, err := nats.Connect(url, append([]nats.Option{nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1),
		nats.ReconnectWait(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	w, err := catchup.New(nc, &d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			nc.Close()
		})
	}
	t.Cleanup(stop)
	return stop
}

// loadavg is /proc/loadavg's first three fields.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// checkHub reads the whole hub stream and checks every Pi's readings:
// per kind, numbers 1..n of the backlog once each, in order.
func (r *catchupRig) checkHub(t *testing.T, d time.Duration) {
	t.Helper()
	nc := r.admin(t)
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, s, err := r.hubStream(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	total := s.CachedInfo().State.Msgs
	last := map[string]int{}
	for seen := uint64(0); seen < total; {
		batch, err := c.Fetch(2000, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			seen++
			id := m.Headers().Get(nats.MsgIdHdr)
			parts := strings.Split(id, "-")
			if len(parts) != 4 {
				t.Fatalf("hub message %q: Nats-Msg-Id %q", m.Subject(), id)
			}
			k := parts[0] + "/" + parts[2]
			n, err := strconv.Atoi(parts[3])
			if err != nil {
				t.Fatal(err)
			}
			if want := (wire.Subjects{Prefix: wire.DefaultPrefix, ID: parts[0]}).Sensors(parts[2]); m.Subject() != want {
				t.Fatalf("hub message %s on %s, want %s", id, m.Subject(), want)
			}
			if n != last[k]+1 {
				t.Fatalf("hub stream: %s reading %d after %d: a gap, a repeat or disorder", k, n, last[k])
			}
			last[k] = n
		}
		if got == 0 {
			t.Fatalf("hub stream: fetch returned nothing after %d of %d", seen, total)
		}
	}
	for _, pi := range r.pis {
		for kind, n := range hourOf(d) {
			if last[pi.id+"/"+kind] != n {
				t.Errorf("hub stream: %s %s readings 1..%d, want 1..%d", pi.id, kind, last[pi.id+"/"+kind], n)
			}
		}
	}
}

// TestCatchUpAfterHubRestart is the shipped answer to a hub restart: a
// Pi (its leaf node on Debian's nats-server when installed, else the
// pinned one) holds an hour of readings at the default rates when the hub
// comes back; with `sensehat catchup` (catchup.Watcher) beside the hub,
// the hub stream holds all of them, each once and in order per kind. The
// time is logged (RELIABILITY.md has the figures); the bound here is
// nats-server's own retry (about 40 s) plus room for a loaded machine, so
// the test fails if the watcher did nothing.
func TestCatchUpAfterHubRestart(t *testing.T) {
	testutil.SkipShort(t, "runs nats-server processes")
	for _, ls := range leafServers(t) {
		t.Run("leaf="+ls.name, func(t *testing.T) {
			r := newCatchupRig(t, 1, ls.bin, false)
			res := r.restart(t, time.Hour, true, 30*time.Second)
			t.Logf("an hour of readings (%d) in the hub stream %v after the hub took clients again (load %s)", res.backlog, res.took.Round(10*time.Millisecond), res.load)
			r.checkHub(t, time.Hour)
			// Sources that are sourcing are left alone, whatever the
			// Pi's nats-server: no restart for the heartbeats' sake.
			nc := r.admin(t)
			defer nc.Close()
			o := catchup.DefaultOpts
			o.Stream, o.Domain = r.f.Settings.Stream, r.f.Settings.HubDomain
			w, err := catchup.New(nc, &o)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 4; i++ {
				if got, err := w.Round(context.Background()); err != nil || len(got) > 0 {
					t.Fatalf("a Round on the caught-up stream restarted %v (%v)", got, err)
				}
				time.Sleep(time.Second)
			}
		})
	}
}

// TestCatchUpCandidates measures the candidates side by side, alternating
// in one run: A (nats-server alone), B (durable sourcing consumers,
// 2.14+ Pis only), C (the watcher) and D (the watcher, with one source
// per Pi as deploy/nats/cluster/streams.sh makes them instead of the
// fleet's eight). SENSEHAT_CATCHUP_BENCH=PIS[,ROUNDS]
// runs it (scripts/catchup.sh); the figures go in RELIABILITY.md.
func TestCatchUpCandidates(t *testing.T) {
	spec := os.Getenv("SENSEHAT_CATCHUP_BENCH")
	if spec == "" {
		t.Skip("set SENSEHAT_CATCHUP_BENCH=PIS[,ROUNDS[,CANDIDATES[,LEAF]]] (scripts/catchup.sh)")
	}
	f := strings.Split(spec, ",")
	pis, _ := strconv.Atoi(f[0])
	rounds := 1
	if len(f) > 1 {
		rounds, _ = strconv.Atoi(f[1])
	}
	cands := "ABC"
	if len(f) > 2 {
		cands = f[2]
	}
	leaf := tool(t, "nats-server")
	if len(f) > 3 && f[3] == "apt" {
		leaf = debianServer
	}
	var results []catchupResult
	for round := 1; round <= rounds; round++ {
		for _, c := range cands {
			name := string(c)
			t.Run(fmt.Sprintf("%s/round%d", name, round), func(t *testing.T) {
				r := newCatchupRig(t, pis, leaf, c == 'B')
				if c == 'D' {
					r.useOnePerPi(t)
				}
				res := r.restart(t, time.Hour, c == 'C' || c == 'D', 5*time.Minute)
				res.candidate = name
				t.Logf("candidate %s, %d Pi(s), %d readings each: %v after the hub took clients again (load %s); CPU: hub %v, Pis %v; per second %v",
					name, res.pis, res.backlog, res.took.Round(10*time.Millisecond), res.load, res.hubCPU, res.pisCPU, res.progress)
				if os.Getenv("SENSEHAT_CATCHUP_CHECK") != "" {
					r.checkHub(t, time.Hour)
				}
				results = append(results, res)
			})
		}
	}
	for _, res := range results {
		t.Logf("%s\t%d Pis\t%d each\t%v\tload %s\thub CPU %v\tPis CPU %v", res.candidate, res.pis, res.backlog, res.took.Round(10*time.Millisecond), res.load, res.hubCPU, res.pisCPU)
	}
}

// The three-node cluster of deploy/nats/cluster (local.sh, streams.sh:
// one source per Pi, R3), all three nodes stopped while the Pi stores an
// hour of readings, then started again with `sensehat catchup` (the
// watcher) beside them: the hub stream holds the whole hour, each reading
// once and in order per kind. The time from the first node taking clients
// is logged (RELIABILITY.md); the bound is a hang guard.
func TestCatchUpAfterClusterRestart(t *testing.T) {
	testutil.SkipShort(t, "runs nats-server processes")
	watch := os.Getenv("SENSEHAT_CATCHUP_BENCH") != "A" // A: nats-server alone, for the figures
	c := startHubCluster(t, tool(t, "nats-server"))
	for _, n := range c.nodes {
		n.stop(t)
	}
	counts := hourOf(time.Hour)
	if err := fillStream(c.leaf.url(), sfID, counts, time.Hour); err != nil {
		t.Fatal(err)
	}
	want := uint64(0)
	for _, n := range counts {
		want += uint64(n)
	}
	stop := func() {}
	if watch {
		stop = runCatchup(t, c.urls(), catchup.Opts{})
	}
	load := loadavg()
	for _, n := range c.nodes {
		n.proc = startProcessEnv(t, n.env, n.bin, "-c", n.conf, "-a", "127.0.0.1", "-p", strconv.Itoa(n.port))
	}
	var up time.Time
	for {
		nc, err := nats.Connect(c.urls(), nats.Timeout(time.Second))
		if err == nil {
			up = time.Now()
			nc.Close()
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	var answered, stored time.Duration // the stream's leader answering, the first reading stored
	testutil.WaitFor(t, 3*time.Minute, fmt.Sprintf("the hub stream holding the hour's %d readings", want), func() bool {
		info, err := c.tryStreamInfo("SENSEHAT")
		if err == nil && answered == 0 {
			answered = time.Since(up)
		}
		if err == nil && info.State.Msgs > 0 && stored == 0 {
			stored = time.Since(up)
		}
		return err == nil && info.State.Msgs >= want
	})
	took := time.Since(up)
	stop()
	t.Logf("watcher %v: an hour of readings (%d) in the cluster's stream %v after the first node took clients again; the stream answered after %v, stored the first reading after %v (load %s / %s)",
		watch, want, took.Round(10*time.Millisecond), answered.Round(10*time.Millisecond), stored.Round(10*time.Millisecond), load, loadavg())
	rs := c.readAll(t, "SENSEHAT")
	got := runs(t, "SENSEHAT", rs)
	for kind, n := range counts {
		ns := got["b1/"+kind]
		if len(ns) != n || ns[0] != 1 || ns[len(ns)-1] != uint64(n) {
			t.Errorf("SENSEHAT: %d %s readings (%d..%d), want 1..%d once each", len(ns), kind, first(ns), lastOf(ns), n)
		}
	}
	if uint64(len(rs)) != want {
		t.Errorf("SENSEHAT holds %d messages, want %d", len(rs), want)
	}
}

// TestDurableSourcingHostilePi checks what candidate B would let a Pi's
// owner do (run with SENSEHAT_CATCHUP_BENCH set, as scripts/catchup.sh
// does; RELIABILITY.md records the outcome). With durable sourcing the
// hub's source may carry no filter: the Pi's consumer has it. pi01's owner
// makes its stream store its own readings under pi02's subjects (a
// subject transform, which needs no permission beyond its own stream) and
// makes the durable consumer take everything. The test reports whether
// the hub stream then holds readings under pi02's subjects that pi01
// sent.
func TestDurableSourcingHostilePi(t *testing.T) {
	if os.Getenv("SENSEHAT_CATCHUP_BENCH") == "" {
		t.Skip("set SENSEHAT_CATCHUP_BENCH (scripts/catchup.sh)")
	}
	r := newCatchupRig(t, 2, tool(t, "nats-server"), true)
	pi := r.pis[0]
	nc := r.piConn(t, pi)
	defer nc.Close()
	js, err := jetstream.NewWithDomain(nc, fleetid.DeviceDomain(pi.id))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "SENSEHAT_"+pi.id)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.SubjectTransform = &jetstream.SubjectTransformConfig{Source: "sensehat." + pi.id + ".sensors.*", Destination: "sensehat.pi02.sensors.{{wildcard(1)}}"}
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatalf("the owner's stream edit: %v", err)
	}
	if err := js.DeleteConsumer(ctx, "SENSEHAT_"+pi.id, "SENSEHAT_HUB"); err != nil {
		t.Fatal(err)
	}
	c := durableConsumer(pi.id)
	c.FilterSubjects = nil
	if _, err := js.CreateConsumer(ctx, "SENSEHAT_"+pi.id, c); err != nil {
		t.Fatalf("the owner's consumer: %v", err)
	}
	m := nats.NewMsg("sensehat." + pi.id + ".sensors.env")
	m.Data = []byte(`{"temperature_c":99}`)
	m.Header.Set(nats.MsgIdHdr, pi.id+"-evil-env-1")
	if _, err := js.PublishMsg(ctx, m); err != nil {
		t.Fatal(err)
	}
	admin := r.admin(t)
	defer admin.Close()
	hjs, err := jetstream.NewWithDomain(admin, r.f.Settings.HubDomain)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := hjs.Stream(ctx, r.f.Settings.Stream)
	if err != nil {
		t.Fatal(err)
	}
	var got *jetstream.RawStreamMsg
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end) && got == nil; time.Sleep(200 * time.Millisecond) {
		got, _ = hs.GetLastMsgForSubject(ctx, "sensehat.pi02.sensors.env")
	}
	if got != nil {
		t.Logf("durable sourcing: the hub stored %s on %s (Nats-Msg-Id %s), sent by %s's Pi", got.Data, got.Subject, got.Header.Get(nats.MsgIdHdr), pi.id)
	} else {
		t.Logf("durable sourcing: nothing under pi02's subjects reached the hub in 15 s")
	}
}
