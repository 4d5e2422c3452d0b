package sim

// The chips' I2C addresses on the Sense HAT.
const (
	ATtinyAddr = 0x46
	HTS221Addr = 0x5F
	LPS25HAddr = 0x5C
)

// Model is a version of the board, which decides the colour sensor.
type Model int

// The boards NewHATModel can build.
const (
	// SenseHATv2 carries a TCS3400 colour sensor at 0x39.
	SenseHATv2 Model = iota
	// SenseHATv1 has no colour sensor.
	SenseHATv1
	// AstroPi is the flight unit's board, with a TCS34725 at 0x29.
	AstroPi
)

// DefaultLight is what the colour sensor of a new board sees: a dim,
// slightly warm room, in counts per integration cycle at gain 1.
var DefaultLight = struct{ Red, Green, Blue, Clear float64 }{Red: 40, Green: 35, Blue: 25, Clear: 100}

// HAT is a whole simulated Sense HAT: every chip attached at its address on
// one bus, as on the board's I2C-1.
type HAT struct {
	Bus     *Bus
	ATtiny  *ATtiny
	HTS221  *HTS221
	LPS25H  *LPS25H
	LSM9DS1 *LSM9DS1
	// Colour is the TCS3400 or TCS34725, nil on a Sense HAT v1.
	Colour *TCS34xx
	// ColourAddr is where Colour answers, 0 when there is none.
	ColourAddr uint16
	Model      Model
}

// NewHAT returns a Sense HAT v2 at rest: flat, face up, 21.5 °C, 45 % RH,
// 1013.25 hPa, DefaultLight, no key pressed.
func NewHAT() *HAT { return NewHATModel(SenseHATv2) }

// NewHATModel returns board m at rest, as NewHAT describes.
func NewHATModel(m Model) *HAT {
	h := &HAT{
		Bus:     NewBus("sim-i2c-1"),
		ATtiny:  NewATtiny(),
		HTS221:  NewHTS221(),
		LPS25H:  NewLPS25H(),
		LSM9DS1: NewLSM9DS1(),
		Model:   m,
	}
	h.HTS221.Set(21.5, 45)
	h.LPS25H.Set(1013.25, 21.5)
	h.LSM9DS1.SetAttitude(0, 0, 0)
	h.Bus.Attach(ATtinyAddr, h.ATtiny)
	h.Bus.Attach(HTS221Addr, h.HTS221)
	h.Bus.Attach(LPS25HAddr, h.LPS25H)
	h.LSM9DS1.Attach(h.Bus)
	switch m {
	case SenseHATv2:
		h.Colour, h.ColourAddr = NewTCS3400(), TCS3400Addr
	case AstroPi:
		h.Colour, h.ColourAddr = NewTCS34725(), TCS34725Addr
	}
	if h.Colour != nil {
		l := DefaultLight
		h.Colour.SetLight(l.Red, l.Green, l.Blue, l.Clear)
		h.Bus.Attach(h.ColourAddr, h.Colour)
	}
	return h
}
