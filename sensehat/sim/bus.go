package sim

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// ErrNACK is returned for a transaction to an address no chip answers, or
// where a NACK was injected. It wraps EREMOTEIO, which is what Linux i2c-dev
// returns for a NACK, so drivers see the same errors.Is as on the board.
var ErrNACK = fmt.Errorf("sim: no acknowledge from device: %w", syscall.EREMOTEIO)

// ErrShortRead is returned when a read was cut short by an injected fault;
// only the first half of the read buffer was filled.
var ErrShortRead = fmt.Errorf("sim: short read: %w", io.ErrUnexpectedEOF)

// ErrStuck is returned by every transaction while the bus is stuck (SDA held
// low), as Linux reports a timeout.
var ErrStuck = fmt.Errorf("sim: bus stuck: %w", syscall.ETIMEDOUT)

// Chip is one device on the simulated bus: it sees the raw bytes of a
// transaction, exactly as the real chip sees them on the wire.
type Chip interface {
	Tx(w, r []byte) error
}

// fault holds the faults injected at one address.
type fault struct {
	nack      int // fail the next n transactions with ErrNACK
	shortRead int // cut the next n reads short
	every     int // intermittent: every n-th transaction NACKs (0: off)
	count     int
}

// Bus is a simulated I2C bus implementing periph's i2c.Bus, so the real
// drivers run unchanged against register-level chip models. It is safe for
// concurrent use; transactions are serialised as on a real bus.
type Bus struct {
	mu     sync.Mutex
	name   string
	chips  map[uint16]Chip
	faults map[uint16]*fault
	stuck  bool
	txs    map[uint16]int
	speed  physic.Frequency
}

var _ i2c.Bus = (*Bus)(nil)

// NewBus returns an empty bus; attach chips with Attach or use NewHAT.
func NewBus(name string) *Bus {
	return &Bus{
		name:   name,
		chips:  map[uint16]Chip{},
		faults: map[uint16]*fault{},
		txs:    map[uint16]int{},
		speed:  100 * physic.KiloHertz,
	}
}

// String implements i2c.Bus.
func (b *Bus) String() string { return b.name }

// SetSpeed implements i2c.Bus; the simulation records it only.
func (b *Bus) SetSpeed(f physic.Frequency) error {
	if f <= 0 {
		return errors.New("sim: invalid bus speed")
	}
	b.mu.Lock()
	b.speed = f
	b.mu.Unlock()
	return nil
}

// Attach puts chip c at address addr, replacing what was there: a chip that
// "comes back" after Detach is re-attached this way.
func (b *Bus) Attach(addr uint16, c Chip) {
	b.mu.Lock()
	b.chips[addr] = c
	b.mu.Unlock()
}

// Detach removes the chip at addr: it stops answering (NACK), as a chip
// that lost power or came loose.
func (b *Bus) Detach(addr uint16) {
	b.mu.Lock()
	delete(b.chips, addr)
	b.mu.Unlock()
}

// Chip returns the chip attached at addr, or nil.
func (b *Bus) Chip(addr uint16) Chip {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.chips[addr]
}

// InjectNACK makes the next n transactions to addr fail with ErrNACK.
func (b *Bus) InjectNACK(addr uint16, n int) { b.withFault(addr, func(f *fault) { f.nack = n }) }

// InjectShortRead makes the next n reads from addr return half their bytes
// and ErrShortRead.
func (b *Bus) InjectShortRead(addr uint16, n int) {
	b.withFault(addr, func(f *fault) { f.shortRead = n })
}

// InjectIntermittent makes every n-th transaction to addr NACK; 0 turns it off.
func (b *Bus) InjectIntermittent(addr uint16, n int) {
	b.withFault(addr, func(f *fault) { f.every = n })
}

// SetStuck makes every transaction on the bus fail with ErrStuck until
// called with false.
func (b *Bus) SetStuck(stuck bool) {
	b.mu.Lock()
	b.stuck = stuck
	b.mu.Unlock()
}

// Transactions returns how many transactions were addressed to addr,
// including failed ones.
func (b *Bus) Transactions(addr uint16) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.txs[addr]
}

// withFault changes the faults at addr under the bus lock, so faults can be
// injected while another goroutine is using the bus.
func (b *Bus) withFault(addr uint16, set func(*fault)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.faults[addr]
	if f == nil {
		f = &fault{}
		b.faults[addr] = f
	}
	set(f)
}

// Tx implements i2c.Bus.
func (b *Bus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.txs[addr]++
	if b.stuck {
		return ErrStuck
	}
	c := b.chips[addr]
	if c == nil {
		return ErrNACK
	}
	if f := b.faults[addr]; f != nil {
		f.count++
		if f.nack > 0 {
			f.nack--
			return ErrNACK
		}
		if f.every > 0 && f.count%f.every == 0 {
			return ErrNACK
		}
		if f.shortRead > 0 && len(r) > 0 {
			f.shortRead--
			full := make([]byte, len(r))
			if err := c.Tx(w, full); err != nil {
				return err
			}
			clear(r)
			copy(r, full[:len(r)/2])
			return ErrShortRead
		}
	}
	return c.Tx(w, r)
}
