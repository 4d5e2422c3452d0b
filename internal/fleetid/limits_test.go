package fleetid_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/fleetid"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// No device can crowd out another: on a hub configured by the tool, with
// two Pis behind their own leaf nodes (Debian's nats-server when it is
// installed), device pa floods the hub with more bytes than the whole hub
// stream may hold, on its own reading subjects, on subjects it invents
// under its own id and with messages larger than a reading; every reading
// pb sent before is still in the hub stream afterwards, and nothing but
// the contract's reading subjects is. The per-subject limit is scaled
// down (50 instead of a day of motion) so that the flood takes seconds;
// the hub's own accounting (nats-server's stream state) is the judge.
func TestNoDeviceCrowdsOutAnother(t *testing.T) {
	testutil.SkipShort(t, "starts nats-server processes")
	const perSubject = 50
	defer fleetid.SetMsgsPerSubject(perSubject)()
	ctx := context.Background()
	hubBin := pinnedServer(t)
	if err := fleetid.CheckHubBinary(ctx, hubBin); err != nil {
		t.Fatalf("the pinned nats-server: %v", err)
	}
	piBin, _ := piServer(t)

	root := t.TempDir()
	fdir := filepath.Join(root, "fleet")
	clientPort, leafPort := testutil.FreePort(t), testutil.FreePort(t)
	hubURL := fmt.Sprintf("nats://127.0.0.1:%d", clientPort)
	leafURL := fmt.Sprintf("tls://127.0.0.1:%d", leafPort)
	runCLI(t, "fleet", "init", fdir, "--store", filepath.Join(root, "hub-store"),
		"--listen", fmt.Sprintf("127.0.0.1:%d", clientPort), "--leaf-listen", fmt.Sprintf("127.0.0.1:%d", leafPort),
		"--mqtt-listen", "", "--http", fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)),
		"--hub-url", hubURL, "--leaf-host", "127.0.0.1", "--nats-server", hubBin)
	ids := []string{"pa", "pb"}
	for _, id := range ids {
		runCLI(t, "fleet", "add", id, "--dir", fdir, "--offline")
	}
	runCLI(t, "fleet", "creds", "admin", "alice", "--dir", fdir, "--offline")
	f, err := fleetid.Open(fdir)
	if err != nil {
		t.Fatal(err)
	}
	startServer(t, hubBin, filepath.Join(fdir, "hub", fleetid.HubConf), fmt.Sprintf("127.0.0.1:%d", clientPort))

	// Each Pi: its leaf node as the tool configures it, and its own stream.
	// pa's owner makes it hold everything under pa's id, invented subjects
	// included; pb's is the shipped pi-stream.json's.
	pis := map[string]*client{}
	piStreams := map[string][]string{
		"pa": {"sensehat.pa.>"},
		"pb": {"sensehat.pb.sensors.>", "sensehat.pb.joystick.>"},
	}
	for _, id := range ids {
		port := testutil.FreePort(t)
		conf, err := f.LeafConf(id, leafURL, f.CredsPath(id), filepath.Join(fdir, "hub", fleetid.LeafCA),
			filepath.Join(root, id+"-store"), fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, id+".conf")
		if err := os.WriteFile(p, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		startServer(t, piBin, p, fmt.Sprintf("127.0.0.1:%d", port))
		c := dial(t, fmt.Sprintf("nats://127.0.0.1:%d", port), f.CredsPath(id))
		js, err := jetstream.NewWithDomain(c.Conn, fleetid.DeviceDomain(id))
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = js.CreateStream(cctx, jetstream.StreamConfig{Name: "SENSEHAT_" + id, Subjects: piStreams[id], Storage: jetstream.FileStorage, MaxBytes: 256 << 20})
		cancel()
		if err != nil {
			t.Fatalf("%s's own stream: %v", id, err)
		}
		pis[id] = c
	}
	// The sources start once the hub reaches each Pi's stream through its
	// leaf node: wait for that, or a source may first fail and back off.
	for _, id := range ids {
		dev := dial(t, hubURL, f.CredsPath(id), nats.CustomInboxPrefix("_INBOX_"+id))
		var state string
		waitFor(t, id+"'s stream through its leaf node", func() bool {
			m, err := dev.Request("$JS."+fleetid.DeviceDomain(id)+".API.STREAM.INFO.SENSEHAT_"+id, nil, time.Second)
			if err != nil {
				state = err.Error()
				return false
			}
			state = string(m.Data)
			return strings.Contains(state, `"SENSEHAT_`+id+`"`)
		}, &state)
		dev.Close()
	}
	runCLI(t, "fleet", "push", "--dir", fdir)
	admin := dial(t, hubURL, f.CredsPath("alice"))
	hjs, err := jetstream.NewWithDomain(admin.Conn, "hub")
	if err != nil {
		t.Fatal(err)
	}
	hub, err := hjs.Stream(ctx, "SENSEHAT")
	if err != nil {
		t.Fatal(err)
	}
	cfg := hub.CachedInfo().Config
	if cfg.MaxMsgsPerSubject != perSubject || cfg.MaxMsgSize != fleetid.MaxReadingSize || cfg.MaxBytes != fleetid.HubMaxBytes("sensehat", ids) {
		t.Fatalf("hub stream limits: per subject %d, message size %d, max_bytes %d; want %d, %d, %d",
			cfg.MaxMsgsPerSubject, cfg.MaxMsgSize, cfg.MaxBytes, perSubject, fleetid.MaxReadingSize, fleetid.HubMaxBytes("sensehat", ids))
	}

	// pb's readings: one of each subject, and the largest reading the
	// daemon can send (motion with every field at the sensors' extremes,
	// with a Nats-Msg-Id as long as the daemon's).
	pb := pis["pb"]
	var pbSent []string
	pbSubjects := fleetid.ReadingSubjects("sensehat", "pb")
	for i, subj := range pbSubjects {
		data := fmt.Sprintf(`{"pb":%d}`, i)
		if err := pb.Publish(subj, []byte(data)); err != nil {
			t.Fatal(err)
		}
		pbSent = append(pbSent, subj+" "+data)
	}
	big := wire.AppendMotion(nil, &wire.Motion{
		AccelG: [3]float64{-16, -16, -16}, GyroDPS: [3]float64{-2000, -2000, -2000},
		MagUT: [3]float64{-4912, -4912, -4912}, HasMag: true, RollDeg: 359.99, PitchDeg: -359.99,
		HasYaw: true, YawDeg: 359.99, CompassDeg: 359.99, HeadingDeg: 359.99,
		Time: time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC),
	})
	m := nats.NewMsg("sensehat.pb.sensors.motion")
	m.Data = big
	m.Header.Set(nats.MsgIdHdr, "pb-0123456789ab-motion-18446744073709551615")
	if err := pb.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	pbSent = append(pbSent, m.Subject+" "+string(big))
	if err := pb.Flush(); err != nil {
		t.Fatal(err)
	}
	var pbGot string
	waitFor(t, "pb's readings in the hub stream", func() bool {
		n := countOf(t, hub, "sensehat.pb.>")
		pbGot = fmt.Sprintf("%d of %d", n, len(pbSent))
		return n == uint64(len(pbSent))
	}, &pbGot)

	// The flood: on each of pa's reading subjects four times its limit of
	// messages of nearly the largest size, on invented subjects under its
	// id, and, last, larger messages than a reading.
	pa := pis["pa"]
	filler := strings.Repeat("x", fleetid.MaxReadingSize-300)
	var sent int
	last := map[string]string{}
	for n := 0; n < 4*perSubject; n++ {
		for _, subj := range fleetid.ReadingSubjects("sensehat", "pa") {
			data := fmt.Sprintf(`{"n":%d,"pad":%q}`, n, filler)
			if err := pa.Publish(subj, []byte(data)); err != nil {
				t.Fatal(err)
			}
			sent += len(data)
			last[subj] = data
		}
		for _, subj := range []string{"sensehat.pa.sensors.invented", fmt.Sprintf("sensehat.pa.joystick.k%d", n), fmt.Sprintf("sensehat.pa.x%d.y", n)} {
			if err := pa.Publish(subj, []byte(filler)); err != nil {
				t.Fatal(err)
			}
			sent += len(filler)
		}
	}
	if err := pa.Flush(); err != nil {
		t.Fatal(err)
	}
	if max := hub.CachedInfo().Config.MaxBytes; int64(sent) <= max {
		t.Fatalf("the flood sent %d bytes, not more than the hub stream's max_bytes %d: it proves nothing", sent, max)
	}
	// pa's newest reading of each subject arrives: the flood is through.
	var behind string
	waitFor(t, "pa's flood in the hub stream", func() bool {
		for subj, data := range last {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			m, err := hub.GetLastMsgForSubject(cctx, subj)
			cancel()
			if err != nil || string(m.Data) != data {
				behind = subj
				if err == nil {
					behind += fmt.Sprintf(" at %.12q", m.Data)
				}
				return false
			}
		}
		return true
	}, &behind)
	// Too large for a reading: refused by the hub stream (the source of
	// that one subject stops at it, see docs/fleet-identity.md).
	huge := strings.Repeat("y", 4*fleetid.MaxReadingSize)
	if err := pa.Publish("sensehat.pa.joystick.middle", []byte(huge)); err != nil {
		t.Fatal(err)
	}
	_ = pa.Flush()
	time.Sleep(2 * time.Second)

	info, err := hub.Info(ctx, jetstream.WithSubjectFilter(">"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hub stream after the flood: %d messages, %d bytes of max_bytes %d, %d subjects; pa sent %d bytes",
		info.State.Msgs, info.State.Bytes, info.Config.MaxBytes, len(info.State.Subjects), sent)
	allowed := append(fleetid.ReadingSubjects("sensehat", "pa"), pbSubjects...)
	for subj, n := range info.State.Subjects {
		if !slices.Contains(allowed, subj) {
			t.Errorf("the hub stream holds %d message(s) on %s, which is no reading subject of the fleet", n, subj)
		}
		if strings.HasPrefix(subj, "sensehat.pa.") && n != perSubject {
			t.Errorf("%s holds %d messages, want its limit %d", subj, n, perSubject)
		}
	}
	if int64(info.State.Bytes) > info.Config.MaxBytes {
		t.Errorf("the hub stream holds %d bytes, more than its max_bytes %d", info.State.Bytes, info.Config.MaxBytes)
	}
	if got := countOf(t, hub, "sensehat.pa.>"); got != uint64(perSubject*len(last)) {
		t.Errorf("pa holds %d messages, want %d subjects × %d", got, len(last), perSubject)
	}
	// Every earlier reading of pb is still there.
	got := map[string]bool{}
	for _, m := range readAll(t, hub, "sensehat.pb.>") {
		got[m] = true
	}
	for _, s := range pbSent {
		if !got[s] {
			t.Errorf("pb's reading %.80q is gone from the hub stream after pa's flood", s)
		}
	}
	for _, m := range readAll(t, hub, "sensehat.pa.joystick.middle") {
		if strings.Contains(m, huge) {
			t.Errorf("the hub stream took a message of %d bytes, above MaxReadingSize %d", len(huge), fleetid.MaxReadingSize)
		}
	}
}

// waitFor polls cond for up to 90 s (the machine may be shared) and
// says how far it got (*state) if it never holds.
func waitFor(t *testing.T, what string, cond func() bool, state *string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 90s (%s)", what, *state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// countOf is how many messages st holds on filter, as the hub says.
func countOf(t *testing.T, st jetstream.Stream, filter string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

// readAll returns "subject data" of every message of st on filter.
func readAll(t *testing.T, st jetstream.Stream, filter string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatalf("reading the hub stream: %v", err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for n := int(info.NumPending); n > 0; {
		batch, err := c.Fetch(n, jetstream.FetchMaxWait(3*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			out = append(out, m.Subject()+" "+string(m.Data()))
		}
		if got == 0 {
			break
		}
		n -= got
	}
	return out
}
