package desired

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// On a real server (the pinned nats-server): every kind of write of the
// bucket reaches the republish subjects with its revision, and the Pi's
// copy stream keeps it, revision-checked writes included (they carry
// Nats-Expected-Last-Subject-Sequence, which the notice stream, a mirror,
// drops: the bucket's own republish would pass it on, and the copy would
// refuse the message against its own sequence numbers). Another device's
// key is republished on its own subject, which the copy does not keep.
func TestNoticesReachTheCopy(t *testing.T) {
	o := testutil.DefaultOptions()
	o.JetStream, o.StoreDir = true, t.TempDir()
	srv := testutil.StartServer(t, o)
	nc := testutil.Connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := wire.Subjects{Prefix: "sensehat", ID: "pi1"}
	kv, err := OpenBucket(ctx, nc, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureNotify(ctx, nc, "", s.Prefix); err != nil {
		t.Fatal(err)
	}
	if err := EnsureNotify(ctx, nc, "", s.Prefix); err != nil {
		t.Fatalf("made twice: %v", err)
	}
	js, err := JetStream(nc, "")
	if err != nil {
		t.Fatal(err)
	}
	// a mirror an earlier sensehatd made goes: it asks for a consumer
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "SENSEHAT-DESIRED-pi1", Mirror: &jetstream.StreamSource{Name: "KV_" + wire.DesiredBucket, FilterSubject: keySubject("pi1")}}); err != nil {
		t.Fatal(err)
	}
	if err := EnsureCopy(ctx, js, s); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Stream(ctx, "SENSEHAT-DESIRED-pi1"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("the earlier mirror is still there: %v", err)
	}
	sub, err := nc.SubscribeSync(s.Desired())
	if err != nil {
		t.Fatal(err)
	}
	// pi2's writes move the bucket's sequence away from the copy's
	if _, err := Set(ctx, kv, "pi2", 0, []string{"rotation=90"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Set(ctx, kv, "pi1", 0, []string{"rotation=180"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Set(ctx, kv, "pi2", 0, []string{"flip=h"}); err != nil {
		t.Fatal(err)
	}
	rev, err := Set(ctx, kv, "pi1", 0, []string{"rotation=270"}) // revision-checked
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Set(ctx, kv, wire.DesiredDefaultKey, 0, []string{"low_light=true"}); err != nil {
		t.Fatal(err)
	}
	var last notice
	for last.rev != rev {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("no notice of revision %d: %v", rev, err)
		}
		n, ok := parseNotice("pi1", m.Header, m.Data)
		if !ok {
			t.Fatalf("a notice without a revision: %v", m.Header)
		}
		last = n
	}
	var d map[string]int
	if err := json.Unmarshal(last.value, &d); err != nil || d["rotation"] != 270 {
		t.Errorf("the notice of revision %d holds %q", rev, last.value)
	}
	kept := func(key string, want uint64) (value []byte) {
		t.Helper()
		testutil.WaitFor(t, 5*time.Second, "the copy keeps "+key, func() bool {
			r, v, ok, err := ReadCopy(ctx, js, s, key)
			value = v
			return err == nil && ok && r == want
		})
		return value
	}
	if v := kept("pi1", rev); string(v) != string(last.value) {
		t.Errorf("the copy holds %q", v)
	}
	e, err := kv.Get(ctx, wire.DesiredDefaultKey)
	if err != nil {
		t.Fatal(err)
	}
	kept(wire.DesiredDefaultKey, e.Revision())
	if _, _, ok, err := ReadCopy(ctx, js, s, "pi2"); ok || err != nil {
		t.Errorf("the copy keeps pi2's key (%v, %v)", ok, err)
	}
	// deleted: the copy holds the deletion at its revision
	if err := kv.Delete(ctx, "pi1"); err != nil {
		t.Fatal(err)
	}
	// the write after the default key's
	if v := kept("pi1", e.Revision()+1); v != nil {
		t.Errorf("a deleted key's copy holds %q", v)
	}
	// what the daemon stores itself reads back the same
	if err := StoreCopy(ctx, js, s, "pi1", 40, []byte(`{"rotation":90}`)); err != nil {
		t.Fatal(err)
	}
	if v := kept("pi1", 40); string(v) != `{"rotation":90}` {
		t.Errorf("the stored copy holds %q", v)
	}
	if err := StoreCopy(ctx, js, s, wire.DesiredDefaultKey, 41, nil); err != nil {
		t.Fatal(err)
	}
	if v := kept(wire.DesiredDefaultKey, 41); v != nil {
		t.Errorf("the stored deletion holds %q", v)
	}
}

// Why the notices come from a mirror: the bucket's own republish passes on
// the writer's Nats-Expected-Last-Subject-Sequence, and a stream on the
// Pi that keeps the republished messages checks it against its own
// sequence numbers and refuses the message (the pinned nats-server). The
// revision-checked write, the one sensehat config and the daemon's
// write-back make, never reaches such a copy.
func TestBucketsOwnRepublishRefusedByACopy(t *testing.T) {
	o := testutil.DefaultOptions()
	o.JetStream, o.StoreDir = true, t.TempDir()
	srv := testutil.StartServer(t, o)
	nc := testutil.Connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, err := JetStream(nc, "")
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "probe",
		RePublish: &jetstream.RePublish{Source: "$KV.probe.*", Destination: "probe.{{wildcard(1)}}.desired"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PROBE_COPY", Subjects: []string{"probe.pi1.desired"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "pi2", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	first, err := kv.Create(ctx, "pi1", []byte(`{"rotation":90}`))
	if err != nil {
		t.Fatal(err)
	}
	checked, err := kv.Update(ctx, "pi1", []byte(`{"rotation":180}`), first)
	if err != nil {
		t.Fatal(err)
	}
	// a plain put, republished after the update: once it is in the copy,
	// so would the update be
	last, err := kv.Put(ctx, "pi1", []byte(`{"rotation":270}`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "PROBE_COPY")
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "the plain put in the copy", func() bool {
		m, err := st.GetLastMsgForSubject(ctx, "probe.pi1.desired")
		return err == nil && m.Header.Get(wire.DesiredRevisionHeader) == strconv.FormatUint(last, 10)
	})
	var revs []string
	for seq := uint64(1); ; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			break
		}
		revs = append(revs, m.Header.Get(wire.DesiredRevisionHeader))
	}
	if want := []string{strconv.FormatUint(first, 10), strconv.FormatUint(last, 10)}; !slices.Equal(revs, want) {
		t.Errorf("the copy holds revisions %v, want %v without the revision-checked %d: if nats-server now takes it, the notice stream need not be a mirror", revs, want, checked)
	}
}
