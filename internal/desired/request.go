package desired

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/display"
)

// writeBackTries bounds the retries of a write-back that lost a race:
// each one reads the key again, so only a key changed that often in a
// second loses.
const writeBackTries = 3

// DisplayRequested notes a led.config request that the display applied:
// it is in force now ("request"), and is written into the device's key
// so that it survives a restart; the reported state's write_back says
// how that went. It returns at once; the write happens in the background.
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
	for f := range set {
		a.from[f] = "request"
	}
	kv := a.kv
	if kv == nil {
		a.st.WriteBack = "not written to the desired state: the bucket has not been reached; the request's settings last until a restart"
		a.publishLocked()
		return
	}
	a.st.WriteBack = "writing"
	a.publishLocked()
	go a.writeBack(kv, set)
}

// writeBack merges set into the device's key with the revision read, so
// that a concurrent change by someone else is never overwritten.
func (a *Agent) writeBack(kv jetstream.KeyValue, set map[string]any) {
	err := writeFields(kv, a.key, set)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.st.WriteBack = "not written to the desired state (" + err.Error() + "); the request's settings last until a restart or the next desired change"
		a.o.Log.Warn("request not written back to the desired state", "err", err)
	} else {
		a.st.WriteBack = "written to the desired state"
	}
	a.publishLocked()
}

// writeFields sets fields of key's document, leaving its other fields,
// written with the revision read (ReadKey, WriteKey); a race lost is
// tried again on a fresh read.
func writeFields(kv jetstream.KeyValue, key string, set map[string]any) error {
	var err error
	for range writeBackTries {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = writeOnce(ctx, kv, key, set)
		cancel()
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("the key %s kept changing: %w", key, err)
}

func writeOnce(ctx context.Context, kv jetstream.KeyValue, key string, set map[string]any) error {
	doc, rev, err := ReadKey(ctx, kv, key)
	if err != nil {
		return fmt.Errorf("the key %s left as it is: %w", key, err)
	}
	for f, v := range set {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		doc[f] = b
	}
	_, err = WriteKey(ctx, kv, key, rev, doc)
	return err
}
