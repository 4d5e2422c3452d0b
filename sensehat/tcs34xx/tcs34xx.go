package tcs34xx

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/sensehat/internal/i2cchip"
	"github.com/sensehat/sensehat/sensehat/sysfs"
)

// The sensors' addresses: the Sense HAT v2's TCS3400 and the Astro Pi's
// TCS34725. Both parts come in variants at either address.
const (
	AddrTCS3400  = 0x39
	AddrTCS34725 = 0x29
)

const (
	regEnable  = 0x80
	regATime   = 0x81
	regControl = 0x8F
	regID      = 0x92
	regStatus  = 0x93
	autoInc    = 0x20 // TCS3472x command TYPE 01

	enablePON = 0x01
	enableAEN = 0x02
	avalid    = 0x01
)

// Variant is a chip family; they differ in gains and cycle time.
type Variant uint8

// The families python-sense-hat tells apart.
const (
	TCS340x Variant = iota + 1
	TCS3472x
)

// String returns the family's name.
func (v Variant) String() string {
	switch v {
	case TCS340x:
		return "TCS340x"
	case TCS3472x:
		return "TCS3472x"
	}
	return "unknown"
}

// VariantOf returns the family of ID register value id, and false for an
// ID of neither family.
func VariantOf(id byte) (Variant, bool) {
	switch {
	case id&0xF8 == 0x90:
		return TCS340x, true
	case id&0xF4 == 0x44:
		return TCS3472x, true
	}
	return 0, false
}

// Gains are the gains CONTROL selects, in register order.
func (v Variant) Gains() [4]int {
	if v == TCS340x {
		return [4]int{1, 4, 16, 64}
	}
	return [4]int{1, 4, 16, 60}
}

// CycleTime is one integration cycle.
func (v Variant) CycleTime() time.Duration {
	if v == TCS340x {
		return 2750 * time.Microsecond
	}
	return 2400 * time.Microsecond
}

func (v Variant) gainIndex(g int) (byte, bool) {
	for i, x := range v.Gains() {
		if x == g {
			return byte(i), true
		}
	}
	return 0, false
}

// MaxRaw is the full scale of a channel after cycles integration cycles:
// 1024 × cycles, at most 65535 (python-sense-hat max_value).
func MaxRaw(cycles int) int {
	if cycles >= 64 {
		return 65535
	}
	return 1024 * cycles
}

// Scale is python-sense-hat's 0..255 value of raw count raw:
// raw // ceil(MaxRaw(cycles) / 256).
func Scale(raw uint16, cycles int) int {
	return int(raw) / ((MaxRaw(cycles) + 255) / 256)
}

var (
	// ErrKernelDriver is wrapped by New's error when a kernel driver holds
	// the chip.
	ErrKernelDriver = errors.New("tcs34xx: chip held by a kernel driver")
	// ErrNotFound is wrapped by New's error when no colour sensor answers:
	// a Sense HAT v1 has none.
	ErrNotFound = errors.New("tcs34xx: no colour sensor found")
	// ErrInvalidSetting is wrapped when a gain or a number of integration
	// cycles is not one the chip has.
	ErrInvalidSetting = errors.New("tcs34xx: invalid setting")
	// ErrNotReady is returned by Sense while no integration with the
	// current settings has completed (after Configure, from another
	// goroutine); try again after IntegrationTime.
	ErrNotReady = errors.New("tcs34xx: no reading with the current settings yet")
	// ErrHalted is returned after Halt.
	ErrHalted = errors.New("tcs34xx: device halted")
)

// Settings are what can be changed while running.
type Settings struct {
	// Gain is 1, 4, 16, and 60 (TCS3472x) or 64 (TCS340x).
	Gain int
	// IntegrationCycles is 1..256; each cycle adds CycleTime to a reading
	// and 1024 counts to the full scale.
	IntegrationCycles int
}

// Check says whether v has settings s.
func (s Settings) Check(v Variant) error {
	if _, ok := v.gainIndex(s.Gain); !ok {
		g := v.Gains()
		return &SettingError{Detail: fmt.Sprintf("gain %d; the %s takes %d, %d, %d or %d", s.Gain, v, g[0], g[1], g[2], g[3])}
	}
	if s.IntegrationCycles < 1 || s.IntegrationCycles > 256 {
		return &SettingError{Detail: fmt.Sprintf("integration cycles %d; use 1 to 256", s.IntegrationCycles)}
	}
	return nil
}

// SettingError is a setting the chip does not take. It wraps
// ErrInvalidSetting; Detail says which value and what is accepted, for a
// caller that words the refusal itself.
type SettingError struct {
	Detail string
}

// Error is ErrInvalidSetting's text and the detail.
func (e *SettingError) Error() string { return ErrInvalidSetting.Error() + ": " + e.Detail }

// Unwrap returns ErrInvalidSetting.
func (e *SettingError) Unwrap() error { return ErrInvalidSetting }

// Opts configures New.
type Opts struct {
	// Addr is the chip's address; 0 looks at 0x39, then 0x29, as
	// python-sense-hat does.
	Addr uint16
	// SysfsRoot is where sysfs is mounted, to find a kernel driver bound
	// to the chip; "" means /sys.
	SysfsRoot string
	// SkipKernelCheck claims the chip even if a kernel driver is bound to
	// it: for simulated buses, which have no sysfs entry of their own.
	SkipKernelCheck bool
	// Bus is the I2C bus number, for the kernel check and messages.
	Bus int
	// Settings to start with; zero values mean python-sense-hat's
	// defaults, gain 1 and one integration cycle.
	Settings
	// Now and Sleep time the waits for an integration; nil means the time
	// package's.
	Now   func() time.Time
	Sleep func(time.Duration)
}

// DefaultOpts is the Sense HAT's configuration: bus 1, either address,
// python-sense-hat's defaults (gain 1, one cycle) and a kernel driver check.
var DefaultOpts = Opts{SysfsRoot: sysfs.Root, Bus: 1, Settings: Settings{Gain: 1, IntegrationCycles: 1}}

// Reading is one measurement: the raw counts and the settings they were
// made with.
type Reading struct {
	Red, Green, Blue, Clear uint16
	Settings
}

// MaxRaw is the full scale of the reading's channels.
func (r *Reading) MaxRaw() int { return MaxRaw(r.IntegrationCycles) }

// Colour returns python-sense-hat's colour: each channel scaled to 0..255
// (256 when saturated below 64 cycles, as there).
func (r *Reading) Colour() (red, green, blue, clear int) {
	c := r.IntegrationCycles
	return Scale(r.Red, c), Scale(r.Green, c), Scale(r.Blue, c), Scale(r.Clear, c)
}

// Dev is a TCS3400 or TCS3472x on an I2C bus. It is safe for concurrent
// use.
type Dev struct {
	mu      sync.Mutex
	c       i2c.Dev
	v       Variant
	id      byte
	set     Settings
	readyAt time.Time
	dirty   bool // the chip's registers may not hold set: write them again
	halted  bool
	now     func() time.Time
	sleep   func(time.Duration)
	w       [2]byte
	r       [9]byte
}

var _ conn.Resource = (*Dev)(nil)

// New finds the sensor, configures opts' settings, starts it integrating
// and waits for the first integration, so Sense has a value at once.
// opts nil means DefaultOpts. The bus stays the caller's to close.
func New(b i2c.Bus, opts *Opts) (*Dev, error) {
	if opts == nil {
		opts = &DefaultOpts
	}
	d := &Dev{now: opts.Now, sleep: opts.Sleep, set: opts.Settings}
	if d.now == nil {
		d.now = time.Now
	}
	if d.sleep == nil {
		d.sleep = time.Sleep
	}
	if d.set.Gain == 0 {
		d.set.Gain = 1
	}
	if d.set.IntegrationCycles == 0 {
		d.set.IntegrationCycles = 1
	}
	addrs := []uint16{AddrTCS3400, AddrTCS34725}
	if opts.Addr != 0 {
		addrs = []uint16{opts.Addr}
	}
	var probes []string
	found := false
	for _, a := range addrs {
		if !opts.SkipKernelCheck {
			if err := i2cchip.CheckKernel("tcs34xx", ErrKernelDriver, opts.SysfsRoot, opts.Bus, a, "read it through IIO"); err != nil {
				return nil, err
			}
		}
		d.c = i2c.Dev{Bus: b, Addr: a}
		var id [1]byte
		if err := d.c.Tx([]byte{regID}, id[:]); err != nil {
			probes = append(probes, fmt.Sprintf("%#02x: %v", a, err))
			continue
		}
		v, ok := VariantOf(id[0])
		if !ok {
			// Another chip (a stacked board's) answers here: leave it
			// alone, write nothing, and look at the other address.
			probes = append(probes, fmt.Sprintf("%#02x: ID %#02x is neither a TCS340x (0x90-0x97) nor a TCS3472x (0x44, 0x4D)", a, id[0]))
			continue
		}
		d.v, d.id, found = v, id[0], true
		break
	}
	if !found {
		return nil, fmt.Errorf("%w on I2C bus %d (%s); a Sense HAT v1 has none", ErrNotFound, opts.Bus, strings.Join(probes, "; "))
	}
	if err := d.set.Check(d.v); err != nil {
		return nil, err
	}
	// Power on, let the oscillator warm up (one cycle, as python-sense-hat
	// waits), then configure and start integrating.
	if err := d.write(regEnable, enablePON); err != nil {
		return nil, busErr("powering on", err)
	}
	d.sleep(d.v.CycleTime())
	if err := d.start(); err != nil {
		return nil, err
	}
	d.waitReady()
	return d, nil
}

// start writes the settings with integration stopped, then restarts it, so
// the next completed integration is the first with them. Called with mu
// held or before d is shared.
func (d *Dev) start() error {
	gi, _ := d.v.gainIndex(d.set.Gain)
	d.dirty = true
	for _, w := range [][2]byte{
		{regEnable, enablePON},
		{regATime, byte(256 - d.set.IntegrationCycles)},
		{regControl, gi},
		{regEnable, enablePON | enableAEN},
	} {
		if err := d.write(w[0], w[1]); err != nil {
			return busErr(fmt.Sprintf("writing register %#02x", w[0]), err)
		}
	}
	d.dirty = false
	d.readyAt = d.now().Add(d.waitTime())
	return nil
}

// waitTime covers the start-up cycle and one integration, plus a tenth for
// the chip's oscillator tolerance.
func (d *Dev) waitTime() time.Duration {
	t := time.Duration(d.set.IntegrationCycles+1) * d.v.CycleTime()
	return t + t/10
}

func (d *Dev) waitReady() {
	d.mu.Lock()
	wait := d.readyAt.Sub(d.now())
	d.mu.Unlock()
	if wait > 0 {
		d.sleep(wait)
	}
}

func (d *Dev) write(reg, v byte) error {
	d.w[0], d.w[1] = reg, v
	return d.c.Tx(d.w[:2], nil)
}

// Variant is the chip family found.
func (d *Dev) Variant() Variant { return d.v }

// ID is the chip's ID register: 0x90 or 0x93 (TCS340x), 0x44 or 0x4D
// (TCS3472x).
func (d *Dev) ID() byte { return d.id }

// Addr is the address the chip answered at.
func (d *Dev) Addr() uint16 { return d.c.Addr }

// Settings returns the gain and integration cycles in force.
func (d *Dev) Settings() Settings {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.set
}

// IntegrationTime is how long one reading takes with the current settings
// (python-sense-hat integration_time).
func (d *Dev) IntegrationTime() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Duration(d.set.IntegrationCycles) * d.v.CycleTime()
}

// Configure changes the gain and integration cycles, then waits until an
// integration with them has completed, so the next Sense reflects them. An
// invalid setting changes nothing and wraps ErrInvalidSetting. Sense from
// another goroutine returns ErrNotReady meanwhile instead of waiting.
func (d *Dev) Configure(s Settings) error {
	if err := s.Check(d.v); err != nil {
		return err
	}
	d.mu.Lock()
	if d.halted {
		d.mu.Unlock()
		return ErrHalted
	}
	if s == d.set && !d.dirty {
		d.mu.Unlock()
		return nil
	}
	d.set = s
	err := d.start()
	d.mu.Unlock()
	if err != nil {
		return err
	}
	d.waitReady()
	return nil
}

// Sense reads STATUS and the four channels in one bus transaction. It
// never waits: while the integration with the current settings is under
// way it returns ErrNotReady. It allocates nothing.
func (d *Dev) Sense(r *Reading) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halted {
		return ErrHalted
	}
	if d.dirty {
		// A bus error interrupted the last configuration: write it again.
		if err := d.start(); err != nil {
			return err
		}
	}
	now := d.now()
	if now.Before(d.readyAt) {
		return ErrNotReady
	}
	d.w[0] = regStatus
	if d.v == TCS3472x {
		d.w[0] |= autoInc
	}
	if err := d.c.Tx(d.w[:1], d.r[:]); err != nil {
		return busErr("reading STATUS and RGBC data", err)
	}
	if d.r[0]&avalid == 0 {
		if now.Sub(d.readyAt) > 2*d.waitTime() {
			// Integrating long since, yet nothing completed: the chip was
			// reset (a power glitch clears ENABLE). Start it again.
			d.dirty = true
			return fmt.Errorf("tcs34xx: no integration completed %v after enabling; the chip may have been reset, enabling it again", now.Sub(d.readyAt)+d.waitTime())
		}
		return ErrNotReady
	}
	r.Clear = uint16(d.r[1]) | uint16(d.r[2])<<8
	r.Red = uint16(d.r[3]) | uint16(d.r[4])<<8
	r.Green = uint16(d.r[5]) | uint16(d.r[6])<<8
	r.Blue = uint16(d.r[7]) | uint16(d.r[8])<<8
	r.Settings = d.set
	return nil
}

// String implements conn.Resource.
func (d *Dev) String() string { return fmt.Sprintf("%s{%s}", d.v, &d.c) }

// Halt implements conn.Resource: it powers the chip down (ENABLE 0).
// Sense fails with ErrHalted afterwards.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.write(regEnable, 0); err != nil {
		return busErr("powering down", err)
	}
	d.halted = true
	return nil
}

func busErr(what string, err error) error { return i2cchip.BusErr("tcs34xx", what, err) }
