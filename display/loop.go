package display

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Run shows items until ctx ends, then completes what is left as
// ReasonStopped, blanks the matrix and returns nil. It is the only
// goroutine that touches the device; call it once. Device errors are
// counted in Status and the frame is tried again. Run does not Halt the
// device: its owner does.
func (p *Player) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running || p.stopped {
		p.mu.Unlock()
		return errors.New("display: Run called twice")
	}
	p.running = true
	p.mu.Unlock()

	// The timer is made at the first wait, so that an armed timer always
	// means the loop has finished a round.
	var timer Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if ctx.Err() != nil {
			p.shutdown()
			return nil
		}
		wait := p.iterate(p.clock.Now())
		if wait <= 0 {
			continue
		}
		if timer == nil {
			timer = p.clock.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		if p.beforeSleep != nil {
			p.beforeSleep()
		}
		select {
		case <-ctx.Done():
		case <-timer.C():
		case <-p.wake:
			if p.afterWake != nil {
				p.afterWake()
			}
		}
	}
}

// iterate does one round of the loop at time now: it picks up an item,
// renders a frame if one is due and sends it, and returns how long to wait
// before the next round.
func (p *Player) iterate(now time.Time) time.Duration {
	p.mu.Lock()
	p.heartbeat = now
	if p.cur0 != nil && p.cur0.finished { // replaced by Submit
		p.cur0, p.cur = nil, nil
	}
	var started Item
	if p.cur0 == nil && len(p.queue) > 0 {
		e := p.queue[0]
		started = e.item
		copy(p.queue, p.queue[1:])
		p.queue[len(p.queue)-1] = nil
		p.queue = p.queue[:len(p.queue)-1]
		e.start = now
		p.cur0, p.cur = e, e
		p.step, p.due = 0, now
	}
	waiting := len(p.queue) > 0
	set := p.set
	if p.cfgDirty {
		p.cfgDirty = false
		p.needSend = true // show the new settings on a still picture too
	}
	cur := p.cur0
	p.mu.Unlock()
	if started != nil && p.onItem != nil {
		p.onItem(started)
	}

	p.applyLowLight(set.lowLight)

	if cur != nil && !now.Before(p.due) {
		if p.step >= cur.item.Steps() || (waiting && p.gaveEnough(cur.item)) {
			p.mu.Lock()
			p.finishLocked(cur, true, "", now.Sub(cur.start))
			p.cur0, p.cur = nil, nil
			p.mu.Unlock()
			return 0
		}
		cur.item.Render(p.raw, p.step)
		p.needSend = true
		p.due = p.due.Add(cur.item.Delay(p.step))
		if p.due.Before(now) {
			p.due = now // fell behind (slow device): do not race to catch up
		}
		p.step++
	}
	if p.needSend {
		p.send(now, set)
	}
	wait := p.idleTick
	if p.needSend { // the device refused the frame
		wait = min(wait, idleTick)
	}
	if cur != nil {
		wait = min(wait, p.due.Sub(now))
	}
	return wait
}

// gaveEnough reports whether an item that yields to waiting items has
// shown all it must.
func (p *Player) gaveEnough(it Item) bool {
	y, ok := it.(yielder)
	return ok && y.yieldAfter() > 0 && p.step >= y.yieldAfter()
}

// applyLowLight switches the device's own low-light mode if it has one.
func (p *Player) applyLowLight(want bool) {
	if p.lowSetter == nil || (want == p.appliedLow && !p.lowFailed) {
		return
	}
	if err := p.lowSetter.SetLowLight(want); err != nil {
		p.lowFailed = true
		p.recordError(fmt.Errorf("display: low light on %s: %w", p.dev, err))
		return
	}
	if p.lowFailed {
		p.needSend = true // stop dimming in software
	}
	p.appliedLow, p.lowFailed = want, false
}

// send turns raw into what the device gets and sends it unless the device
// already shows exactly that.
func (p *Player) send(now time.Time, set settings) {
	Transform(p.out, p.raw, set.orient)
	if set.brightness < 1 {
		Scale(p.out, p.out, set.brightness)
	}
	if set.lowLight && (p.lowSetter == nil || p.lowFailed) {
		ApplyLowLight(p.out)
	}
	p.show(now, false)
}

func (p *Player) show(now time.Time, force bool) {
	// p.last is written by this goroutine only, so reading it unlocked is safe.
	if !force && p.out.Equal(p.last) && p.sent > 0 {
		p.needSend = false
		p.mu.Lock()
		p.skipped++
		p.mu.Unlock()
		return
	}
	if err := p.dev.Show(p.out); err != nil {
		p.recordError(fmt.Errorf("display: show on %s: %w", p.dev, err))
		return // needSend stays true: tried again next round
	}
	p.needSend = false
	p.mu.Lock()
	p.last.CopyFrom(p.out)
	p.sent++
	p.lastFrame = now
	p.mu.Unlock()
	if p.onFrame != nil {
		p.onFrame(p.out)
	}
}

func (p *Player) recordError(err error) {
	p.mu.Lock()
	p.devErrs++
	p.lastErr = err.Error()
	p.mu.Unlock()
}

// shutdown completes every ticket as stopped and blanks the matrix.
func (p *Player) shutdown() {
	now := p.clock.Now()
	p.mu.Lock()
	p.stopped = true
	if p.cur0 != nil {
		p.finishLocked(p.cur0, false, ReasonStopped, now.Sub(p.cur0.start))
	}
	for _, e := range p.queue {
		p.finishLocked(e, false, ReasonStopped, 0)
	}
	clear(p.queue)
	p.queue = p.queue[:0]
	p.cur0, p.cur = nil, nil
	p.heartbeat = now
	p.mu.Unlock()
	p.raw.Clear()
	p.out.Clear()
	p.show(now, true)
}
