// Package pysensehat re-implements, for tests only, the arithmetic by
// which python-sense-hat (through RTIMULib) turns the LSM9DS1's register
// bytes into the numbers its users see. It follows the upstream sources
// line by line, with their names, so a test can feed it the bytes a
// simulated chip holds and compare with what this project's drivers and
// orientation code report. Nothing outside tests should import it.
//
// Sources (RPi-Distro/RTIMULib, astro-pi/python-sense-hat):
//   - RTIMULib/IMUDrivers/RTIMULSM9DS1.cpp: IMURead (byte order, scales,
//     axis signs), setGyroSampleRate/setAccelCTRL6/setCompassCTRL2
//     (scales for the default ±500 dps, ±8 g, ±4 gauss).
//   - RTIMULib/RTMath.cpp: convertToVector, RTVector3::accelToEuler,
//     RTQuaternion::fromEuler, operator*, conjugate.
//   - RTIMULib/RTFusion.cpp: calculatePose.
//   - sense_hat/sense_hat.py: get_orientation_radians (x, y, z are roll,
//     pitch, yaw), get_orientation_degrees (-180..180 becomes 0..360),
//     get_compass (set_imu_config(True, False, False), then the yaw).
package pysensehat

import "math"

// Scales RTIMULib sets for its Sense HAT defaults (RTIMUSettings.cpp:
// LSM9DS1_GYRO_FSR_500, LSM9DS1_ACCEL_FSR_8, LSM9DS1_COMPASS_FSR_4).
const (
	GyroScale    = 0.0175 * math.Pi / 180 // rad/s per LSB (setGyroSampleRate)
	AccelScale   = 0.000244               // g per LSB (setAccelCTRL6)
	CompassScale = 0.014                  // µT per LSB (setCompassCTRL2)
)

// Vector is RTVector3.
type Vector [3]float64

// ConvertToVector is RTMath::convertToVector with bigEndian false.
func ConvertToVector(raw []byte, scale float64) Vector {
	var v Vector
	for i := range v {
		v[i] = float64(int16(uint16(raw[2*i+1])<<8|uint16(raw[2*i]))) * scale
	}
	return v
}

// IMURead is the conversion part of RTIMULSM9DS1::IMURead: the six bytes
// read from OUT_X_L_G, OUT_X_L_XL and the magnetometer's OUT_X_L_M become
// gyro (rad/s), accel (g) and compass (µT) with RTIMULib's axis signs.
// What python-sense-hat returns as gyroscope_raw, accelerometer_raw and
// compass_raw (the compass after RTIMULib's running average, which a
// still board reaches).
func IMURead(gyroData, accelData, compassData []byte) (gyro, accel, compass Vector) {
	gyro = ConvertToVector(gyroData, GyroScale)
	accel = ConvertToVector(accelData, AccelScale)
	compass = ConvertToVector(compassData, CompassScale)
	// "sort out gyro axes"
	gyro[2] = -gyro[2]
	// "sort out accel data"
	accel[0] = -accel[0]
	accel[1] = -accel[1]
	// "sort out compass axes"
	compass[0] = -compass[0]
	compass[2] = -compass[2]
	return gyro, accel, compass
}

// Quaternion is RTQuaternion: scalar, x, y, z.
type Quaternion [4]float64

// Mul is RTQuaternion::operator*= (the Hamilton product).
func (qa Quaternion) Mul(qb Quaternion) Quaternion {
	return Quaternion{
		qa[0]*qb[0] - qa[1]*qb[1] - qa[2]*qb[2] - qa[3]*qb[3],
		qa[0]*qb[1] + qa[1]*qb[0] + qa[2]*qb[3] - qa[3]*qb[2],
		qa[0]*qb[2] - qa[1]*qb[3] + qa[2]*qb[0] + qa[3]*qb[1],
		qa[0]*qb[3] + qa[1]*qb[2] - qa[2]*qb[1] + qa[3]*qb[0],
	}
}

// Conjugate is RTQuaternion::conjugate.
func (qa Quaternion) Conjugate() Quaternion { return Quaternion{qa[0], -qa[1], -qa[2], -qa[3]} }

// FromEuler is RTQuaternion::fromEuler (then normalize).
func FromEuler(v Vector) Quaternion {
	cosX2, sinX2 := math.Cos(v[0]/2), math.Sin(v[0]/2)
	cosY2, sinY2 := math.Cos(v[1]/2), math.Sin(v[1]/2)
	cosZ2, sinZ2 := math.Cos(v[2]/2), math.Sin(v[2]/2)
	q := Quaternion{
		cosX2*cosY2*cosZ2 + sinX2*sinY2*sinZ2,
		sinX2*cosY2*cosZ2 - cosX2*sinY2*sinZ2,
		cosX2*sinY2*cosZ2 + sinX2*cosY2*sinZ2,
		cosX2*cosY2*sinZ2 - sinX2*sinY2*cosZ2,
	}
	n := math.Sqrt(q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3])
	for i := range q {
		q[i] /= n
	}
	return q
}

// AccelToEuler is RTVector3::accelToEuler: roll and pitch from gravity,
// yaw zero.
func AccelToEuler(a Vector) Vector {
	n := math.Sqrt(a[0]*a[0] + a[1]*a[1] + a[2]*a[2])
	if n != 0 {
		a = Vector{a[0] / n, a[1] / n, a[2] / n}
	}
	return Vector{
		math.Atan2(a[1], a[2]),
		-math.Atan2(a[0], math.Sqrt(a[1]*a[1]+a[2]*a[2])),
		0,
	}
}

// CalculatePose is RTFusion::calculatePose with declination 0: the pose
// (roll, pitch, yaw in radians) measured from accel and compass. With
// accelEnabled false the roll and pitch are those of fusionPose (the
// previous fused pose) and its yaw is replaced; RTQF's fused pose settles
// on this measured pose while the board is still.
func CalculatePose(accel, mag Vector, accelEnabled bool, fusionPose Vector) Vector {
	var pose Vector
	if accelEnabled {
		pose = AccelToEuler(accel)
	} else {
		pose = fusionPose
		pose[2] = 0
	}
	q := FromEuler(pose)
	m := Quaternion{0, mag[0], mag[1], mag[2]}
	m = q.Mul(m).Mul(q.Conjugate())
	pose[2] = -math.Atan2(m[2], m[1])
	return pose
}

// Degrees is get_orientation_degrees applied to one angle: math.degrees,
// then +360 for negatives.
func Degrees(rad float64) float64 {
	deg := rad * 180 / math.Pi
	if deg < 0 {
		deg += 360
	}
	return deg
}

// Orientation is get_orientation_degrees for a still board: roll, pitch
// and yaw of the settled pose, each in [0, 360].
func Orientation(accel, compass Vector) (roll, pitch, yaw float64) {
	p := CalculatePose(accel, compass, true, Vector{})
	return Degrees(p[0]), Degrees(p[1]), Degrees(p[2])
}

// Compass is get_compass on a fresh SenseHat (as in python-sense-hat's
// docs/examples/compass.py): accel and gyro disabled before any
// orientation was read, so the fused roll and pitch are RTFusionRTQF's
// reset pose (zero) and the yaw comes from the magnetometer without tilt
// compensation.
func Compass(compass Vector) float64 {
	return Degrees(CalculatePose(Vector{}, compass, false, Vector{})[2])
}
