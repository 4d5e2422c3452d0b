package sim

import (
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/sensehat/sensehat/sensehat"
)

// ATtiny88 register map, as the Sense HAT firmware exposes it.
const (
	attinyFrameEnd = 0xC0 // registers 0x00-0xBF hold the LED frame
	attinyWhoAmI   = 0xF0
	attinyVersion  = 0xF1
	attinyKeys     = 0xF2
	attinyEEPROMWP = 0xF3

	// ATtinyID is what the firmware answers at register 0xF0 (ASCII 's').
	ATtinyID = 0x73
)

// attinyKeyBits maps each key to its bit in register 0xF2. The model keeps
// its own table, independent of the driver's, so a driver test against the
// model cross-checks the mapping instead of repeating it.
var attinyKeyBits = [...]byte{
	sensehat.KeyDown:   1 << 0,
	sensehat.KeyRight:  1 << 1,
	sensehat.KeyUp:     1 << 2,
	sensehat.KeyMiddle: 1 << 3,
	sensehat.KeyLeft:   1 << 4,
}

// ATtiny models the Sense HAT's ATtiny88: the 192-byte LED frame, the
// who-am-I and version registers, and the joystick register with its
// interrupt line on GPIO23. It implements Chip; attach it at 0x46.
type ATtiny struct {
	regs Registers
	irq  *irqPin

	// mu serialises transactions so the per-transaction flags below belong
	// to exactly one of them.
	mu           sync.Mutex
	wroteFrame   bool
	changedFrame bool
	frameWrites  int

	onFrame atomic.Pointer[func()]
}

var _ Chip = (*ATtiny)(nil)

// NewATtiny returns the model in its power-on state: black frame, no key
// pressed, interrupt line low.
func NewATtiny() *ATtiny {
	a := &ATtiny{irq: newIRQPin("GPIO23", 23)}
	a.regs.Decode = AlwaysIncrement
	a.regs.Mem[attinyWhoAmI] = ATtinyID
	a.regs.Mem[attinyVersion] = 0
	a.regs.OnWrite = a.write
	a.regs.OnRead = a.read
	return a
}

// write is called with the register file locked.
func (a *ATtiny) write(reg, v byte) {
	switch {
	case reg < attinyFrameEnd:
		a.wroteFrame = true
		if duty(a.regs.Mem[reg]) != duty(v) {
			a.changedFrame = true
		}
		a.regs.Mem[reg] = v
	case reg == attinyEEPROMWP:
		a.regs.Mem[reg] = v
	}
	// Who-am-I, version and joystick state are read-only in the firmware.
}

// read is called with the register file locked.
func (a *ATtiny) read(reg byte) byte {
	if reg == attinyKeys {
		// The firmware drops the interrupt line once the host has
		// fetched the state.
		a.irq.set(false)
	}
	return a.regs.Mem[reg]
}

// Tx implements Chip.
func (a *ATtiny) Tx(w, r []byte) error {
	a.mu.Lock()
	a.wroteFrame, a.changedFrame = false, false
	err := a.regs.Tx(w, r)
	if a.wroteFrame {
		a.frameWrites++
	}
	changed := a.changedFrame
	a.mu.Unlock()
	if changed {
		if fn := a.onFrame.Load(); fn != nil {
			(*fn)()
		}
	}
	return err
}

// duty is how many 64ths of each PWM cycle the firmware lights an LED
// whose register holds v: its counter runs 0..63 and the LED is on while
// the count is below v (rpi-sense.S, draw_loop and COL_OUT).
func duty(v byte) byte { return min(v, 64) }

// Frame returns a snapshot of the LED frame in register order (per row 8
// red, 8 green, 8 blue), each value the LED's duty in 64ths (0..64; the
// kernel driver's tables stop at 31, 48 %).
func (a *ATtiny) Frame() [192]byte {
	var f [192]byte
	a.regs.Lock(func(mem *[256]byte) {
		for i := range f {
			f[i] = duty(mem[i])
		}
	})
	return f
}

// Pixel returns the red, green and blue duty of LED (x, y) in 64ths of
// the PWM cycle; (0, 0) is the top left with the HDMI port at the bottom.
func (a *ATtiny) Pixel(x, y int) (r, g, b uint8) {
	if x < 0 || x >= 8 || y < 0 || y >= 8 {
		return 0, 0, 0
	}
	o := y*24 + x
	a.regs.Lock(func(mem *[256]byte) {
		r, g, b = duty(mem[o]), duty(mem[o+8]), duty(mem[o+16])
	})
	return r, g, b
}

// FrameWrites returns how many transactions wrote at least one frame
// register, changed or not: what a driver that skips unchanged frames must
// keep low.
func (a *ATtiny) FrameWrites() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.frameWrites
}

// OnFrame sets fn to be called after each transaction that changed what the
// LEDs show; nil removes it. fn runs on the bus caller's goroutine with no
// model lock held, so it may call Frame or Pixel; the Bus is still busy
// with the transaction, so fn must not start another one on it, and it
// should return quickly (hand the frame to another goroutine).
func (a *ATtiny) OnFrame(fn func()) {
	if fn == nil {
		a.onFrame.Store(nil)
		return
	}
	a.onFrame.Store(&fn)
}

// Press holds key k down: its bit in 0xF2 is set and, if that changed the
// state, the interrupt line rises.
func (a *ATtiny) Press(k sensehat.Key) { a.setKey(k, true) }

// Release lets key k go: its bit in 0xF2 is cleared and, if that changed
// the state, the interrupt line rises.
func (a *ATtiny) Release(k sensehat.Key) { a.setKey(k, false) }

func (a *ATtiny) setKey(k sensehat.Key, down bool) {
	if int(k) >= len(attinyKeyBits) || attinyKeyBits[k] == 0 {
		return
	}
	bit := attinyKeyBits[k]
	a.regs.Lock(func(mem *[256]byte) {
		old := mem[attinyKeys]
		if down {
			mem[attinyKeys] |= bit
		} else {
			mem[attinyKeys] &^= bit
		}
		// Raised under the register lock so a concurrent read of 0xF2
		// either sees the new state and clears the line, or runs first.
		if mem[attinyKeys] != old {
			a.irq.set(true)
		}
	})
}

// Keys returns the raw joystick register 0xF2 without clearing the
// interrupt, as a test probe would see it.
func (a *ATtiny) Keys() byte {
	var v byte
	a.regs.Lock(func(mem *[256]byte) { v = mem[attinyKeys] })
	return v
}

// Interrupt returns the simulated GPIO23 input the firmware raises when the
// joystick state changes; it stays high until register 0xF2 is read.
func (a *ATtiny) Interrupt() gpio.PinIn { return a.irq }

// irqPin is a simulated input pin driven by the model. Edges are delivered
// through a one-slot channel, so edges that pile up between two
// WaitForEdge calls coalesce, as they do with Linux GPIO.
type irqPin struct {
	name   string
	number int

	mu    sync.Mutex
	level gpio.Level
	pull  gpio.Pull
	edge  gpio.Edge
	edges chan struct{}

	waitMu sync.Mutex // one waiter at a time owns timer
	timer  *time.Timer
}

var _ gpio.PinIn = (*irqPin)(nil)

func newIRQPin(name string, number int) *irqPin {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &irqPin{
		name:   name,
		number: number,
		pull:   gpio.PullDown,
		edge:   gpio.NoEdge,
		edges:  make(chan struct{}, 1),
		timer:  t,
	}
}

// set drives the line; a change signals an edge if In asked for it.
func (p *irqPin) set(l gpio.Level) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.level == l {
		return
	}
	p.level = l
	if (l == gpio.High && p.edge&gpio.RisingEdge != 0) || (l == gpio.Low && p.edge&gpio.FallingEdge != 0) {
		select {
		case p.edges <- struct{}{}:
		default:
		}
	}
}

// String implements conn.Resource.
func (p *irqPin) String() string { return p.name }

// Halt implements conn.Resource; it stops edge detection.
func (p *irqPin) Halt() error {
	p.mu.Lock()
	p.edge = gpio.NoEdge
	p.mu.Unlock()
	return nil
}

// Name implements pin.Pin.
func (p *irqPin) Name() string { return p.name }

// Number implements pin.Pin.
func (p *irqPin) Number() int { return p.number }

// Function implements pin.Pin.
func (p *irqPin) Function() string { return "In/" + p.Read().String() }

// In implements gpio.PinIn: it sets the edges to report and forgets any
// edge seen before.
func (p *irqPin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pull != gpio.PullNoChange {
		p.pull = pull
	}
	p.edge = edge
	select {
	case <-p.edges:
	default:
	}
	return nil
}

// Read implements gpio.PinIn.
func (p *irqPin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// WaitForEdge implements gpio.PinIn. A negative timeout waits forever;
// without edge detection set up by In it returns false at once rather than
// block a caller that forgot to call In.
func (p *irqPin) WaitForEdge(timeout time.Duration) bool {
	p.mu.Lock()
	edge := p.edge
	p.mu.Unlock()
	if edge == gpio.NoEdge {
		return false
	}
	select {
	case <-p.edges:
		return true
	default:
	}
	if timeout == 0 {
		return false
	}
	if timeout < 0 {
		<-p.edges
		return true
	}
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	p.timer.Reset(timeout)
	defer p.timer.Stop()
	select {
	case <-p.edges:
		return true
	case <-p.timer.C:
		return false
	}
}

// Pull implements gpio.PinIn.
func (p *irqPin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull implements gpio.PinIn: BCM GPIO9-27 reset to pull-down.
func (p *irqPin) DefaultPull() gpio.Pull { return gpio.PullDown }
