package orientation

import (
	"math"
	"time"
)

// Orientation is the board's attitude in degrees as python-sense-hat
// reports it; see the package documentation for the conventions. Yaw,
// Compass and Heading are meaningful only when HasYaw is true (a
// magnetometer reading was given); otherwise they are zero and should be
// left out of anything published.
type Orientation struct {
	// Roll, Pitch and Yaw are get_orientation_degrees' roll, pitch and
	// yaw, each in [0, 360).
	Roll, Pitch, Yaw float64
	// Compass is get_compass: the yaw from the magnetometer alone, without
	// tilt compensation, in [0, 360).
	Compass float64
	// Heading is the compass bearing of the matrix's top edge (rotation
	// 0), clockwise from magnetic north, tilt-compensated, in [0, 360).
	Heading float64
	HasYaw  bool
}

// FilterOpts configures a Filter.
type FilterOpts struct {
	// GyroWeight is how much of each update comes from the integrated
	// gyro, in (0, 1); the rest comes from gravity and the magnetometer.
	// 0 means DefaultFilterOpts.GyroWeight. Outside (0, 1) it is clamped:
	// 1 would never correct drift.
	GyroWeight float64
}

// DefaultFilterOpts suits updates every 10 to 100 ms.
var DefaultFilterOpts = FilterOpts{GyroWeight: 0.98}

// Filter fuses motion readings into an Orientation with a complementary
// filter. It is not safe for concurrent use: one goroutine owns a Filter.
type Filter struct {
	w                float64
	roll, pitch, yaw float64 // radians, RTIMULib's axes
	compass          float64 // radians
	init, yawInit    bool
}

// minAccel is the accel magnitude in g below which gravity cannot be told
// apart (free fall, or a sensor that returned zeros): the gyro alone then
// carries roll and pitch.
const minAccel = 0.1

// NewFilter returns a filter that takes its first attitude straight from
// the first Update's gravity and field.
func NewFilter(opts FilterOpts) *Filter {
	w := opts.GyroWeight
	switch {
	case w == 0:
		w = DefaultFilterOpts.GyroWeight
	case w < 0:
		w = 0
	case w > 0.999:
		w = 0.999
	}
	return &Filter{w: w}
}

// Reset forgets the attitude, so the next Update starts from the
// measurement alone, as after a long gap in readings.
func (f *Filter) Reset() { f.init, f.yawInit = false, false }

// Update adds one sample: accel in g and gyro in degrees per second in
// python-sense-hat's axes (package lsm9ds1), the field in µT in the same
// axes (nil without a magnetometer, with hard-iron correction already
// applied), and dt the time since the previous sample. It allocates
// nothing.
func (f *Filter) Update(accel, gyro [3]float64, mag *[3]float64, dt time.Duration) Orientation {
	mRoll, mPitch, haveAccel := tilt(accel)
	if !f.init {
		if !haveAccel {
			return f.orientation() // nothing to start from yet
		}
		f.roll, f.pitch, f.init = mRoll, mPitch, true
	} else {
		f.integrate(gyro, dt.Seconds())
		if haveAccel {
			f.roll = wrap(f.roll + (1-f.w)*wrap(mRoll-f.roll))
			f.pitch += (1 - f.w) * (mPitch - f.pitch)
		}
		f.pitch = math.Max(-math.Pi/2, math.Min(math.Pi/2, f.pitch))
	}
	if mag == nil || (mag[0] == 0 && mag[1] == 0 && mag[2] == 0) {
		f.yawInit = false
		return f.orientation()
	}
	mYaw := magYaw(*mag, f.roll, f.pitch)
	// get_compass turns accel and gyro off: no tilt compensation, and the
	// measurement alone, smoothed as RTQF's correction smooths it.
	mCompass := magYaw(*mag, 0, 0)
	if f.yawInit {
		f.yaw = wrap(f.yaw + (1-f.w)*wrap(mYaw-f.yaw))
		f.compass = wrap(f.compass + (1-f.w)*wrap(mCompass-f.compass))
	} else {
		f.yaw, f.compass, f.yawInit = mYaw, mCompass, true
	}
	return f.orientation()
}

// integrate advances the angles by the gyro rates over dt seconds, turning
// body rates into Z-Y-X Euler angle rates.
func (f *Filter) integrate(gyro [3]float64, dt float64) {
	if dt <= 0 {
		return
	}
	const rad = math.Pi / 180
	p, q, r := gyro[0]*rad, gyro[1]*rad, gyro[2]*rad
	sr, cr := math.Sincos(f.roll)
	sp, cp := math.Sincos(f.pitch)
	if math.Abs(cp) < 1e-3 { // gimbal lock: keep the rates finite
		cp = math.Copysign(1e-3, cp)
	}
	tp := sp / cp
	f.roll = wrap(f.roll + dt*(p+sr*tp*q+cr*tp*r))
	f.pitch += dt * (cr*q - sr*r)
	f.yaw = wrap(f.yaw + dt*(sr*q+cr*r)/cp)
}

func (f *Filter) orientation() Orientation {
	o := Orientation{Roll: degrees(f.roll), Pitch: degrees(f.pitch)}
	if f.yawInit {
		o.HasYaw = true
		o.Yaw = degrees(f.yaw)
		o.Compass = degrees(f.compass)
		o.Heading = degrees(f.yaw + math.Pi)
	}
	return o
}

// tilt returns roll and pitch in radians from gravity, and false when the
// accel is too weak to tell where down is.
func tilt(a [3]float64) (roll, pitch float64, ok bool) {
	if a[0]*a[0]+a[1]*a[1]+a[2]*a[2] < minAccel*minAccel {
		return 0, 0, false
	}
	return math.Atan2(a[1], a[2]), math.Atan2(-a[0], math.Hypot(a[1], a[2])), true
}

// magYaw returns the yaw in radians from the field m (µT) for the given
// roll and pitch in radians, as RTFusion::calculatePose computes it: the
// field is turned back to level by the roll and pitch (its quaternion
// rotation written out) and the yaw is -atan2 of its horizontal part.
func magYaw(m [3]float64, roll, pitch float64) float64 {
	sr, cr := math.Sincos(roll)
	sp, cp := math.Sincos(pitch)
	y := cr*m[1] - sr*m[2]
	z := sr*m[1] + cr*m[2]
	x := cp*m[0] + sp*z
	return math.Atan2(-y, x)
}

// degrees turns an angle in radians into degrees in [0, 360), as
// python-sense-hat's get_orientation_degrees maps (-180, 180] (it adds 360
// to negatives).
func degrees(rad float64) float64 {
	d := math.Mod(rad*180/math.Pi, 360)
	if d < 0 {
		d += 360
	}
	if d >= 360 { // a tiny negative plus 360 rounds to 360
		d -= 360
	}
	return d + 0 // turns -0 into 0, which would print as "-0"
}

// wrap brings an angle in radians into (-π, π].
func wrap(a float64) float64 {
	if a > math.Pi || a <= -math.Pi {
		a = math.Remainder(a, 2*math.Pi)
		if a == -math.Pi {
			a = math.Pi
		}
	}
	return a
}
