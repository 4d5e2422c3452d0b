package sim

// The chips' I2C addresses on the Sense HAT.
const (
	ATtinyAddr = 0x46
	HTS221Addr = 0x5F
	LPS25HAddr = 0x5C
)

// HAT is a whole simulated Sense HAT: every chip attached at its address on
// one bus, as on the board's I2C-1.
type HAT struct {
	Bus     *Bus
	ATtiny  *ATtiny
	HTS221  *HTS221
	LPS25H  *LPS25H
	LSM9DS1 *LSM9DS1
}

// NewHAT returns a board at rest: flat, face up, 21.5 °C, 45 % RH,
// 1013.25 hPa, no key pressed.
func NewHAT() *HAT {
	h := &HAT{
		Bus:     NewBus("sim-i2c-1"),
		ATtiny:  NewATtiny(),
		HTS221:  NewHTS221(),
		LPS25H:  NewLPS25H(),
		LSM9DS1: NewLSM9DS1(),
	}
	h.HTS221.Set(21.5, 45)
	h.LPS25H.Set(1013.25, 21.5)
	h.LSM9DS1.SetAttitude(0, 0, 0)
	h.Bus.Attach(ATtinyAddr, h.ATtiny)
	h.Bus.Attach(HTS221Addr, h.HTS221)
	h.Bus.Attach(LPS25HAddr, h.LPS25H)
	h.LSM9DS1.Attach(h.Bus)
	return h
}
