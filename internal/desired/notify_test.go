package desired

import (
	"slices"
	"sync"
	"testing"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/wire"
)

// matrix is a Display that keeps what it was set to.
type matrix struct {
	mu sync.Mutex
	st display.Status
}

func (m *matrix) SetConfig(c display.Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.Rotation != nil {
		m.st.Orientation.Rotation = *c.Rotation
	}
	if c.LowLight != nil {
		m.st.LowLight = *c.LowLight
	}
	return nil
}

func (m *matrix) Status() display.Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}

// The Pi's copy and a notice that overtook a read lag the bucket and
// never lead it: what they hold at a revision no newer than the one in
// force (the state directory's copy, or the bucket's) is not applied; a
// newer one is.
func TestCopyNeverGoesBack(t *testing.T) {
	m := &matrix{}
	a, err := New(Opts{Subjects: wire.Subjects{Prefix: "sensehat", ID: "pi1"}, Display: m, Domain: "hub", Mirror: "sensehat-pi1"})
	if err != nil {
		t.Fatal(err)
	}
	a.Load(Copy{Device: Entry{Revision: 5, Value: `{"rotation":90}`}})
	a.take("pi1", 3, []byte(`{"rotation":180}`), "pi stream", true)
	a.take("pi1", 5, []byte(`{"rotation":270}`), "pi stream", true)
	if s := a.State(); s.Revision != 5 || s.Source != "local copy" || m.Status().Orientation.Rotation != 90 {
		t.Errorf("an older copy applied: revision %d from %q, rotation %d", s.Revision, s.Source, m.Status().Orientation.Rotation)
	}
	a.take("pi1", 7, []byte(`{"rotation":180}`), "pi stream", true)
	a.take(wire.DesiredDefaultKey, 2, []byte(`{"low_light":true}`), "pi stream", true)
	if s := a.State(); s.Revision != 7 || s.DefaultRevision != 2 || s.Source != "pi stream" || m.Status().Orientation.Rotation != 180 || !m.Status().LowLight {
		t.Errorf("the newer copy: revision %d/%d from %q, rotation %d, low light %v", s.Revision, s.DefaultRevision, s.Source, m.Status().Orientation.Rotation, m.Status().LowLight)
	}
	// deleted on the hub since: the key's settings fall back
	a.take("pi1", 8, nil, "bucket", true)
	if s := a.State(); s.Revision != 8 || s.Desired.Rotation != nil || s.Source != "bucket" {
		t.Errorf("a deletion noticed: revision %d from %q, desired %+v", s.Revision, s.Source, s.Desired.Values())
	}
	// a read of the bucket is in force even when older (made anew)
	a.take("pi1", 2, []byte(`{"rotation":90}`), "bucket", false)
	if s := a.State(); s.Revision != 2 || m.Status().Orientation.Rotation != 90 {
		t.Errorf("a bucket made anew: revision %d, rotation %d", s.Revision, m.Status().Orientation.Rotation)
	}
}

// The hub's notice stream is a mirror of the bucket's stream that
// republishes one-token keys under the fleet's prefix; the Pi's copy
// keeps the device's and the default key's subjects, one message each.
func TestNotifyAndCopyConfig(t *testing.T) {
	n := NotifyConfig("acme.sh")
	if n.Name != "SENSEHAT_DESIRED" || n.Mirror == nil || n.Mirror.Name != "KV_sensehat_desired" || len(n.Subjects) != 0 ||
		n.RePublish == nil || n.RePublish.Source != "$KV.sensehat_desired.*" || n.RePublish.Destination != "acme.sh.{{wildcard(1)}}.desired" || n.RePublish.HeadersOnly {
		t.Errorf("notice stream %+v, republish %+v", n, n.RePublish)
	}
	c := CopyConfig(wire.Subjects{Prefix: "acme.sh", ID: "pi1"})
	if c.Name != "SENSEHAT_DESIRED_COPY" || c.Mirror != nil || len(c.Sources) != 0 || c.MaxMsgsPerSubject != 1 || !c.AllowRollup ||
		!slices.Equal(c.Subjects, []string{"acme.sh.pi1.desired", "acme.sh._default.desired", "acme.sh.pi1.desired.pi1", "acme.sh.pi1.desired._default"}) {
		t.Errorf("copy stream %+v", c)
	}
	if _, err := New(Opts{Subjects: wire.Subjects{Prefix: "sensehat", ID: "pi1"}, Display: &matrix{}, Mirror: "sensehat-pi1"}); err == nil {
		t.Error("a copy without the bucket's domain accepted")
	}
}
