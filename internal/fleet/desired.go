package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/desired"
	"github.com/sensehat/sensehat/internal/webguard"
	"github.com/sensehat/sensehat/internal/wire"
)

// mountDesired adds the desired-state view (docs/desired-state.md):
//
//	GET  /fleet/desired  every device's desired state against its reported
//	                     state, the ones that differ marked
//	POST /fleet/desired  key=<id>|_default, revision=N (as read),
//	                     set=<setting>=<value>..., unset=<setting>...:
//	                     written only if the key is still at revision N
//	                     (409 and nothing written otherwise)
func (s *Server) mountDesired(mux *http.ServeMux) {
	mux.HandleFunc("GET /fleet/desired", s.getDesired)
	mux.HandleFunc("POST /fleet/desired", s.postDesired)
}

// desiredKey is one key of the bucket as the page shows it.
type desiredKey struct {
	Revision uint64                     `json:"revision"`
	Settings map[string]json.RawMessage `json:"settings"`
	Problem  string                     `json:"problem,omitempty"`
}

// desiredRow is one device: its key, what it should run (its key over the
// default key), what it reports running, and the settings that differ.
type desiredRow struct {
	ID       string               `json:"id"`
	Own      desiredKey           `json:"own"`
	Desired  map[string]string    `json:"desired"`
	InForce  map[string]string    `json:"in_force,omitempty"`
	Applied  uint64               `json:"applied_revision"`
	Differs  []desired.Difference `json:"differs"`
	Reported bool                 `json:"reported"`
	Problem  string               `json:"problem,omitempty"`
}

// desiredView is the reply of GET /fleet/desired.
type desiredView struct {
	Fields  []string     `json:"fields"`
	Default desiredKey   `json:"default"`
	Devices []desiredRow `json:"devices"`
	Problem string       `json:"problem,omitempty"`
}

func (s *Server) getDesired(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	view := desiredView{Fields: wire.DesiredFields, Devices: []desiredRow{}}
	kv, err := desired.OpenBucket(ctx, s.nc, "", false)
	if err != nil {
		view.Problem = err.Error()
		webguard.JSON(w, http.StatusOK, view)
		return
	}
	view.Default = readDesiredKey(ctx, kv, wire.DesiredDefaultKey)
	ids := s.present()
	rows := make([]desiredRow, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { rows[i] = s.desiredRow(ctx, kv, id) })
	}
	wg.Wait()
	view.Devices = rows
	webguard.JSON(w, http.StatusOK, view)
}

func readDesiredKey(ctx context.Context, kv jetstream.KeyValue, key string) desiredKey {
	doc, rev, err := desired.ReadKey(ctx, kv, key)
	k := desiredKey{Revision: rev, Settings: doc}
	if err != nil {
		k.Problem = err.Error()
	}
	if k.Settings == nil {
		k.Settings = map[string]json.RawMessage{}
	}
	return k
}

func (s *Server) desiredRow(ctx context.Context, kv jetstream.KeyValue, id string) desiredRow {
	row := desiredRow{ID: id, Own: readDesiredKey(ctx, kv, id), Differs: []desired.Difference{}}
	want, _, err := desired.For(ctx, kv, id)
	if err != nil {
		row.Problem = err.Error()
		return row
	}
	row.Desired = want.Values()
	m, err := s.nc.RequestWithContext(ctx, wire.Subjects{Prefix: s.opts.Prefix, ID: id}.Status(), nil)
	if err != nil {
		row.Problem = "no status: " + err.Error()
		return row
	}
	var st wire.Status
	var rs wire.State
	if json.Unmarshal(m.Data, &st) != nil || len(st.State) == 0 || json.Unmarshal(st.State, &rs) != nil {
		row.Problem = "reports no state (desired state off, or an older daemon)"
		return row
	}
	row.Reported, row.InForce, row.Applied = true, rs.InForce.Values(), rs.Revision
	row.Differs = desired.Diff(want, rs)
	for i := range row.Differs {
		row.Differs[i].ID = id
	}
	return row
}

func (s *Server) postDesired(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		webguard.BodyError(w, err)
		return
	}
	key := r.PostForm.Get("key")
	if err := wire.CheckToken("key", key); err != nil {
		webguard.Error(w, http.StatusBadRequest, "fleet: send key=<device id> or "+wire.DesiredDefaultKey)
		return
	}
	rev, err := strconv.ParseUint(r.PostForm.Get("revision"), 10, 64)
	if err != nil {
		webguard.Error(w, http.StatusBadRequest, "fleet: send revision=<the revision read> (0 for a key without a value)")
		return
	}
	set, unset := r.PostForm["set"], r.PostForm["unset"]
	if len(set) == 0 && len(unset) == 0 {
		webguard.Error(w, http.StatusBadRequest, "fleet: nothing to change; send set=<setting>=<value> or unset=<setting>")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	kv, err := desired.OpenBucket(ctx, s.nc, "", true)
	if err != nil {
		webguard.Error(w, http.StatusServiceUnavailable, "fleet: "+err.Error())
		return
	}
	// devices hear of the change from the stream that republishes it;
	// the web role may not make it (an operator's config set does), and
	// devices without it still read their keys every resync
	_ = desired.EnsureNotify(ctx, s.nc, "", s.opts.Prefix)
	n, err := desired.Edit(ctx, kv, key, rev, set, unset)
	switch {
	case errors.Is(err, desired.ErrConflict):
		webguard.Error(w, http.StatusConflict, "fleet: "+err.Error())
		return
	case err != nil:
		webguard.Error(w, http.StatusBadRequest, "fleet: "+err.Error())
		return
	}
	webguard.JSON(w, http.StatusOK, map[string]any{"key": key, "revision": n})
}
