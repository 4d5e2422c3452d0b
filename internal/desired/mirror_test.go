package desired

import (
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

// The mirror lags the bucket and never leads it: what it holds at a
// revision no newer than the one in force (the state directory's copy,
// or the bucket's) is not applied; a newer one is, as "mirror".
func TestMirrorNeverGoesBack(t *testing.T) {
	m := &matrix{}
	a, err := New(Opts{Subjects: wire.Subjects{Prefix: "sensehat", ID: "pi1"}, Display: m, Domain: "hub", Mirror: "sensehat-pi1"})
	if err != nil {
		t.Fatal(err)
	}
	a.Load(Copy{Device: Entry{Revision: 5, Value: `{"rotation":90}`}})
	a.take("pi1", 3, []byte(`{"rotation":180}`), "mirror")
	a.take("pi1", 5, []byte(`{"rotation":270}`), "mirror")
	if s := a.State(); s.Revision != 5 || s.Source != "local copy" || m.Status().Orientation.Rotation != 90 {
		t.Errorf("an older mirror applied: revision %d from %q, rotation %d", s.Revision, s.Source, m.Status().Orientation.Rotation)
	}
	a.take("pi1", 7, []byte(`{"rotation":180}`), "mirror")
	a.take(wire.DesiredDefaultKey, 2, []byte(`{"low_light":true}`), "mirror")
	if s := a.State(); s.Revision != 7 || s.DefaultRevision != 2 || s.Source != "mirror" || m.Status().Orientation.Rotation != 180 || !m.Status().LowLight {
		t.Errorf("the newer mirror: revision %d/%d from %q, rotation %d, low light %v", s.Revision, s.DefaultRevision, s.Source, m.Status().Orientation.Rotation, m.Status().LowLight)
	}
	// deleted on the hub since: the key's settings fall back
	a.take("pi1", 8, nil, "mirror")
	if s := a.State(); s.Revision != 8 || s.Desired.Rotation != nil {
		t.Errorf("a deletion mirrored: revision %d, desired %+v", s.Revision, s.Desired.Values())
	}
}

// A mirror is of one key, with one filter subject (so the consumer-create
// request names the key), through the hub's API, delivered in the
// device's own namespace.
func TestMirrorConfig(t *testing.T) {
	c := MirrorConfig("pi1", wire.DesiredDefaultKey, "hub")
	m := c.Mirror
	if c.Name != "SENSEHAT-DESIRED-_default" || len(c.Subjects) != 0 || len(c.Sources) != 0 || m == nil ||
		m.Name != "KV_sensehat_desired" || m.FilterSubject != "$KV.sensehat_desired._default" || len(m.SubjectTransforms) != 0 ||
		m.External == nil || m.External.APIPrefix != "$JS.hub.API" || m.External.DeliverPrefix != "_SENSEHAT_DESIRED.pi1" {
		t.Errorf("mirror config %+v, mirror %+v", c, m)
	}
	if _, err := New(Opts{Subjects: wire.Subjects{Prefix: "sensehat", ID: "pi1"}, Display: &matrix{}, Mirror: "sensehat-pi1"}); err == nil {
		t.Error("a mirror without the bucket's domain accepted")
	}
}
