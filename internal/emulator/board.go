package emulator

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/sensehat/sensehat/sensehat"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// Conditions are the physical conditions the simulated chips sense: what
// the page's sliders set.
type Conditions struct {
	TemperatureC float64 `json:"temperature_c"`
	HumidityPct  float64 `json:"humidity_pct"`
	PressureHPa  float64 `json:"pressure_hpa"`
	RollDeg      float64 `json:"roll_deg"`
	PitchDeg     float64 `json:"pitch_deg"`
	YawDeg       float64 `json:"yaw_deg"`
	// The light the colour sensor sees, per channel, in counts that one
	// integration cycle gathers at gain 1 (1024 fills a one-cycle
	// reading): what the page's colour control sets. A board without a
	// colour sensor ignores them.
	LightRed   float64 `json:"light_red"`
	LightGreen float64 `json:"light_green"`
	LightBlue  float64 `json:"light_blue"`
	LightClear float64 `json:"light_clear"`
}

// DefaultConditions are those sim.NewHAT starts with.
var DefaultConditions = Conditions{
	TemperatureC: 21.5, HumidityPct: 45, PressureHPa: 1013.25,
	LightRed: sim.DefaultLight.Red, LightGreen: sim.DefaultLight.Green,
	LightBlue: sim.DefaultLight.Blue, LightClear: sim.DefaultLight.Clear,
}

// limits are the chips' measuring ranges (HTS221, LPS25H) and the angles'
// natural ranges; a value outside them is refused, not clamped, so a typo
// in a script is noticed.
var limits = []struct {
	name     string
	get      func(*Conditions) *float64
	min, max float64
}{
	{"temperature_c", func(c *Conditions) *float64 { return &c.TemperatureC }, -30, 105},
	{"humidity_pct", func(c *Conditions) *float64 { return &c.HumidityPct }, 0, 100},
	{"pressure_hpa", func(c *Conditions) *float64 { return &c.PressureHPa }, 260, 1260},
	{"roll_deg", func(c *Conditions) *float64 { return &c.RollDeg }, -180, 180},
	{"pitch_deg", func(c *Conditions) *float64 { return &c.PitchDeg }, -90, 90},
	{"yaw_deg", func(c *Conditions) *float64 { return &c.YawDeg }, -180, 180},
	{"light_red", func(c *Conditions) *float64 { return &c.LightRed }, 0, maxLight},
	{"light_green", func(c *Conditions) *float64 { return &c.LightGreen }, 0, maxLight},
	{"light_blue", func(c *Conditions) *float64 { return &c.LightBlue }, 0, maxLight},
	{"light_clear", func(c *Conditions) *float64 { return &c.LightClear }, 0, maxLight},
}

// maxLight saturates a channel in one integration cycle at gain 1: more
// light could not be told apart by any setting.
const maxLight = 1024

// conditionNames lists the conditions, for error messages.
func conditionNames() string {
	names := make([]string, len(limits))
	for i, l := range limits {
		names[i] = l.name
	}
	return strings.Join(names, ", ")
}

// ErrOutOfRange is wrapped by SetConditions when a value is outside what
// the simulated chips can measure.
var ErrOutOfRange = errors.New("out of range")

// Validate reports the first value outside its range.
func (c Conditions) Validate() error {
	for _, l := range limits {
		v := *l.get(&c)
		if math.IsNaN(v) || v < l.min || v > l.max {
			return fmt.Errorf("emulator: %s %g %w [%g, %g]", l.name, v, ErrOutOfRange, l.min, l.max)
		}
	}
	return nil
}

// Board is the simulated HAT as the views see it: it owns the ATtiny's one
// frame hook and shares it among any number of watchers (page streams, the
// terminal), and it remembers the conditions last set so the page can show
// them.
type Board struct {
	HAT *sim.HAT

	mu       sync.Mutex
	cond     Conditions
	watchers map[chan struct{}]struct{}
}

// NewBoard takes over hat's frame hook and sets hat to DefaultConditions.
// Close gives the hook back.
func NewBoard(hat *sim.HAT) (*Board, error) {
	if hat == nil {
		return nil, errors.New("emulator: no simulated HAT")
	}
	b := &Board{HAT: hat, watchers: map[chan struct{}]struct{}{}}
	if err := b.SetConditions(DefaultConditions); err != nil {
		return nil, err
	}
	hat.ATtiny.OnFrame(b.changed)
	return b, nil
}

// changed runs inside the ATtiny's bus transaction: it only signals.
func (b *Board) changed() {
	b.mu.Lock()
	for ch := range b.watchers {
		select {
		case ch <- struct{}{}:
		default: // already signalled; the watcher will read the newest frame
		}
	}
	b.mu.Unlock()
}

// Watch returns a channel that receives a value after the LEDs change.
// Changes coalesce: a slow watcher gets one signal and reads the newest
// frame. Call cancel when done.
func (b *Board) Watch() (changed <-chan struct{}, cancel func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	b.watchers[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.watchers, ch)
		b.mu.Unlock()
	}
}

// Frame returns what the LEDs show now, as 5-bit duties. The simulated
// ATtiny gives duties in 64ths (0..64); the views draw 31, the kernel
// tables' full scale, as full brightness, so anything brighter (only
// display.FullGamma on the I2C path sends it) is drawn as 31 too.
func (b *Board) Frame() Frame {
	f := b.HAT.ATtiny.Frame()
	for i, v := range f {
		f[i] = min(v, 31)
	}
	return f
}

// Press holds joystick key k down.
func (b *Board) Press(k sensehat.Key) { b.HAT.ATtiny.Press(k) }

// Release lets joystick key k go.
func (b *Board) Release(k sensehat.Key) { b.HAT.ATtiny.Release(k) }

// Conditions returns the conditions last set.
func (b *Board) Conditions() Conditions {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cond
}

// SetConditions feeds c to the simulated chips: temperature to both the
// HTS221 and the LPS25H (they sit side by side on the board), humidity,
// pressure, the attitude to the LSM9DS1 and the light to the colour
// sensor, if the board has one. An out-of-range value changes nothing.
func (b *Board) SetConditions(c Conditions) error {
	if err := c.Validate(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.HAT.HTS221.Set(c.TemperatureC, c.HumidityPct)
	b.HAT.LPS25H.Set(c.PressureHPa, c.TemperatureC)
	b.HAT.LSM9DS1.SetAttitude(c.RollDeg, c.PitchDeg, c.YawDeg)
	if b.HAT.Colour != nil {
		b.HAT.Colour.SetLight(c.LightRed, c.LightGreen, c.LightBlue, c.LightClear)
	}
	b.cond = c
	return nil
}

// Close removes the board's frame hook; watchers get no further signals.
func (b *Board) Close() {
	b.HAT.ATtiny.OnFrame(nil)
}
