package desired

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/wire"
)

// Display is the matrix the Agent sets; *display.Player implements it.
type Display interface {
	SetConfig(c display.Config) error
	Status() display.Status
}

// GammaSetter is a display that can change its curve (the framebuffer
// driver, the ATtiny over I2C).
type GammaSetter interface {
	SetGamma(g *display.Gamma) error
}

// Colour is the colour sensor's control; *sensors.ColourControl
// implements it.
type Colour interface {
	Settings() wire.ColourSettings
	SetColour(gain, cycles *int) (wire.ColourSettings, error)
}

// Opts are what an Agent needs. Base holds every setting as the defaults
// and flags give it; Started every setting as the daemon started with it
// (Base with the local copy's desired state over it, see StartValues).
type Opts struct {
	Subjects wire.Subjects
	Base     wire.Desired
	// FromFlags names the settings of Base that the settings file or
	// flags set (the rest are built-in defaults).
	FromFlags []string
	Started   wire.Desired
	Display   Display
	Gamma     GammaSetter // nil: the display has one curve
	Colour    Colour      // nil: no colour sensor
	// StateDir keeps the local copy (CopyFile); "" keeps none.
	StateDir string
	// Domain is the JetStream domain of the bucket ("" for the server's
	// own JetStream).
	Domain string
	// Mirror is the JetStream domain of the Pi's own server, in which the
	// Agent keeps the Pi's copy of its two keys (CopyConfig) and reads it
	// while the bucket cannot be reached; "" keeps none. It needs a
	// Domain: the bucket is on the hub, the copy on the Pi.
	Mirror string
	// Resync is how often the keys are read again besides the notices of
	// change, which are lost while a Pi's link is down (and all of them
	// on a hub without wire.DesiredNotifyStream); 0 means DefaultResync.
	Resync time.Duration
	// OnState, if set, is called with every new reported state.
	OnState func(wire.State)
	Log     *slog.Logger
}

// DefaultResync is how often an Agent reads its keys besides the notices:
// two direct gets per device, and the longest a change made while a Pi's
// link was cut waits once the link is back.
const DefaultResync = 10 * time.Second

// Agent applies and reports a device's desired state.
type Agent struct {
	o   Opts
	key string

	mu      sync.Mutex
	docs    [2]doc       // 0: default key, 1: device key
	applied wire.Desired // each live setting's value, a request's included
	// want is the last target of each live setting that base < desired
	// gave, which a request leaves as it is: a setting is applied again
	// only when its target moves away from this
	want wire.Desired
	from map[string]string
	st   wire.State
	nc   *nats.Conn
	// kick asks Run to read the keys now (after a reconnect)
	kick chan struct{}

	enc atomic.Pointer[[]byte]
	lit atomic.Int32 // 0 unknown, 1 dark, 2 lit
	// what the matrix showed last, for the next report (SetText, SetFill)
	text    atomic.Pointer[string]
	fill    atomic.Pointer[[3]uint8]
	shownGo atomic.Bool // a report of them is on its way
}

// doc is the last accepted document of one key, and what its last
// revision refused.
type doc struct {
	key     string
	rev     uint64
	raw     []byte // as read, for the local copy
	d       wire.Desired
	refused []wire.Refusal
}

// New returns an Agent; Load then applies the local copy, Run watches.
func New(o Opts) (*Agent, error) {
	if o.Display == nil {
		return nil, errors.New("desired: a display is required")
	}
	if err := wire.CheckToken("id", o.Subjects.ID); err != nil {
		return nil, fmt.Errorf("desired: %w", err)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Mirror != "" && (o.Domain == "" || o.Domain == o.Mirror) {
		return nil, fmt.Errorf("desired: a copy in domain %q needs the bucket in another domain (--desired-domain hub), not %q", o.Mirror, o.Domain)
	}
	if o.Resync <= 0 {
		o.Resync = DefaultResync
	}
	a := &Agent{o: o, key: o.Subjects.ID, from: map[string]string{}, kick: make(chan struct{}, 1)}
	a.docs[0].key, a.docs[1].key = wire.DesiredDefaultKey, o.Subjects.ID
	for _, f := range wire.DesiredFields {
		a.from[f] = "default"
	}
	for _, f := range o.FromFlags {
		a.from[f] = "flags"
	}
	a.applied, a.want = o.Started, o.Started
	// A start-only setting the daemon started with from the local copy.
	for _, f := range wire.RestartFields {
		if !sameValue(fieldOf(o.Started, f), fieldOf(o.Base, f)) {
			a.from[f] = "desired"
		}
	}
	a.st.Source = "none"
	a.publishLocked()
	return a, nil
}

// Load applies the local copy, if any, as the desired state read last.
func (a *Agent) Load(c Copy) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c.Default.Revision > 0 || c.Default.Value != "" {
		a.acceptLocked(0, c.Default.Revision, []byte(c.Default.Value))
	}
	if c.Device.Revision > 0 || c.Device.Value != "" {
		a.acceptLocked(1, c.Device.Revision, []byte(c.Device.Value))
	}
	if c.Device.Revision > 0 || c.Default.Revision > 0 {
		a.st.Source = "local copy"
	}
	a.applyLocked()
}

// StateJSON is the reported state, encoded, for the status reply; nil
// for a nil Agent.
func (a *Agent) StateJSON() json.RawMessage {
	if a == nil {
		return nil
	}
	if p := a.enc.Load(); p != nil {
		return *p
	}
	return nil
}

// State is the reported state.
func (a *Agent) State() wire.State {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.st
}

// SetLit records whether the matrix is lit, and reports it when that
// changed. Call it on a change only: it encodes and publishes.
//
// It is called from the display loop, which must not wait for an apply
// in progress (a colour setting waits for an integration): the report is
// made by a goroutine of its own, with the latest value.
func (a *Agent) SetLit(lit bool) {
	if a == nil {
		return
	}
	v := int32(1)
	if lit {
		v = 2
	}
	if a.lit.Swap(v) == v {
		return
	}
	go func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		now := a.lit.Load() == 2
		if a.st.Lit != nil && *a.st.Lit == now {
			return
		}
		a.st.Lit = &now
		a.publishLocked()
	}()
}

// SetText records the text the matrix started to show, and reports it.
// Like SetLit it is called from the display loop and never waits: the
// report is made by a goroutine of its own, one at a time, with the
// latest values.
func (a *Agent) SetText(text string) {
	if a == nil {
		return
	}
	if p := a.text.Load(); p != nil && *p == text {
		return
	}
	a.text.Store(&text)
	a.reportShown()
}

// SetFill records the colour the matrix was painted (led.clear), and
// reports it as SetText does.
func (a *Agent) SetFill(r, g, b uint8) {
	if a == nil {
		return
	}
	c := [3]uint8{r, g, b}
	if p := a.fill.Load(); p != nil && *p == c {
		return
	}
	a.fill.Store(&c)
	a.reportShown()
}

// reportShown publishes the state with what SetText and SetFill recorded;
// a flood of clears or texts makes one report at a time, not one each.
func (a *Agent) reportShown() {
	if !a.shownGo.CompareAndSwap(false, true) {
		return
	}
	go func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.shownGo.Store(false)
		a.st.Text, a.st.Fill = a.text.Load(), a.fill.Load()
		a.publishLocked()
	}()
}

// Republish sends the reported state again and reads the keys (after a
// reconnect: notices may have been lost meanwhile). A nil Agent has
// nothing to send.
func (a *Agent) Republish() {
	if a == nil {
		return
	}
	select {
	case a.kick <- struct{}{}:
	default:
	}
	a.mu.Lock()
	nc := a.nc
	a.mu.Unlock()
	if b := a.StateJSON(); nc != nil && b != nil {
		_ = nc.Publish(a.o.Subjects.State(), b)
	}
}

// acceptLocked parses a key's new value; a document refused as a whole
// leaves the key's previous one in force.
func (a *Agent) acceptLocked(i int, rev uint64, raw []byte) {
	k := &a.docs[i]
	d, refused, err := payload.ParseDesired(raw)
	for j := range refused {
		refused[j].Key, refused[j].Revision = k.key, rev
	}
	if err != nil {
		a.o.Log.Warn("desired state refused; the previous one stays in force", "key", k.key, "revision", rev, "err", err)
		k.refused = []wire.Refusal{{Key: k.key, Revision: rev, Reason: err.Error()}}
		k.rev = rev
		return
	}
	if len(refused) > 0 {
		a.o.Log.Warn("desired settings refused; their previous values stay in force", "key", k.key, "revision", rev, "refused", len(refused))
	}
	// A refused field keeps the value the key held before.
	for _, r := range refused {
		d = keepField(d, k.d, r.Setting)
	}
	k.rev, k.raw, k.d, k.refused = rev, slices.Clone(raw), d, refused
}

// keepField sets field f of d to old's.
func keepField(d, old wire.Desired, f string) wire.Desired {
	switch f {
	case "rotation":
		d.Rotation = old.Rotation
	case "flip":
		d.Flip = old.Flip
	case "low_light":
		d.LowLight = old.LowLight
	case "brightness":
		d.Brightness = old.Brightness
	case "gamma":
		d.Gamma = old.Gamma
	case "env_interval":
		d.EnvInterval = old.EnvInterval
	case "motion_interval":
		d.MotionInterval = old.MotionInterval
	case "colour_interval":
		d.ColourInterval = old.ColourInterval
	case "colour_gain":
		d.ColourGain = old.ColourGain
	case "colour_cycles":
		d.ColourCycles = old.ColourCycles
	case "temp_factor":
		d.TempFactor = old.TempFactor
	case "ha_prefix":
		d.HAPrefix = old.HAPrefix
	}
	return d
}

// settle records f's target as applied, both live and as the last target.
func (a *Agent) settle(target wire.Desired, f string) {
	a.applied = keepField(a.applied, target, f)
	a.want = keepField(a.want, target, f)
}

// merged is the desired document: the device's key over the default's.
func (a *Agent) mergedLocked() wire.Desired { return a.docs[0].d.Over(a.docs[1].d) }

// applyLocked brings the live settings to base < desired, changing only
// those whose target moved since the last apply: a request that changed
// one since stays in force until the desired value of that very setting
// changes (the request is never written into the bucket).
func (a *Agent) applyLocked() {
	merged := a.mergedLocked()
	target := a.o.Base.Over(merged)
	var refused []wire.Refusal
	refuse := func(f, why string) {
		i := 1
		if fieldOf(a.docs[1].d, f) == nil {
			i = 0
		}
		refused = append(refused, wire.Refusal{Key: a.docs[i].key, Revision: a.docs[i].rev, Setting: f, Reason: why})
	}
	from := func(f string) {
		if fieldOf(merged, f) != nil {
			a.from[f] = "desired"
		} else if slices.Contains(a.o.FromFlags, f) {
			a.from[f] = "flags"
		} else {
			a.from[f] = "default"
		}
	}

	var dc display.Config
	var moved []string
	if !eqInt(target.Rotation, a.want.Rotation) {
		dc.Rotation, moved = target.Rotation, append(moved, "rotation")
	}
	if !eqBool(target.LowLight, a.want.LowLight) {
		dc.LowLight, moved = target.LowLight, append(moved, "low_light")
	}
	if !eqFloat(target.Brightness, a.want.Brightness) {
		dc.Brightness, moved = target.Brightness, append(moved, "brightness")
	}
	if !eqString(target.Flip, a.want.Flip) && target.Flip != nil {
		h, v := flipParts(*target.Flip)
		dc.FlipH, dc.FlipV, moved = &h, &v, append(moved, "flip")
	}
	if len(moved) > 0 {
		if err := a.o.Display.SetConfig(dc); err != nil {
			refuse(moved[0], "the display refused the settings: "+err.Error())
		} else {
			for _, f := range moved {
				a.settle(target, f)
				from(f)
			}
		}
	}

	if !eqString(target.Gamma, a.want.Gamma) && target.Gamma != nil {
		switch {
		case a.o.Gamma == nil && *target.Gamma != "default":
			refuse("gamma", `this display has one curve; only "default" applies`)
		case a.o.Gamma == nil:
			a.settle(target, "gamma")
			from("gamma")
		default:
			g := &display.DefaultGamma
			if *target.Gamma == "full" {
				g = &display.FullGamma
			}
			if err := a.o.Gamma.SetGamma(g); err != nil {
				refuse("gamma", "the display refused the curve: "+err.Error())
			} else {
				a.settle(target, "gamma")
				from("gamma")
			}
		}
	}

	gainMoved, cyclesMoved := !eqInt(target.ColourGain, a.want.ColourGain), !eqInt(target.ColourCycles, a.want.ColourCycles)
	if gainMoved || cyclesMoved {
		// the one that did not move keeps its live value (a request's)
		gain, cycles := a.applied.ColourGain, a.applied.ColourCycles
		if gainMoved {
			gain = target.ColourGain
		}
		if cyclesMoved {
			cycles = target.ColourCycles
		}
		if a.o.Colour == nil {
			if merged.ColourGain != nil || merged.ColourCycles != nil {
				refuse(firstSet(merged, "colour_gain", "colour_cycles"), "this board has no colour sensor")
			}
		} else if _, err := a.o.Colour.SetColour(gain, cycles); err != nil {
			refuse(firstSet(merged, "colour_gain", "colour_cycles"), err.Error())
		} else {
			if gainMoved {
				a.settle(target, "colour_gain")
				from("colour_gain")
			}
			if cyclesMoved {
				a.settle(target, "colour_cycles")
				from("colour_cycles")
			}
		}
	}
	a.st.Refused = append(append(slices.Clone(a.docs[0].refused), a.docs[1].refused...), refused...)
	a.st.Desired = merged
	a.st.Revision, a.st.DefaultRevision = a.docs[1].rev, a.docs[0].rev
	a.st.NeedsRestart = nil
	for _, f := range wire.RestartFields {
		if want := fieldOf(target, f); want != nil && !sameValue(want, fieldOf(a.o.Started, f)) {
			a.st.NeedsRestart = append(a.st.NeedsRestart, f)
		}
	}
	// the note on a request lasts while one of its settings is in force
	if a.st.WriteBack != "" {
		kept := false
		for _, src := range a.from {
			kept = kept || src == "request"
		}
		if !kept {
			a.st.WriteBack = ""
		}
	}
	a.publishLocked()
}

// publishLocked fills what is in force, encodes the state and sends it.
func (a *Agent) publishLocked() {
	in := a.o.Started
	ps := a.o.Display.Status()
	rot, ll, br := ps.Orientation.Rotation, ps.LowLight, ps.Brightness
	fl := flipName(ps.Orientation.FlipH, ps.Orientation.FlipV)
	in.Rotation, in.LowLight, in.Brightness, in.Flip = &rot, &ll, &br, &fl
	in.Gamma = a.applied.Gamma
	if a.o.Colour != nil {
		cs := a.o.Colour.Settings()
		in.ColourGain, in.ColourCycles = &cs.Gain, &cs.IntegrationCycles
	}
	a.st.InForce = in
	a.st.From = make(map[string]string, len(a.from))
	for k, v := range a.from {
		a.st.From[k] = v
	}
	a.st.Time = time.Now().UTC()
	b, err := json.Marshal(a.st)
	if err != nil {
		a.o.Log.Error("encoding the reported state", "err", err)
		return
	}
	a.enc.Store(&b)
	if a.nc != nil {
		if err := a.nc.Publish(a.o.Subjects.State(), b); err != nil {
			a.o.Log.Debug("publishing the reported state", "err", err)
		}
	}
	if a.o.OnState != nil {
		a.o.OnState(a.st)
	}
}

func flipParts(s string) (h, v bool) {
	switch s {
	case "h":
		return true, false
	case "v":
		return false, true
	case "hv", "vh":
		return true, true
	}
	return false, false
}

func flipName(h, v bool) string {
	switch {
	case h && v:
		return "hv"
	case h:
		return "h"
	case v:
		return "v"
	}
	return "none"
}

func firstSet(d wire.Desired, fields ...string) string {
	for _, f := range fields {
		if fieldOf(d, f) != nil {
			return f
		}
	}
	return fields[0]
}

// fieldOf returns field f of d as a pointer, nil when not set.
func fieldOf(d wire.Desired, f string) any {
	switch f {
	case "rotation":
		return nilOr(d.Rotation)
	case "flip":
		return nilOr(d.Flip)
	case "low_light":
		return nilOr(d.LowLight)
	case "brightness":
		return nilOr(d.Brightness)
	case "gamma":
		return nilOr(d.Gamma)
	case "env_interval":
		return nilOr(d.EnvInterval)
	case "motion_interval":
		return nilOr(d.MotionInterval)
	case "colour_interval":
		return nilOr(d.ColourInterval)
	case "colour_gain":
		return nilOr(d.ColourGain)
	case "colour_cycles":
		return nilOr(d.ColourCycles)
	case "temp_factor":
		return nilOr(d.TempFactor)
	case "ha_prefix":
		return nilOr(d.HAPrefix)
	}
	return nil
}

// nilOr returns p's value, or an untyped nil for a nil p.
func nilOr[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func sameValue(a, b any) bool { return a == b }

func eqInt(a, b *int) bool       { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func eqBool(a, b *bool) bool     { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func eqFloat(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func eqString(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
