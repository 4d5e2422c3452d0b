package display

// Device is what the Player drives: anything that can put a Frame on the
// matrix. Implementations live in sensehat/ (framebuffer, I2C, sim, none).
// Show must not retain f after it returns: the player reuses it.
type Device interface {
	Show(f *Frame) error
	// Halt blanks the matrix and releases the hardware.
	Halt() error
	String() string
}
