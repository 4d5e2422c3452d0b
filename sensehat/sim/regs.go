package sim

import "sync"

// Registers is the register file shared by the chip models: a pointer set by
// the first written byte, then reads and writes at the pointer.
//
// Decode splits the pointer byte into a register address and whether the
// pointer auto-increments: ST sensors increment only when bit 7 of the
// sub-address is set, the ATtiny always does. OnRead and OnWrite, when set,
// let a chip compute outputs on demand or react to control writes; they are
// called with the register file locked and may use Mem directly.
type Registers struct {
	mu      sync.Mutex
	Mem     [256]byte
	Decode  func(p byte) (reg byte, inc bool)
	OnRead  func(reg byte) byte
	OnWrite func(reg, v byte)
	ptr     byte
	inc     bool
}

// STDecode is the ST convention: bit 7 of the sub-address enables
// auto-increment, bits 0-6 are the register.
func STDecode(p byte) (byte, bool) { return p & 0x7f, p&0x80 != 0 }

// AlwaysIncrement is the ATtiny88 convention: a plain 8-bit pointer that
// always advances.
func AlwaysIncrement(p byte) (byte, bool) { return p, true }

// Tx implements Chip.
func (rf *Registers) Tx(w, r []byte) error {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if len(w) > 0 {
		dec := rf.Decode
		if dec == nil {
			dec = AlwaysIncrement
		}
		rf.ptr, rf.inc = dec(w[0])
		for _, v := range w[1:] {
			if rf.OnWrite != nil {
				rf.OnWrite(rf.ptr, v)
			} else {
				rf.Mem[rf.ptr] = v
			}
			rf.advance()
		}
	}
	for i := range r {
		if rf.OnRead != nil {
			r[i] = rf.OnRead(rf.ptr)
		} else {
			r[i] = rf.Mem[rf.ptr]
		}
		rf.advance()
	}
	return nil
}

func (rf *Registers) advance() {
	if rf.inc {
		rf.ptr++
	}
}

// Lock runs fn with the register file locked, for test code and physical
// value setters that change several registers at once.
func (rf *Registers) Lock(fn func(mem *[256]byte)) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	fn(&rf.Mem)
}

// regFile is the register file of an ST chip model, giving it Tx and
// Register; the model sets Decode, OnRead and OnWrite.
type regFile struct {
	regs Registers
}

// Tx implements Chip.
func (f *regFile) Tx(w, r []byte) error { return f.regs.Tx(w, r) }

// Register returns the current value of register reg, for tests that
// check what a driver configured.
func (f *regFile) Register(reg byte) byte {
	var v byte
	f.regs.Lock(func(mem *[256]byte) { v = mem[reg] })
	return v
}
