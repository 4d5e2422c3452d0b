package fleetid_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/desired"
	"github.com/sensehat/sensehat/internal/fleetid"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// row is one line of the refusal table: who tried what, whether the role
// needs it, and what the hub did.
type row struct {
	who, what string
	want, got bool
	detail    string
	// limit, when set, is why a refusal the issue asks for cannot be had
	// from nats-server: printed as LIMIT, not failed.
	limit string
}

type table struct {
	t    *testing.T
	rows []row
}

func (tb *table) add(who, what string, want, got bool, detail string) {
	tb.rows = append(tb.rows, row{who: who, what: what, want: want, got: got, detail: detail})
}

// known records a check whose refusal nats-server cannot give, and why.
func (tb *table) known(who, what string, got bool, detail, why string) {
	tb.rows = append(tb.rows, row{who: who, what: what, want: false, got: got, detail: detail, limit: why})
}

func yesNo(b bool) string {
	if b {
		return "accepted"
	}
	return "refused"
}

// report prints the table and fails for each row where the hub accepted
// what it must refuse or refused what the role needs.
func (tb *table) report() {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHO\tTRIES\tMUST BE\tWAS\t\tDETAIL")
	bad := 0
	var limits []string
	for _, r := range tb.rows {
		mark := "ok"
		if r.limit != "" && r.got {
			mark = "LIMIT"
			limits = append(limits, r.who+" "+r.what+": "+r.limit)
		} else if r.want != r.got {
			mark = "WRONG"
			bad++
		}
		d := strings.Join(strings.Fields(r.detail), " ")
		if len(d) > 90 {
			d = d[:90] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.who, r.what, yesNo(r.want), yesNo(r.got), mark, d)
	}
	_ = tw.Flush()
	tb.t.Logf("refusal table (%d checks):\n%s", len(tb.rows), b.String())
	for _, l := range limits {
		tb.t.Logf("LIMIT: %s", l)
	}
	if bad > 0 {
		tb.t.Errorf("%d of %d checks wrong: something refused was accepted, or something needed was refused (table above)", bad, len(tb.rows))
	}
}

var seq atomic.Int64

func payload(what string) []byte {
	return []byte(what + "#" + strconv.FormatInt(seq.Add(1), 10))
}

// reaches publishes from `from` on subj every 100 ms and reports whether
// to's subscription on subj saw one of them within d. send publishes one
// message (nil: from.Publish).
func reaches(t *testing.T, to *client, subj string, d time.Duration, send func(subj string, p []byte) error) (bool, string) {
	t.Helper()
	p := payload(subj)
	got := make(chan struct{}, 1)
	sub, err := to.Subscribe(subj, func(m *nats.Msg) {
		// a prefix: the size checks pad what they send
		if strings.HasPrefix(string(m.Data), string(p)) {
			select {
			case got <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		t.Fatalf("watching %s: %v", subj, err)
	}
	defer sub.Unsubscribe()
	if err := to.Flush(); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(d)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var sendErr error
	for {
		if err := send(subj, p); err != nil {
			sendErr = err
		}
		select {
		case <-got:
			return true, "delivered"
		case <-deadline:
			if sendErr != nil {
				return false, "not delivered: " + sendErr.Error()
			}
			return false, "not delivered"
		case <-tick.C:
		}
	}
}

// pubVia publishes on c and flushes.
func pubVia(c *client) func(string, []byte) error {
	return func(subj string, p []byte) error {
		if err := c.Publish(subj, p); err != nil {
			return err
		}
		return c.FlushTimeout(time.Second)
	}
}

// receives subscribes who on subj (in queue, if given) and reports
// whether it gets what from publishes there within d.
func receives(t *testing.T, who *client, subj, queue string, from *client, d time.Duration) (bool, string) {
	t.Helper()
	p := payload(subj)
	got := make(chan struct{}, 1)
	h := func(m *nats.Msg) {
		if string(m.Data) == string(p) {
			select {
			case got <- struct{}{}:
			default:
			}
		}
	}
	var sub *nats.Subscription
	var err error
	if queue != "" {
		sub, err = who.QueueSubscribe(subj, queue, h)
	} else {
		sub, err = who.Subscribe(subj, h)
	}
	if err != nil {
		return false, "subscribe: " + err.Error()
	}
	defer sub.Unsubscribe()
	_ = who.FlushTimeout(time.Second)
	pub := subj
	if strings.HasSuffix(pub, ">") {
		pub = strings.TrimSuffix(pub, ">") + "probe"
	}
	deadline := time.After(d)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		_ = from.Publish(pub, p)
		_ = from.Flush()
		select {
		case <-got:
			return true, "received"
		case <-deadline:
			if v := who.violations(); v != "" {
				return false, v
			}
			return false, "nothing received"
		case <-tick.C:
		}
	}
}

// api sends a JetStream API request and reports whether any answer came:
// an answer means the request reached a JetStream API.
func api(who *client, subj, body string) (bool, string) {
	m, err := who.Request(subj, []byte(body), 1500*time.Millisecond)
	if err != nil {
		if v := who.violations(); v != "" {
			return false, v
		}
		return false, err.Error()
	}
	return true, string(m.Data)
}

func TestRefusal(t *testing.T) {
	testutil.SkipShort(t, "starts nats-server processes")
	ctx := context.Background()
	hubBin := pinnedServer(t)
	if err := fleetid.CheckHubBinary(ctx, hubBin); err != nil {
		t.Fatalf("the pinned nats-server: %v", err)
	}
	piBin, debian := piServer(t)
	piName := "pinned"
	if debian {
		piName = "Debian"
	}

	root := t.TempDir()
	fdir := filepath.Join(root, "fleet")
	clientPort, leafPort, mqttPort, httpPort := testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t)
	hubURL := fmt.Sprintf("nats://127.0.0.1:%d", clientPort)
	leafURL := fmt.Sprintf("tls://127.0.0.1:%d", leafPort)
	mqttAddr := fmt.Sprintf("127.0.0.1:%d", mqttPort)

	// The fleet as a user makes it: init, three Pis, one identity per role.
	runCLI(t, "fleet", "init", fdir, "--store", filepath.Join(root, "hub-store"),
		"--listen", fmt.Sprintf("127.0.0.1:%d", clientPort), "--leaf-listen", fmt.Sprintf("127.0.0.1:%d", leafPort),
		"--mqtt-listen", mqttAddr, "--http", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--hub-url", hubURL, "--leaf-host", "127.0.0.1,localhost", "--nats-server", hubBin)
	for _, id := range []string{"pi1", "pi2", "pi3", "pi5"} {
		runCLI(t, "fleet", "add", id, "--dir", fdir, "--offline")
	}
	for _, rc := range [][2]string{{"admin", "alice"}, {"operator", "laptop"}, {"homeassistant", "ha"}, {"web", "page"}, {"reader", "rita"}} {
		runCLI(t, "fleet", "creds", rc[0], rc[1], "--dir", fdir, "--offline")
	}
	f, err := fleetid.Open(fdir)
	if err != nil {
		t.Fatal(err)
	}
	creds := f.CredsPath
	for _, n := range []string{"pi1", "alice", "ha"} {
		fi, err := os.Stat(creds(n))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600", creds(n), fi.Mode().Perm())
		}
	}

	startServer(t, hubBin, filepath.Join(fdir, "hub", fleetid.HubConf), fmt.Sprintf("127.0.0.1:%d", clientPort))

	// pi1: the Pi as shipped, Debian's nats-server as a leaf node logging
	// in with pi1's credentials, its own clients with them too.
	piPort := testutil.FreePort(t)
	piURL := fmt.Sprintf("nats://127.0.0.1:%d", piPort)
	ca := filepath.Join(fdir, "hub", fleetid.LeafCA)
	conf, err := f.LeafConf("pi1", leafURL, creds("pi1"), ca, filepath.Join(root, "pi1-store"), fmt.Sprintf("127.0.0.1:%d", piPort))
	if err != nil {
		t.Fatal(err)
	}
	piConf := filepath.Join(root, "pi1.conf")
	if err := os.WriteFile(piConf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	startServer(t, piBin, piConf, fmt.Sprintf("127.0.0.1:%d", piPort))

	// pi2's SD card in a hostile neighbour's hands: a nats-server of their
	// own, with no rules for its local clients, logging in to the hub with
	// pi2's credentials.
	hostile := func(id string) string {
		port := testutil.FreePort(t)
		c := fmt.Sprintf("listen: \"127.0.0.1:%d\"\nleafnodes { remotes [ { urls: [%q], credentials: %q, tls { ca_file: %q } } ] }\n", port, leafURL, creds(id), ca)
		p := filepath.Join(root, id+"-hostile.conf")
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
		startServer(t, piBin, p, fmt.Sprintf("127.0.0.1:%d", port))
		return fmt.Sprintf("nats://127.0.0.1:%d", port)
	}
	// pi5's too, with JetStream: its owner makes its stream hold pi1's
	// subjects, to slip forged readings into the hub's through pi5's source.
	pi5Port := testutil.FreePort(t)
	{
		c := fmt.Sprintf("listen: \"127.0.0.1:%d\"\njetstream { domain: %q, store_dir: %q }\nleafnodes { remotes [ { urls: [%q], credentials: %q, tls { ca_file: %q } } ] }\n",
			pi5Port, fleetid.DeviceDomain("pi5"), filepath.Join(root, "pi5-store"), leafURL, creds("pi5"), ca)
		p := filepath.Join(root, "pi5-hostile.conf")
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
		startServer(t, piBin, p, fmt.Sprintf("127.0.0.1:%d", pi5Port))
	}
	pi5Leaf := dial(t, fmt.Sprintf("nats://127.0.0.1:%d", pi5Port), "")
	p5js, err := jetstream.New(pi5Leaf.Conn)
	if err != nil {
		t.Fatal(err)
	}
	c5, cancel5 := context.WithTimeout(ctx, 10*time.Second)
	_, err = p5js.CreateStream(c5, jetstream.StreamConfig{Name: "SENSEHAT_pi5", Subjects: []string{"sensehat.pi1.>", "sensehat.pi5.>"}, Storage: jetstream.FileStorage})
	cancel5()
	if err != nil {
		t.Fatalf("pi5's own stream: %v", err)
	}
	if err := pi5Leaf.Publish("sensehat.pi1.sensors.env", []byte("forged by pi5")); err != nil {
		t.Fatal(err)
	}
	if err := pi5Leaf.Publish("sensehat.pi5.sensors.env", []byte("pi5 genuine")); err != nil {
		t.Fatal(err)
	}
	_ = pi5Leaf.Flush()
	pi2LeafURL := hostile("pi2")
	pi3LeafURL := hostile("pi3")

	admin := dial(t, hubURL, creds("alice"))
	op := dial(t, hubURL, creds("laptop"))
	web := dial(t, hubURL, creds("page"))
	reader := dial(t, hubURL, creds("rita"))
	pi1 := dial(t, hubURL, creds("pi1"))
	pi2 := dial(t, hubURL, creds("pi2"))
	pi1Local := dial(t, piURL, creds("pi1"))
	pi2Leaf := dial(t, pi2LeafURL, "")
	pi3Leaf := dial(t, pi3LeafURL, "")
	pi3 := dial(t, hubURL, creds("pi3"))

	// The Pi's store-and-forward stream, made on the Pi with the device's
	// own credentials in its own domain, before the hub sources it.
	pjs, err := jetstream.NewWithDomain(pi1Local.Conn, fleetid.DeviceDomain("pi1"))
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = pjs.CreateStream(cctx, jetstream.StreamConfig{Name: "SENSEHAT_pi1", Subjects: []string{"sensehat.pi1.sensors.>", "sensehat.pi1.joystick.>"}, Storage: jetstream.FileStorage, MaxBytes: 1 << 20})
	cancel()
	if err != nil {
		t.Fatalf("the Pi's stream, made with the device's credentials on the Pi: %v", err)
	}
	// The hub stream and its sources, as the tool sets them.
	out := runCLI(t, "fleet", "push", "--dir", fdir)
	if !strings.Contains(out, "sources 4 device(s): pi1 pi2 pi3 pi5") {
		t.Errorf("fleet push said %q, want the three devices sourced", out)
	}

	tb := &table{t: t}
	const (
		yes, no = true, false
		wait    = 5 * time.Second // what a needed message may take (leaf interest)
		refuse  = 1200 * time.Millisecond
	)
	pi1S := "sensehat.pi1"
	// --- devices, directly on the hub
	pi1.violations()
	got, d := reaches(t, admin, pi1S+".sensors.env", wait, pubVia(pi1))
	tb.add("device pi1", "publish its own reading", yes, got, d)
	got, d = reaches(t, admin, "sensehat.pi2.sensors.env", refuse, pubVia(pi1))
	tb.add("device pi1", "publish as pi2 (sensehat.pi2.sensors.env)", no, got, d+" "+pi1.violations())
	got, d = reaches(t, admin, "homeassistant.device.sensehat_pi1.config", wait, pubVia(pi1))
	tb.add("device pi1", "publish its own HA discovery", yes, got, d)
	got, d = reaches(t, admin, "homeassistant.device.sensehat_pi2.config", refuse, pubVia(pi1))
	tb.add("device pi1", "publish pi2's HA discovery", no, got, d)
	got, d = reaches(t, admin, "sensehat.all.led.text", refuse, pubVia(pi1))
	tb.add("device pi1", "command every device (sensehat.all.led.text)", no, got, d)
	got, d = receives(t, pi1, pi1S+".led.text", "", op, wait)
	tb.add("device pi1", "receive its own commands", yes, got, d)
	got, d = receives(t, pi1, "sensehat.pi2.led.text", "", op, refuse)
	tb.add("device pi1", "subscribe to pi2's commands", no, got, d)
	got, d = receives(t, pi1, "sensehat.>", "", op, refuse)
	tb.add("device pi1", "subscribe to sensehat.>", no, got, d)
	got, d = receives(t, pi1, "sensehat.all.led.text", "", op, wait)
	tb.add("device pi1", "receive sensehat.all.led.text", yes, got, d)
	got, d = receives(t, pi1, "sensehat.any.led.text", "sensehat", op, wait)
	tb.add("device pi1", "receive sensehat.any.led.text in queue sensehat", yes, got, d)
	got, d = receives(t, pi1, "sensehat.any.led.text", "", op, refuse)
	tb.known("device pi1", "subscribe to sensehat.any.led.text outside the queue", got, d,
		"nats-server drops 'subject queue' entries from templated permissions; a device sees every any-text")
	got, d = receives(t, pi1, "$SRV.PING", "", op, wait)
	tb.add("device pi1", "receive $SRV.PING (discovery)", yes, got, d)
	got, d = receives(t, pi1, "$SRV.>", "", op, refuse)
	tb.add("device pi1", "subscribe to $SRV.>", no, got, d)
	got, d = receives(t, pi1, "_INBOX.>", "", op, refuse)
	tb.add("device pi1", "subscribe to _INBOX.> (everyone's replies)", no, got, d)
	got, d = api(pi1, "$JS.API.STREAM.DELETE.SENSEHAT", "")
	tb.add("device pi1", "delete the hub stream ($JS.API)", no, got, d)
	got, d = api(pi1, "$JS.hub.API.STREAM.DELETE.SENSEHAT", "")
	tb.add("device pi1", "delete the hub stream ($JS.hub.API)", no, got, d)
	got, d = api(pi1, "$JS.hub.API.CONSUMER.CREATE.SENSEHAT", `{"stream_name":"SENSEHAT","config":{"deliver_policy":"all","ack_policy":"none"}}`)
	tb.add("device pi1", "create a consumer on the hub stream", no, got, d)
	got, d = api(pi1, "$JS.hub.API.DIRECT.GET.SENSEHAT", `{"seq":1}`)
	tb.add("device pi1", "read the hub stream (direct get)", no, got, d)
	{
		own := dial(t, hubURL, creds("pi1"), nats.CustomInboxPrefix("_INBOX_pi1"))
		var ok bool
		var detail string
		deadline := time.Now().Add(wait)
		for !ok && time.Now().Before(deadline) {
			ok, detail = api(own, "$JS.sensehat-pi1.API.STREAM.INFO.SENSEHAT_pi1", "")
		}
		tb.add("device pi1", "reach its own JetStream domain through the hub", yes, ok && strings.Contains(detail, "SENSEHAT_pi1"), detail)
	}
	got, d = api(pi2, "$JS.sensehat-pi1.API.STREAM.DELETE.SENSEHAT_pi1", "")
	tb.add("device pi2", "delete pi1's SD-card stream", no, got, d)

	// --- the desired-state bucket (docs/desired-state.md): the operator
	// makes it and writes keys; a device reads its own key and the default
	// key, on the hub and through its Pi's leaf, and writes no key, not
	// even its own: a direct get's answer goes wherever the device says,
	// so the keys must hold only what an operator wrote.
	{
		dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
		defer dcancel()
		opKV, err := desired.OpenBucket(dctx, op.Conn, "", true)
		tb.add("operator laptop", "make the desired-state bucket", yes, err == nil, fmt.Sprint(err))
		err = desired.EnsureNotify(dctx, op.Conn, "", "sensehat")
		tb.add("operator laptop", "make the stream that republishes its changes", yes, err == nil, fmt.Sprint(err))
		if err == nil {
			_, e1 := desired.Set(dctx, opKV, "pi1", 0, []string{"rotation=180"})
			_, e2 := desired.Set(dctx, opKV, "pi2", 0, []string{"rotation=90"})
			_, e3 := desired.Set(dctx, opKV, wire.DesiredDefaultKey, 0, []string{"low_light=true"})
			tb.add("operator laptop", "write devices' keys and the default key", yes, e1 == nil && e2 == nil && e3 == nil, fmt.Sprint(e1, e2, e3))
		}
		// sensehatd's inbox prefix (daemon.DeviceInbox)
		dev := dial(t, hubURL, creds("pi1"), nats.CustomInboxPrefix("_INBOX.pi1"))
		kv, err := desired.OpenBucket(dctx, dev.Conn, "", false)
		tb.add("device pi1", "open the desired-state bucket", yes, err == nil, fmt.Sprint(err))
		if err == nil {
			e, err := kv.Get(dctx, "pi1")
			tb.add("device pi1", "read its own desired state", yes, err == nil && strings.Contains(string(e.Value()), "180"), fmt.Sprint(err))
			_, err = kv.Get(dctx, wire.DesiredDefaultKey)
			tb.add("device pi1", "read the fleet's default key", yes, err == nil, fmt.Sprint(err))
			// no consumer, not even of its own key: a watch is one
			short, scancel := context.WithTimeout(dctx, refuse)
			w, err := kv.Watch(short, "pi1")
			got := false
			if err == nil {
				select {
				case e := <-w.Updates():
					got = e != nil
				case <-short.Done():
				}
				_ = w.Stop()
			}
			scancel()
			tb.add("device pi1", "watch its own key (a consumer)", no, got, fmt.Sprint(err))
			short, scancel = context.WithTimeout(dctx, refuse)
			_, err = kv.Get(short, "pi2")
			scancel()
			tb.add("device pi1", "read pi2's desired state", no, err == nil, fmt.Sprint(err))
			short, scancel = context.WithTimeout(dctx, refuse)
			_, err = kv.Put(short, "pi2", []byte(`{"rotation":0}`))
			scancel()
			tb.add("device pi1", "write pi2's desired state", no, err == nil, fmt.Sprint(err))
			short, scancel = context.WithTimeout(dctx, refuse)
			w2, err := kv.WatchAll(short)
			got = false
			if err == nil {
				select {
				case e := <-w2.Updates():
					got = e != nil
				case <-short.Done():
				}
				_ = w2.Stop()
			}
			scancel()
			tb.add("device pi1", "watch every key of the bucket", no, got, fmt.Sprint(err))
			short, scancel = context.WithTimeout(dctx, refuse)
			_, err = desired.Set(short, kv, "pi1", 0, []string{"rotation=0"})
			scancel()
			tb.add("device pi1", "write its own desired key", no, err == nil, fmt.Sprint(err))
		}
		if opKV != nil {
			_, err = desired.Set(dctx, opKV, "pi1", 0, []string{"rotation=270"})
			tb.add("operator laptop", "change a device's key", yes, err == nil, fmt.Sprint(err))
		}
		// The Pi's daemon talks to its leaf, which reaches the hub's
		// bucket in domain hub.
		local := dial(t, piURL, creds("pi1"), nats.CustomInboxPrefix("_INBOX.pi1"))
		var lkv jetstream.KeyValue
		deadline := time.Now().Add(wait)
		for lkv == nil && time.Now().Before(deadline) {
			lkv, err = desired.OpenBucket(dctx, local.Conn, "hub", false)
		}
		ok := false
		if lkv != nil {
			e, gerr := lkv.Get(dctx, "pi1")
			ok, err = gerr == nil && strings.Contains(string(e.Value()), "270"), gerr
		}
		tb.add("device pi1", "read its own desired state through its leaf (domain hub)", yes, ok, fmt.Sprint(err))
		if lkv != nil {
			short, scancel := context.WithTimeout(dctx, refuse)
			_, err = lkv.Put(short, "pi1", []byte(`{"rotation":0}`))
			scancel()
			tb.add("device pi1", "write its own desired key through its leaf (domain hub)", no, err == nil, fmt.Sprint(err))
		}
		if opKV != nil {
			e, gerr := opKV.Get(dctx, "pi1")
			ok = gerr == nil && strings.Contains(string(e.Value()), "270")
			tb.add("operator laptop", "find pi1's key as the operator wrote it after pi1's writes", yes, ok, fmt.Sprint(gerr))
		}

		// The hub republishes each change of a key on <p>.<key>.desired
		// (desired.NotifyConfig): a device receives its own key's and the
		// default key's, no other device's.
		republished := func(who *client, key string, within time.Duration) (bool, string) {
			sub, err := who.SubscribeSync(wire.Subjects{Prefix: "sensehat", ID: key}.Desired())
			if err != nil {
				return false, "subscribe: " + err.Error()
			}
			defer func() { _ = sub.Unsubscribe() }()
			_ = who.FlushTimeout(time.Second)
			rev, err := desired.Set(dctx, opKV, key, 0, []string{"brightness=0." + strconv.FormatInt(seq.Add(1)%9+1, 10)})
			if err != nil {
				return false, "operator's write: " + err.Error()
			}
			deadline := time.Now().Add(within)
			for time.Now().Before(deadline) {
				m, err := sub.NextMsg(time.Until(deadline))
				if err != nil {
					break
				}
				if m.Header.Get(wire.DesiredRevisionHeader) == strconv.FormatUint(rev, 10) {
					return true, fmt.Sprintf("revision %d: %s", rev, m.Data)
				}
			}
			return false, fmt.Sprintf("no republish of revision %d", rev)
		}
		got, d := republished(dev, "pi1", wait)
		tb.add("device pi1", "receive the republished changes of its own key", yes, got, d)
		got, d = republished(dev, wire.DesiredDefaultKey, wait)
		tb.add("device pi1", "receive the republished changes of the default key", yes, got, d)
		got, d = republished(dev, "pi2", refuse)
		tb.add("device pi1", "receive the republished changes of pi2's key", no, got, d)
		got, d = reaches(t, dev, "sensehat._default.desired", refuse, pubVia(pi2))
		tb.add("device pi2", "publish on the default key's republish subject", no, got, d)
		got, d = reaches(t, dev, "sensehat.pi1.desired", refuse, pubVia(pi2))
		tb.add("device pi2", "publish on pi1's republish subject", no, got, d)

		// The Pi's copy of its two keys (--desired-mirror), made as
		// sensehatd makes it, in the Pi's own JetStream: the republished
		// messages cross the leaf link into it, which the hub lets
		// through for pi1's own key and the default key only.
		pjs, err := desired.JetStream(local.Conn, fleetid.DeviceDomain("pi1"))
		if err != nil {
			t.Fatal(err)
		}
		s1 := wire.Subjects{Prefix: "sensehat", ID: "pi1"}
		err = desired.EnsureCopy(dctx, pjs, s1)
		tb.add("pi1 on its "+piName+" leaf", "make the copy of its desired state in its own JetStream", yes, err == nil, fmt.Sprint(err))
		kept := func(js jetstream.JetStream, s wire.Subjects, key string, within time.Duration) (bool, string) {
			rev, err := desired.Set(dctx, opKV, key, 0, []string{"brightness=0." + strconv.FormatInt(seq.Add(1)%9+1, 10)})
			if err != nil {
				return false, "operator's write: " + err.Error()
			}
			deadline := time.Now().Add(within)
			for {
				c, cancel := context.WithTimeout(dctx, time.Second)
				got, v, ok, err := desired.ReadCopy(c, js, s, key)
				cancel()
				if ok && got == rev {
					return true, fmt.Sprintf("revision %d: %s", got, v)
				}
				if time.Now().After(deadline) {
					return false, fmt.Sprint("revision ", rev, " not kept ", err)
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
		// the leaf takes a moment to tell the hub of the stream's interest
		got, d = kept(pjs, s1, "pi1", 15*time.Second)
		tb.add("pi1 on its "+piName+" leaf", "keep its own key's republished changes", yes, got, d)
		got, d = kept(pjs, s1, wire.DesiredDefaultKey, 15*time.Second)
		tb.add("pi1 on its "+piName+" leaf", "keep the default key's republished changes", yes, got, d)
		// what sensehatd stores there itself after a link cut, as pi1 on
		// its own server: both keys, in pi1's own namespace
		{
			e1 := desired.StoreCopy(dctx, pjs, s1, "pi1", 1000, []byte(`{"rotation":90}`))
			e2 := desired.StoreCopy(dctx, pjs, s1, wire.DesiredDefaultKey, 1001, []byte(`{"low_light":false}`))
			r1, _, ok1, _ := desired.ReadCopy(dctx, pjs, s1, "pi1")
			r2, _, ok2, _ := desired.ReadCopy(dctx, pjs, s1, wire.DesiredDefaultKey)
			tb.add("pi1 on its "+piName+" leaf", "store what it read into its copy (its key and the default)", yes,
				e1 == nil && e2 == nil && ok1 && ok2 && r1 == 1000 && r2 == 1001, fmt.Sprint(e1, e2, r1, r2))
		}
		// pi2's key in a stream of pi1's making: the hub does not let
		// pi1's leaf subscribe to pi2's subject
		{
			s2 := wire.Subjects{Prefix: "sensehat", ID: "pi2"}
			c := desired.CopyConfig(s2)
			c.Name, c.Subjects = "PROBE_PI2", []string{s2.Desired()}
			if _, err := pjs.CreateStream(dctx, c); err != nil {
				t.Fatal(err)
			}
			got, d = kept(pjs, s2, "pi2", 4*time.Second)
			tb.add("pi1 on its "+piName+" leaf", "keep pi2's republished changes", no, got, d)
		}
		// pi5's own server, with JetStream of its own: its stream
		// SENSEHAT_pi5 already captures sensehat.pi1.>, the republish of
		// pi1's key included, were it let through
		{
			js5, err := jetstream.NewWithDomain(pi5Leaf.Conn, fleetid.DeviceDomain("pi5"))
			if err != nil {
				t.Fatal(err)
			}
			rev, err := desired.Set(dctx, opKV, "pi1", 0, []string{"brightness=0.2"})
			if err != nil {
				t.Fatal(err)
			}
			ok, d := false, fmt.Sprint("revision ", rev, " not kept")
			deadline := time.Now().Add(4 * time.Second)
			for !ok && time.Now().Before(deadline) {
				c, cancel := context.WithTimeout(dctx, time.Second)
				if st, err := js5.Stream(c, "SENSEHAT_pi5"); err == nil {
					if m, err := st.GetLastMsgForSubject(c, s1.Desired()); err == nil {
						ok, d = true, fmt.Sprintf("kept: %s", m.Data)
					}
				}
				cancel()
				time.Sleep(200 * time.Millisecond)
			}
			tb.add("pi5 (hostile server)", "keep pi1's republished changes in its own JetStream", no, ok, d)
		}
		// What the LIMIT rows of the consumer design showed: a consumer's
		// deliver subject is the hub's JetStream's to publish on, so a
		// device that could make one of its own key could make the hub
		// deliver what it wrote there onto pi1's commands. No device may
		// make a consumer of the bucket now, directly or through its leaf.
		{
			sub, err := pi1.SubscribeSync("sensehat.pi1.led.text")
			if err != nil {
				t.Fatal(err)
			}
			_ = pi1.Flush()
			pi2In := dial(t, hubURL, creds("pi2"), nats.CustomInboxPrefix("_INBOX.pi2"))
			forge := `{"stream_name":"KV_sensehat_desired","config":{"name":"forge","deliver_subject":"sensehat.pi1.led.text","filter_subject":"$KV.sensehat_desired.pi2","deliver_policy":"last","ack_policy":"none","inactive_threshold":5000000000}}`
			ok1, d1 := api(pi2In, "$JS.API.CONSUMER.CREATE.KV_sensehat_desired.forge.$KV.sensehat_desired.pi2", forge)
			ok2, d2 := api(pi2In, "$JS.hub.API.CONSUMER.CREATE.KV_sensehat_desired.forge.$KV.sensehat_desired.pi2", forge)
			ok3, d3 := api(pi2In, "$JS.API.CONSUMER.CREATE.KV_sensehat_desired", forge)
			m, err := sub.NextMsg(2 * time.Second)
			_ = sub.Unsubscribe()
			d := fmt.Sprintf("%s | %s | %s", d1, d2, d3)
			if err == nil {
				d = "pi1 received " + string(m.Data)
			}
			tb.add("device pi2", "make a consumer of its own key delivering onto pi1's led.text", no, ok1 || ok2 || ok3 || err == nil, d)
		}
		// A request's reply subject, which nats-server's permissions never
		// check: the answer goes wherever the requester says.
		{
			pi2R := dial(t, hubURL, creds("pi2"), nats.CustomInboxPrefix("_INBOX.pi2"))
			spoof := func(send func() error) (*nats.Msg, string) {
				sub, err := pi1.SubscribeSync("sensehat.pi1.led.text")
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = sub.Unsubscribe() }()
				_ = pi1.Flush()
				if err := send(); err != nil {
					return nil, err.Error()
				}
				m, err := sub.NextMsg(2 * time.Second)
				if err != nil {
					return nil, err.Error()
				}
				return m, fmt.Sprintf("pi1 received %s, headers %v", m.Data, m.Header)
			}
			get := "$JS.API.DIRECT.GET.KV_sensehat_desired.$KV.sensehat_desired.pi2"
			// The hub's JetStream answers there with what an operator
			// wrote into pi2's key, headed Nats-Stream: sensehatd drops such a
			// message on every endpoint, counted as a refusal
			// (internal/service TestRedirectedDirectGetRefused), so only
			// one without that header would be taken as a command.
			m, d := spoof(func() error { return pi2R.PublishRequest(get, "sensehat.pi1.led.text", nil) })
			tb.add("device pi2", "make the hub answer a direct get of its own key onto pi1's led.text, as a command sensehatd takes (no Nats-Stream header)", no,
				m != nil && m.Header.Get(nats.JSStream) == "", d)
			m, d = spoof(func() error {
				return pi2R.PublishRequest(get, "sensehat.pi1.led.text", []byte(`{"no_hdr":true}`))
			})
			tb.known("device pi2", "make the hub answer a direct get of its own key onto pi1's led.text without headers (no_hdr)", m != nil && len(m.Header) == 0, d,
				"a request's reply subject is the requester's to choose and no permission holds it; asked with no_hdr (nats-server 2.11+), the answer is the bare value of pi2's key, which only an operator writes: an operator-written document of pi2 redirected onto pi1's led.text or led.config")
			// what it carries is only ever what an operator wrote: pi2
			// cannot write its key (above), so it equals the operator's
			// own read of that key
			var want []byte
			if okv, err := desired.OpenBucket(ctx, op.Conn, "", false); err == nil {
				if e, err := okv.Get(ctx, "pi2"); err == nil {
					want = e.Value()
				}
			}
			tb.add("device pi2", "make the hub publish onto pi1's led.text anything but what an operator wrote into pi2's key", no,
				m != nil && (want == nil || !bytes.Equal(m.Data, want)), fmt.Sprintf("operator's value %s; %s", want, d))
			// allow_responses would let pi2 answer a request it sent
			// itself, once, on any subject; a device has _INBOX.> instead
			m, d = spoof(func() error {
				own, err := pi2R.Subscribe("sensehat.pi2.led.text", func(m *nats.Msg) { _ = m.Respond([]byte("from pi2")) })
				if err != nil {
					return err
				}
				defer func() { _ = own.Unsubscribe() }()
				_ = pi2R.Flush()
				if err := pi2R.PublishRequest("sensehat.pi2.led.text", "sensehat.pi1.led.text", nil); err != nil {
					return err
				}
				time.Sleep(500 * time.Millisecond) // the answer is sent from the handler
				return nil
			})
			tb.add("device pi2", "answer its own request onto pi1's led.text", no, m != nil, d)
		}
		// consumer-create answers are no device's business any more
		{
			sub, err := pi2.SubscribeSync("$JSC.R.*")
			got := false
			if err == nil {
				_ = pi2.Flush()
				_ = admin.Publish("$JSC.R.probe", []byte("consumer info"))
				_ = admin.Flush()
				_, err = sub.NextMsg(refuse)
				got = err == nil
				_ = sub.Unsubscribe()
			}
			tb.add("device pi2", "receive other clients' consumer-create answers ($JSC.R.*)", no, got, fmt.Sprint(err))
		}
	}

	// answering requests
	{
		sub, err := pi1.Subscribe(pi1S+".status", func(m *nats.Msg) { _ = m.Respond([]byte("pi1 status")) })
		if err != nil {
			t.Fatal(err)
		}
		_ = pi1.Flush()
		m, err := op.Request(pi1S+".status", nil, wait)
		tb.add("device pi1", "answer a request it received", yes, err == nil && string(m.Data) == "pi1 status", fmt.Sprint(err))
		_ = sub.Unsubscribe()
		// discovery and the fan-out: every device answers the one request
		for _, subj := range []string{"$SRV.PING.sensehat", "sensehat.all.led.text"} {
			sub, err := pi1.Subscribe(subj, func(m *nats.Msg) { _ = m.Respond([]byte("pi1 answers")) })
			if err != nil {
				t.Fatal(err)
			}
			_ = pi1.Flush()
			m, err := op.Request(subj, nil, wait)
			tb.add("device pi1", "answer the laptop's "+subj, yes, err == nil && string(m.Data) == "pi1 answers", fmt.Sprint(err))
			_ = sub.Unsubscribe()
		}
		inbox := "_INBOX.forged." + strconv.FormatInt(seq.Add(1), 10)
		got, d = reaches(t, op, inbox, refuse, pubVia(pi2))
		tb.known("device pi2", "answer a request meant for pi1, knowing its reply subject", got, d,
			"replies of a Pi behind its leaf need _INBOX.> publish (a hub sends a leaf a reply's interest only if it may publish it); a device cannot subscribe to _INBOX.>, so it must learn the subject")
	}

	// --- a device through its leaf: pi2's own server in hostile hands
	got, d = reaches(t, admin, "sensehat.pi2.sensors.env", wait, pubVia(pi2Leaf))
	tb.add("pi2 leaf (hostile server)", "publish pi2's reading to the hub", yes, got, d)
	got, d = reaches(t, admin, pi1S+".sensors.env", refuse, pubVia(pi2Leaf))
	tb.add("pi2 leaf (hostile server)", "publish as pi1 through the leaf", no, got, d)
	got, d = receives(t, pi2Leaf, "sensehat.pi2.led.text", "", op, wait)
	tb.add("pi2 leaf (hostile server)", "receive pi2's commands", yes, got, d)
	got, d = receives(t, pi2Leaf, pi1S+".led.text", "", op, refuse)
	tb.add("pi2 leaf (hostile server)", "receive pi1's commands through the leaf", no, got, d)
	got, d = api(pi2Leaf, "$JS.hub.API.STREAM.DELETE.SENSEHAT", "")
	tb.add("pi2 leaf (hostile server)", "delete the hub stream", no, got, d)
	got, d = api(pi2Leaf, "$JS.sensehat-pi1.API.STREAM.DELETE.SENSEHAT_pi1", "")
	tb.add("pi2 leaf (hostile server)", "delete pi1's SD-card stream", no, got, d)

	// --- pi1 as shipped: its own server knows the fleet's identities
	got, d = reaches(t, admin, pi1S+".sensors.env", wait, pubVia(pi1Local))
	tb.add("pi1 on its "+piName+" leaf", "publish its reading to the hub", yes, got, d)
	got, d = reaches(t, admin, "sensehat.pi2.sensors.env", refuse, pubVia(pi1Local))
	tb.add("pi1 on its "+piName+" leaf", "publish as pi2", no, got, d)
	{
		sub, err := pi1Local.Subscribe(pi1S+".status", func(m *nats.Msg) { _ = m.Respond([]byte("pi1 status")) })
		if err != nil {
			t.Fatal(err)
		}
		_ = pi1Local.Flush()
		var m *nats.Msg
		deadline := time.Now().Add(wait)
		for time.Now().Before(deadline) {
			if m, err = op.Request(pi1S+".status", nil, 500*time.Millisecond); err == nil {
				break
			}
		}
		tb.add("pi1 on its "+piName+" leaf", "answer the laptop's request through the leaf", yes, err == nil && string(m.Data) == "pi1 status", fmt.Sprint(err))
		_ = sub.Unsubscribe()
		sub, err = pi1Local.Subscribe("$SRV.PING.sensehat", func(m *nats.Msg) { _ = m.Respond([]byte("pi1 discovered")) })
		if err != nil {
			t.Fatal(err)
		}
		_ = pi1Local.Flush()
		deadline = time.Now().Add(wait)
		for time.Now().Before(deadline) {
			if m, err = op.Request("$SRV.PING.sensehat", nil, 500*time.Millisecond); err == nil {
				break
			}
		}
		tb.add("pi1 on its "+piName+" leaf", "answer the laptop's discovery ($SRV.PING.sensehat) through the leaf", yes, err == nil && string(m.Data) == "pi1 discovered", fmt.Sprint(err))
		_ = sub.Unsubscribe()
	}
	{
		_, err := tryDial(piURL, "")
		tb.add("anonymous", "connect to a Pi's own nats-server ("+piName+")", no, err == nil, fmt.Sprint(err))
	}

	// --- the hub stream sources the Pi's stream through its leaf
	{
		hjs, err := jetstream.NewWithDomain(admin.Conn, "hub")
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			_ = pi1Local.Publish(pi1S+".sensors.env", []byte(`{"temperature_c":21.5}`))
			c2, cancel := context.WithTimeout(ctx, 2*time.Second)
			st, err := hjs.Stream(c2, "SENSEHAT")
			cancel()
			if err == nil && st.CachedInfo().State.Msgs > 0 {
				n = st.CachedInfo().State.Msgs
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		tb.add("hub stream", "source pi1's SD-card stream through its leaf", yes, n > 0, fmt.Sprintf("%d messages", n))
	}

	// --- pi5's forged readings through its own source
	{
		hjs, err := jetstream.NewWithDomain(admin.Conn, "hub")
		if err != nil {
			t.Fatal(err)
		}
		var genuine bool
		var forged string
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && !genuine {
			c2, cancel := context.WithTimeout(ctx, 2*time.Second)
			if st, err := hjs.Stream(c2, "SENSEHAT"); err == nil {
				if m, err := st.GetLastMsgForSubject(c2, "sensehat.pi5.sensors.env"); err == nil && string(m.Data) == "pi5 genuine" {
					genuine = true
					forged = findData(t, st, "sensehat.pi1.>", "forged by pi5")
				}
			}
			cancel()
			time.Sleep(250 * time.Millisecond)
		}
		tb.add("hub stream", "source pi5's own readings", yes, genuine, "")
		tb.add("pi5 (hostile server)", "put pi1's readings into the hub through its own source", no, forged != "", forged)
	}

	// --- people and programs
	got, d = reaches(t, admin, pi1S+".led.text", wait, pubVia(op))
	tb.add("operator laptop", "command pi1", yes, got, d)
	got, d = api(op, "$JS.hub.API.STREAM.INFO.SENSEHAT", "")
	tb.add("operator laptop", "read the hub stream's info", yes, got, d)
	got, d = api(op, "$JS.hub.API.STREAM.PURGE.SENSEHAT", "")
	tb.add("operator laptop", "purge the hub stream", no, got, d)
	got, d = api(op, "$JS.hub.API.STREAM.DELETE.SENSEHAT", "")
	tb.add("operator laptop", "delete the hub stream", no, got, d)
	got, d = api(op, "$JS.hub.API.STREAM.UPDATE.SENSEHAT", `{"name":"SENSEHAT","sources":[]}`)
	tb.add("operator laptop", "edit the hub stream (drop its sources)", no, got, d)
	{
		_, rc, err := mqttConnect(mqttAddr, "laptop-mqtt", "laptop", jwtOf(t, creds("laptop")))
		tb.add("operator laptop", "log in over MQTT (JWT as password)", no, err == nil && rc == 0, fmt.Sprintf("CONNACK %d %v", rc, err))
	}
	got, d = reaches(t, admin, pi1S+".led.frame", wait, pubVia(web))
	tb.add("web page", "ask pi1 for its frame", yes, got, d)
	got, d = api(web, "$JS.hub.API.STREAM.DELETE.SENSEHAT", "")
	tb.add("web page", "delete the hub stream", no, got, d)
	got, d = reaches(t, admin, pi1S+".led.text", refuse, pubVia(reader))
	tb.add("reader", "command pi1 (led.text)", no, got, d)
	got, d = reaches(t, admin, "sensehat.all.led.clear", refuse, pubVia(reader))
	tb.add("reader", "command every device (all.led.clear)", no, got, d)
	got, d = receives(t, reader, pi1S+".sensors.env", "", pi1, wait)
	tb.add("reader", "read pi1's readings", yes, got, d)
	got, d = api(reader, "$JS.hub.API.CONSUMER.CREATE.SENSEHAT", `{"stream_name":"SENSEHAT","config":{"deliver_policy":"all","ack_policy":"none","inactive_threshold":5000000000}}`)
	tb.add("reader", "read history (consumer on the hub stream)", yes, got && !strings.Contains(d, `"error"`), d)
	got, d = api(reader, "$JS.hub.API.STREAM.DELETE.SENSEHAT", "")
	tb.add("reader", "delete the hub stream", no, got, d)

	// --- Home Assistant, over MQTT with its JWT as password
	haJWT := jwtOf(t, creds("ha"))
	mqttPub := func(topic string) func(string, []byte) error {
		return func(_ string, p []byte) error {
			m, rc, err := mqttConnect(mqttAddr, "ha-probe", "ha", haJWT)
			if err != nil {
				return err
			}
			if rc != 0 {
				return fmt.Errorf("CONNACK %d", rc)
			}
			defer m.c.Close()
			if err := m.publish(topic, p); err != nil {
				return err
			}
			time.Sleep(50 * time.Millisecond)
			return nil
		}
	}
	{
		m, rc, err := mqttConnect(mqttAddr, "ha-login", "ha", haJWT)
		tb.add("homeassistant", "log in over MQTT", yes, err == nil && rc == 0, fmt.Sprintf("CONNACK %d %v", rc, err))
		if err == nil && rc == 0 {
			code, err := m.subscribe("sensehat/+/sensors/+")
			tb.add("homeassistant", "subscribe to readings", yes, err == nil && code == 0, fmt.Sprintf("SUBACK %#x %v", code, err))
			code, err = m.subscribe("sensehat/+/led/text")
			tb.add("homeassistant", "subscribe to every device's commands", no, err == nil && code != 0x80, fmt.Sprintf("SUBACK %#x %v", code, err))
			m.c.Close()
		}
	}
	got, d = reaches(t, admin, pi1S+".led.text", wait, mqttPub("sensehat/pi1/led/text"))
	tb.add("homeassistant", "command pi1 (in the fleet)", yes, got, d)
	{
		big := func(_ string, p []byte) error {
			return mqttPub("sensehat/pi1/led/text")("", append(p, make([]byte, fleetid.AccountPayload+1)...))
		}
		got, d = reaches(t, admin, pi1S+".led.text", refuse, big)
		tb.add("homeassistant", fmt.Sprintf("publish more than %d bytes over MQTT (retained store bound)", fleetid.AccountPayload), no, got, d)
		dev, err := tryDial(hubURL, creds("pi2"))
		if err != nil {
			t.Fatal(err)
		}
		got, d = reaches(t, admin, "sensehat.pi2.sensors.env", refuse, func(subj string, p []byte) error {
			return pubVia(dev)(subj, append(p, make([]byte, fleetid.DevicePayload+1)...))
		})
		dev.Close()
		tb.add("device pi2", fmt.Sprintf("publish a message of more than %d bytes", fleetid.DevicePayload), no, got, d)
	}
	got, d = reaches(t, admin, "sensehat.pi9.led.text", refuse, mqttPub("sensehat/pi9/led/text"))
	tb.add("homeassistant", "command pi9 (not in the fleet)", no, got, d)
	got, d = reaches(t, admin, pi1S+".led.pixels", refuse, mqttPub("sensehat/pi1/led/pixels"))
	tb.add("homeassistant", "send pi1 pixels (not an HA entity)", no, got, d)
	got, d = reaches(t, admin, "homeassistant.device.sensehat_pi1.config", refuse, mqttPub("homeassistant/device/sensehat_pi1/config"))
	tb.add("homeassistant", "write a device's discovery", no, got, d)
	got, d = reaches(t, admin, "otherha.device.x.config", refuse, mqttPub("otherha/device/x/config"))
	tb.add("homeassistant", "write discovery for another prefix", no, got, d)
	{
		_, err := tryDial(hubURL, creds("ha"))
		tb.add("homeassistant", "log in over NATS (not MQTT)", no, err == nil, fmt.Sprint(err))
		_, rc, err := mqttConnect(mqttAddr, "pi1-mqtt", "pi1", jwtOf(t, creds("pi1")))
		tb.add("device pi1", "log in over MQTT (JWT as password)", no, err == nil && rc == 0, fmt.Sprintf("CONNACK %d %v", rc, err))
	}

	// --- anonymous, on every port of the hub
	{
		_, err := tryDial(hubURL, "")
		tb.add("anonymous", "connect to the hub's client port", no, err == nil, fmt.Sprint(err))
		_, rc, err := mqttConnect(mqttAddr, "anon", "", "")
		tb.add("anonymous", "connect to the hub's MQTT port", no, err == nil && rc == 0, fmt.Sprintf("CONNACK %d %v", rc, err))
		cab, rerr := os.ReadFile(ca)
		if rerr != nil {
			t.Fatal(rerr)
		}
		line, err := leafLogin(fmt.Sprintf("127.0.0.1:%d", leafPort), cab)
		tb.add("anonymous", "log in to the hub's leaf node port", no, err == nil && line == "PONG", line+" "+fmt.Sprint(err))
	}

	// --- a device added and one revoked while the hub runs
	{
		start := time.Now()
		out := runCLI(t, "fleet", "add", "pi4", "--dir", fdir)
		c, err := tryDial(hubURL, creds("pi4"))
		tb.add("device pi4", "connect right after fleet add", yes, err == nil && time.Since(start) < 5*time.Second, fmt.Sprintf("%v after %v", err, time.Since(start).Round(time.Millisecond)))
		if err == nil {
			c.Close()
		}
		got, d = reaches(t, admin, "sensehat.pi4.led.text", wait, mqttPub("sensehat/pi4/led/text"))
		tb.add("homeassistant", "command pi4 after fleet add", yes, got, d)
		tb.add("hub stream", "sources pi4 after fleet add", yes, strings.Contains(out, "pi1 pi2 pi3 pi4 pi5"), strings.TrimSpace(out))
	}
	{
		got, d := reaches(t, admin, "sensehat.pi3.sensors.env", wait, pubVia(pi3))
		tb.add("device pi3", "publish its reading before fleet remove", yes, got, d)
		got, d = reaches(t, admin, "sensehat.pi3.sensors.env", wait, pubVia(pi3Leaf))
		tb.add("pi3 leaf", "publish its reading before fleet remove", yes, got, d)
		// The Pi keeps its copy of the credentials after fleet remove.
		kept := filepath.Join(root, "pi3-kept.creds")
		b, err := os.ReadFile(creds("pi3"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(kept, b, 0o600); err != nil {
			t.Fatal(err)
		}
		closed := make(chan time.Time, 1)
		pi3.SetClosedHandler(func(*nats.Conn) { closed <- time.Now() })
		start := time.Now()
		out := runCLI(t, "fleet", "remove", "pi3", "--dir", fdir)
		select {
		case at := <-closed:
			tb.add("device pi3", "connection closed within 5 s of fleet remove", yes, true, fmt.Sprintf("closed after %v", at.Sub(start).Round(time.Millisecond)))
		case <-time.After(5 * time.Second):
			tb.add("device pi3", "connection closed within 5 s of fleet remove", yes, false, "still open after 5s")
		}
		got, d = reaches(t, admin, "sensehat.pi3.sensors.env", 2*time.Second, pubVia(pi3Leaf))
		tb.add("pi3 leaf", "publish after fleet remove", no, got, d)
		_, err = tryDial(hubURL, kept)
		tb.add("device pi3", "connect after fleet remove", no, err == nil, fmt.Sprint(err))
		got, d = reaches(t, admin, "sensehat.pi3.led.text", refuse, mqttPub("sensehat/pi3/led/text"))
		tb.add("homeassistant", "command pi3 after fleet remove", no, got, d)
		tb.add("hub stream", "stops sourcing pi3 after fleet remove", yes, strings.Contains(out, "sources 4 device(s): pi1 pi2 pi4 pi5") && hubSources(t, admin) == "SENSEHAT_pi1 SENSEHAT_pi2 SENSEHAT_pi4 SENSEHAT_pi5", hubSources(t, admin))
		tb.add("homeassistant", "pi3's device removed (empty discovery)", yes, strings.Contains(out, "homeassistant/device/sensehat_pi3/config"), strings.TrimSpace(out))
	}

	tb.report()
	// Nothing refused has changed the hub stream.
	hjs, _ := jetstream.NewWithDomain(admin.Conn, "hub")
	c2, cancel2 := context.WithTimeout(ctx, 3*time.Second)
	defer cancel2()
	if _, err := hjs.Stream(c2, "SENSEHAT"); err != nil {
		t.Errorf("the hub stream after all the refusals: %v", err)
	}
}

// jwtOf is the user JWT in a credentials file: Home Assistant's MQTT
// password.
func jwtOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	token, err := jwt.ParseDecoratedJWT(b)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// findData reads every message of st on filter and names the first whose
// data is want ("" if none).
func findData(t *testing.T, st jetstream.Stream, filter, want string) string {
	t.Helper()
	for _, m := range readAll(t, st, filter) {
		if subject, data, _ := strings.Cut(m, " "); data == want {
			return subject + " holds it"
		}
	}
	return ""
}

// hubSources names the streams the hub stream sources, as the hub says.
func hubSources(t *testing.T, admin *client) string {
	t.Helper()
	js, err := jetstream.NewWithDomain(admin.Conn, "hub")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "SENSEHAT")
	if err != nil {
		t.Fatal(err)
	}
	// one source per reading subject of each device: name each stream once
	var names []string
	for _, s := range st.CachedInfo().Config.Sources {
		if len(names) == 0 || names[len(names)-1] != s.Name {
			names = append(names, s.Name)
		}
	}
	return strings.Join(names, " ")
}
