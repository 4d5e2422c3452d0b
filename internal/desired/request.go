package desired

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sensehat/sensehat/display"
)

// DisplayRequested notes a led.config request that the display applied:
// it is in force now ("request") until a restart or the next desired
// change of the same setting. It is not written into the device's key: a
// device may not write the bucket, since a direct get answers on any
// subject the device names, so the bucket must hold only what an
// operator wrote. The reported state's write_back says so, with the
// command that makes it last.
func (a *Agent) DisplayRequested(c display.Config) {
	set := map[string]any{}
	a.mu.Lock()
	if c.Rotation != nil {
		v := *c.Rotation
		a.applied.Rotation, set["rotation"] = &v, v
	}
	if c.LowLight != nil {
		v := *c.LowLight
		a.applied.LowLight, set["low_light"] = &v, v
	}
	if c.Brightness != nil {
		v := *c.Brightness
		a.applied.Brightness, set["brightness"] = &v, v
	}
	if c.FlipH != nil && c.FlipV != nil {
		v := flipName(*c.FlipH, *c.FlipV)
		a.applied.Flip, set["flip"] = &v, v
	}
	a.requestedLocked(set)
	a.mu.Unlock()
}

// ColourRequested is DisplayRequested for a colour.config request.
func (a *Agent) ColourRequested(gain, cycles *int) {
	set := map[string]any{}
	a.mu.Lock()
	if gain != nil {
		v := *gain
		a.applied.ColourGain, set["colour_gain"] = &v, v
	}
	if cycles != nil {
		v := *cycles
		a.applied.ColourCycles, set["colour_cycles"] = &v, v
	}
	a.requestedLocked(set)
	a.mu.Unlock()
}

func (a *Agent) requestedLocked(set map[string]any) {
	if len(set) == 0 {
		return
	}
	pairs := make([]string, 0, len(set))
	for f, v := range set {
		a.from[f] = "request"
		pairs = append(pairs, fmt.Sprintf("%s=%v", f, v))
	}
	slices.Sort(pairs)
	a.st.WriteBack = "not written to the desired state: kept until a restart or the next desired change of the same setting; make it last with `sensehat config set " +
		a.key + " " + strings.Join(pairs, " ") + "`"
	a.publishLocked()
}
