package sensors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"sync"
	"time"

	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/lps25h"
	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
	"github.com/sensehat/sensehat/sensehat/orientation"
	"github.com/sensehat/sensehat/sensehat/tcs34xx"
	"github.com/sensehat/sensehat/sensehat/thermal"
)

// Sink takes readings as the poller makes them; a reading is valid only
// during the call. *publish.Publisher implements it.
type Sink interface {
	Env(r *wire.Env)
	Motion(r *wire.Motion)
	Colour(r *wire.Colour)
}

// Recorder counts errors by subsystem (*health.Registry).
type Recorder interface {
	Record(subsystem string, err error)
}

// Opts configure a Poller.
type Opts struct {
	EnvInterval    time.Duration
	MotionInterval time.Duration
	// ColourInterval is the sensors.colour period; it must be positive
	// when the Set has a colour sensor.
	ColourInterval time.Duration
	// TempFactor is F in the CPU-heat compensation; 0 turns it off.
	TempFactor float64
	// StateDir keeps the magnetometer calibration; "" keeps it in memory.
	StateDir string
	Log      *slog.Logger
	Errors   Recorder
	// MaxBackoff caps the wait before retrying a failing chip.
	MaxBackoff time.Duration
}

// CalibrationFile is the name of the hard-iron calibration in StateDir.
const CalibrationFile = "mag-calibration.json"

// chip is one sensor's schedule and health.
type chip struct {
	name     string
	failures int
	nextTry  time.Time
	lastErr  string
}

// due reports whether the chip may be read now; a failing chip waits an
// exponentially growing time, so a dead chip costs one transaction per
// backoff period instead of one per tick.
func (c *chip) due(now time.Time) bool { return !now.Before(c.nextTry) }

func (c *chip) result(err error, now time.Time, base, max time.Duration, rec Recorder) bool {
	if err == nil {
		c.failures, c.lastErr = 0, ""
		return true
	}
	c.failures++
	c.lastErr = err.Error()
	wait := base
	for i := 1; i < c.failures && wait < max; i++ {
		wait *= 2
	}
	c.nextTry = now.Add(min(wait, max))
	if rec != nil {
		rec.Record(c.name, err)
	}
	return false
}

// Poller reads the chips and hands out payloads.
type Poller struct {
	set  Set
	opts Opts

	hts, lps, ag, mag, col chip

	mu        sync.Mutex
	states    map[string]string
	heartbeat time.Time

	// Reused readings: the steady state allocates nothing.
	envV    wire.Env
	motV    wire.Motion
	colV    wire.Colour
	htsR    hts221.Reading
	lpsR    lps25h.Reading
	motion  lsm9ds1.Motion
	magV    [3]float64
	colR    tcs34xx.Reading
	filter  *orientation.Filter
	cal     orientation.Calibration
	calPath string
	lastMot time.Time
	cpu     *thermal.Zone
}

// NewPoller checks opts and loads the stored calibration.
func NewPoller(s Set, o Opts) (*Poller, error) {
	if o.EnvInterval <= 0 || o.MotionInterval <= 0 {
		return nil, errors.New("sensors: intervals must be positive")
	}
	if s.Colour != nil && o.ColourInterval <= 0 {
		return nil, errors.New("sensors: the colour interval must be positive")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	p := &Poller{
		set:    s,
		opts:   o,
		hts:    chip{name: "hts221"},
		lps:    chip{name: "lps25h"},
		ag:     chip{name: "lsm9ds1"},
		mag:    chip{name: "lsm9ds1_mag"},
		col:    chip{name: ColourChip},
		states: map[string]string{},
		filter: orientation.NewFilter(orientation.DefaultFilterOpts),
	}
	if o.StateDir != "" {
		p.calPath = filepath.Join(o.StateDir, CalibrationFile)
		cal, err := orientation.LoadCalibration(p.calPath)
		if err != nil {
			o.Log.Warn("ignoring stored magnetometer calibration", "file", p.calPath, "err", err)
		} else {
			p.cal = cal
		}
	}
	if s.CPUTempPath != "" && o.TempFactor > 0 {
		cpu, err := thermal.OpenZone(s.CPUTempPath)
		if err != nil {
			o.Log.Warn("CPU temperature unavailable; publishing uncompensated temperature", "err", err)
		} else {
			p.cpu = cpu
		}
	}
	p.updateStates()
	return p, nil
}

// Run polls until ctx ends, handing each reading to out.
func (p *Poller) Run(ctx context.Context, out Sink) {
	env := time.NewTicker(p.opts.EnvInterval)
	defer env.Stop()
	mot := time.NewTicker(p.opts.MotionInterval)
	defer mot.Stop()
	save := time.NewTicker(time.Minute)
	defer save.Stop()
	var colour <-chan time.Time // nil: no colour sensor, never ready
	if p.set.Colour != nil {
		t := time.NewTicker(p.opts.ColourInterval)
		defer t.Stop()
		colour = t.C
	}
	defer p.saveCalibration()
	defer func() {
		if p.cpu != nil {
			p.cpu.Close()
		}
	}()
	p.beat(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-env.C:
			if r := p.PollEnv(now); r != nil {
				out.Env(r)
			}
		case now := <-mot.C:
			if r := p.PollMotion(now); r != nil {
				out.Motion(r)
			}
		case now := <-colour:
			if r := p.PollColour(now); r != nil {
				out.Colour(r)
			}
		case <-save.C:
			p.saveCalibration()
		}
		p.beat(time.Now())
	}
}

func (p *Poller) beat(now time.Time) {
	p.mu.Lock()
	p.heartbeat = now
	p.mu.Unlock()
}

// Heartbeat is when the loop last made progress, for the watchdog.
func (p *Poller) Heartbeat() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.heartbeat
}

// States says, per chip, "ok", "missing: why" or "failing: last error".
func (p *Poller) States() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.states)
}

func (p *Poller) updateStates() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range []struct {
		c       *chip
		present bool
	}{
		{&p.hts, p.set.HTS221 != nil}, {&p.lps, p.set.LPS25H != nil},
		{&p.ag, p.set.AccelGyro != nil}, {&p.mag, p.set.Mag != nil},
		{&p.col, p.set.Colour != nil},
	} {
		if c.c == &p.col && !c.present {
			// Only boards that can have one are asked about it.
			if _, tried := p.set.Missing[ColourChip]; !tried {
				continue
			}
		}
		var st string
		switch {
		case !c.present:
			st = "missing"
			if why := p.set.Missing[c.c.name]; why != "" {
				st += ": " + why
			}
		case c.c.failures > 0:
			st = fmt.Sprintf("failing (%d in a row): %s", c.c.failures, c.c.lastErr)
		default:
			st = "ok"
		}
		if p.states[c.c.name] != st {
			p.states[c.c.name] = st
		}
	}
}

// PollEnv reads the environment chips that are due and returns the
// reading, valid until the next PollEnv, or nil when no chip gave a value.
func (p *Poller) PollEnv(now time.Time) *wire.Env {
	base := p.opts.EnvInterval
	var haveH, haveP bool
	if p.set.HTS221 != nil && p.hts.due(now) {
		haveH = p.hts.result(p.set.HTS221.Sense(&p.htsR), now, base, p.opts.MaxBackoff, p.opts.Errors)
	}
	if p.set.LPS25H != nil && p.lps.due(now) {
		haveP = p.lps.result(p.set.LPS25H.Sense(&p.lpsR), now, base, p.opts.MaxBackoff, p.opts.Errors)
	}
	p.updateStates()
	if !haveH && !haveP {
		return nil
	}
	// Both chips sit by the CPU; their mean is the raw board temperature.
	var sum float64
	var n int
	if haveH {
		sum += p.htsR.TemperatureC
		n++
	}
	if haveP {
		sum += p.lpsR.TemperatureC
		n++
	}
	raw := sum / float64(n)
	corrected := raw
	if p.cpu != nil {
		if cpu, err := p.cpu.Read(); err == nil {
			corrected = thermal.Compensate(raw, cpu, p.opts.TempFactor)
		} else if p.opts.Errors != nil {
			p.opts.Errors.Record("thermal", err)
		}
	}
	p.envV = wire.Env{
		TemperatureC: corrected, TemperatureRawC: raw,
		HumidityPct: p.htsR.HumidityPct, HasHumidity: haveH,
		PressureHPa: p.lpsR.PressureHPa, HasPressure: haveP,
		Time: now,
	}
	return &p.envV
}

// PollMotion reads the motion chips and returns the sensors.motion
// reading, valid until the next PollMotion, or nil when the accelerometer
// gave nothing.
func (p *Poller) PollMotion(now time.Time) *wire.Motion {
	base := p.opts.MotionInterval
	if p.set.AccelGyro == nil || !p.ag.due(now) {
		return nil
	}
	if !p.ag.result(p.set.AccelGyro.Sense(&p.motion), now, base, p.opts.MaxBackoff, p.opts.Errors) {
		p.updateStates()
		return nil
	}
	var mag *[3]float64
	if p.set.Mag != nil && p.mag.due(now) {
		if p.mag.result(p.set.Mag.Sense(&p.magV), now, base, p.opts.MaxBackoff, p.opts.Errors) {
			p.cal.Observe(p.magV)
			if p.cal.Valid() {
				p.cal.Apply(&p.magV)
			}
			mag = &p.magV
		}
	}
	p.updateStates()
	dt := p.opts.MotionInterval
	if !p.lastMot.IsZero() {
		dt = now.Sub(p.lastMot)
	}
	p.lastMot = now
	// A heading needs a calibrated magnetometer; without one, yaw would
	// drift with every nearby magnet, so it is left out.
	if mag != nil && !p.cal.Valid() {
		mag = nil
	}
	o := p.filter.Update(p.motion.Accel, p.motion.Gyro, mag, dt)

	p.motV = wire.Motion{
		AccelG: p.motion.Accel, GyroDPS: p.motion.Gyro,
		MagUT: p.magV, HasMag: p.mag.failures == 0 && p.set.Mag != nil,
		RollDeg: o.Roll, PitchDeg: o.Pitch,
		HasYaw: o.HasYaw, YawDeg: o.Yaw, CompassDeg: o.Compass, HeadingDeg: o.Heading,
		Time: now,
	}
	return &p.motV
}

func (p *Poller) saveCalibration() {
	if p.calPath == "" || !p.cal.Valid() {
		return
	}
	if err := p.cal.Save(p.calPath); err != nil {
		p.opts.Log.Warn("saving magnetometer calibration", "file", p.calPath, "err", err)
	}
}
