package sim

import (
	"math"
	"sync"
	"time"
)

// The colour sensors' I2C addresses: the Sense HAT v2 carries a TCS3400 at
// 0x39, Astro Pi flight units a TCS34725 at 0x29.
const (
	TCS3400Addr  = 0x39
	TCS34725Addr = 0x29
)

// TCS34xx register offsets: the TCS3400's addresses less 0x80, which are
// also the TCS3472x's 5-bit ADDR field of its command byte.
const (
	tcsEnable  = 0x00
	tcsATime   = 0x01
	tcsControl = 0x0F
	tcsID      = 0x12
	tcsStatus  = 0x13
	tcsCDataL  = 0x14 // then CDATAH, RDATAL/H, GDATAL/H, BDATAL/H up to 0x1B
	tcsBDataH  = 0x1B

	tcsPON    = 0x01
	tcsAEN    = 0x02
	tcsAVALID = 0x01
)

// TCS34xx is a register-level model of the ams TCS3400 and TCS3472x colour
// sensors. Both share the register layout; they differ in how the first
// byte of a transaction is read, in the gain table and in the cycle time:
//
//   - TCS3400: the byte is a register address (0x80-0xFF) and reads and
//     writes always advance it. Gains 1/4/16/64, one cycle 2.75 ms.
//   - TCS3472x: the byte is a command (bit 7 set): TYPE (bits 6:5) 00 reads
//     and writes the same register repeatedly, 01 advances, 11 is a special
//     function; a first byte without bit 7 is data written at the address of
//     the last command. Gains 1/4/16/60, one cycle 2.4 ms.
//
// The light is set per channel in counts that one integration cycle at
// gain 1 gathers. With PON and AEN set, an integration of 256 − ATIME
// cycles completes every cycles × cycle time, and its counts are
// light × gain × cycles, rounded and saturated at the full scale
// (1024 × cycles, at most 65535). STATUS.AVALID is set when the first
// integration completes and cleared when AEN is. A change of ATIME or
// CONTROL takes effect when the integration in progress ends, as on the
// chip; the first integration starts one cycle after PON (the warm-up).
// Reading a data low byte latches its high byte, as the datasheets
// describe, so a 16-bit value read in two transactions is still one
// sample's.
type TCS34xx struct {
	mu      sync.Mutex
	tcs3400 bool
	step    time.Duration
	gains   [4]float64
	now     func() time.Time

	mem   [0x80]byte
	ptr   byte
	inc   bool
	valid bool // the pointer addresses a register (TCS3400: 0x80 and up)
	latch [4]byte
	light [4]float64 // clear, red, green, blue: counts per cycle at gain 1

	ponAt      time.Time
	running    bool
	cycleStart time.Time
	curATime   byte // the integration in progress runs with these
	curGain    byte
}

var _ Chip = (*TCS34xx)(nil)

// NewTCS3400 returns a TCS3400 (ID 0x90), the Sense HAT v2's sensor,
// powered down and in the dark.
func NewTCS3400() *TCS34xx { return NewTCS34xx(0x90) }

// NewTCS34725 returns a TCS34725 (ID 0x44), the Astro Pi's sensor, powered
// down and in the dark.
func NewTCS34725() *TCS34xx { return NewTCS34xx(0x44) }

// NewTCS34xx returns a sensor whose ID register reads id: the family is
// chosen as python-sense-hat tells them apart, (id & 0xF8) == 0x90 for a
// TCS340x, anything else behaves as a TCS3472x (0x44 or 0x4D on real
// parts), so a test can also present an ID no driver should accept.
func NewTCS34xx(id byte) *TCS34xx {
	c := &TCS34xx{now: time.Now}
	if id&0xF8 == 0x90 {
		c.tcs3400, c.step, c.gains = true, 2750*time.Microsecond, [4]float64{1, 4, 16, 64}
	} else {
		c.step, c.gains = 2400*time.Microsecond, [4]float64{1, 4, 16, 60}
	}
	c.mem[tcsATime] = 0xFF
	c.mem[tcsID] = id
	return c
}

// SetClock replaces the clock that times integrations (time.Now by
// default), so tests can step time instead of sleeping.
func (c *TCS34xx) SetClock(now func() time.Time) {
	c.mu.Lock()
	c.now = now
	c.mu.Unlock()
}

// SetLight sets what each channel gathers in one integration cycle at gain
// 1, in counts (1024 fills a one-cycle reading). It shows in the outputs
// when the integration in progress completes.
func (c *TCS34xx) SetLight(red, green, blue, clear float64) {
	c.mu.Lock()
	c.light = [4]float64{clear, red, green, blue}
	c.mu.Unlock()
}

// Light returns what SetLight last set.
func (c *TCS34xx) Light() (red, green, blue, clear float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.light[1], c.light[2], c.light[3], c.light[0]
}

// Register returns register reg as the TCS3400 numbers it (0x80-0x9B; the
// TCS3472x's ADDR field plus 0x80), for tests.
func (c *TCS34xx) Register(reg byte) byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance(c.now())
	return c.mem[reg&0x7F]
}

// Tx implements Chip.
func (c *TCS34xx) Tx(w, r []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.advance(now)
	if len(w) > 0 {
		data := w
		if c.command(w[0]) {
			data = w[1:]
		}
		for _, v := range data {
			c.write(v, now)
			c.next()
		}
	}
	for i := range r {
		r[i] = c.read()
		c.next()
	}
	return nil
}

// command decodes the first byte of a write and reports whether it was an
// address or command (true) rather than data.
func (c *TCS34xx) command(p byte) bool {
	if c.tcs3400 {
		c.ptr, c.inc, c.valid = p&0x7F, true, p >= 0x80
		return true
	}
	if p&0x80 == 0 {
		return false // data for the register of the last command
	}
	switch p >> 5 & 3 {
	case 0:
		c.ptr, c.inc, c.valid = p&0x1F, false, true
	case 1:
		c.ptr, c.inc, c.valid = p&0x1F, true, true
	}
	// 11: special function (interrupt clear; no interrupts are modelled);
	// 10: reserved. Neither moves the pointer.
	return true
}

func (c *TCS34xx) next() {
	if c.inc {
		c.ptr = (c.ptr + 1) & 0x7F
	}
}

func (c *TCS34xx) read() byte {
	if !c.valid {
		return 0
	}
	off := c.ptr
	if off >= tcsCDataL && off <= tcsBDataH {
		ch := (off - tcsCDataL) / 2
		if off%2 == 0 {
			c.latch[ch] = c.mem[off+1]
			return c.mem[off]
		}
		return c.latch[ch]
	}
	return c.mem[off]
}

func (c *TCS34xx) write(v byte, now time.Time) {
	if !c.valid {
		return
	}
	switch off := c.ptr; off {
	case tcsEnable:
		was := c.mem[tcsEnable]
		c.mem[tcsEnable] = v
		if v&tcsPON != 0 && was&tcsPON == 0 {
			c.ponAt = now
		}
		on := v&(tcsPON|tcsAEN) == tcsPON|tcsAEN
		switch {
		case on && !c.running:
			c.running = true
			c.cycleStart = now
			if warm := c.ponAt.Add(c.step); warm.After(now) {
				c.cycleStart = warm
			}
			c.curATime, c.curGain = c.mem[tcsATime], c.mem[tcsControl]&3
		case !on && c.running:
			c.running = false
			c.mem[tcsStatus] &^= tcsAVALID
		}
	case tcsControl:
		c.mem[off] = v & 3
	case tcsATime, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0C, 0x0D:
		c.mem[off] = v // ATIME, WTIME, thresholds, PERS, CONFIG
	}
	// ID, STATUS and the outputs are read-only.
}

// integration is how long ATIME a lasts.
func (c *TCS34xx) integration(atime byte) time.Duration {
	return time.Duration(256-int(atime)) * c.step
}

// advance completes the integrations that ended by now.
func (c *TCS34xx) advance(now time.Time) {
	if !c.running {
		return
	}
	t := c.integration(c.curATime)
	if now.Before(c.cycleStart.Add(t)) {
		return
	}
	c.complete()
	c.cycleStart = c.cycleStart.Add(t)
	// Later integrations run with the registers as they are now.
	c.curATime, c.curGain = c.mem[tcsATime], c.mem[tcsControl]&3
	t = c.integration(c.curATime)
	if n := now.Sub(c.cycleStart) / t; n > 0 {
		c.complete()
		c.cycleStart = c.cycleStart.Add(n * t)
	}
}

// complete stores one integration's counts with the current settings.
func (c *TCS34xx) complete() {
	cycles := 256 - int(c.curATime)
	full := min(1024*cycles, 65535)
	for i, l := range c.light {
		v := math.Round(l * c.gains[c.curGain] * float64(cycles))
		v = math.Max(0, math.Min(float64(full), v))
		n := uint16(v)
		c.mem[tcsCDataL+2*i] = byte(n)
		c.mem[tcsCDataL+2*i+1] = byte(n >> 8)
	}
	c.mem[tcsStatus] |= tcsAVALID
}
