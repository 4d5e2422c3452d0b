// Package orientation turns accelerometer, gyroscope and magnetometer
// readings into roll, pitch, yaw and a compass heading, and keeps the
// magnetometer's hard-iron calibration.
//
// # Conventions
//
// Readings are in the board frame of package lsm9ds1: X forward, Y left, Z
// out of the LED face (right-handed); accel in g with +1 g on Z lying flat
// face up, rates in degrees per second, field in µT. The world frame is
// North-West-Up. Angles are Tait-Bryan Z-Y-X: the board's attitude is
// Rz(yaw)·Ry(pitch)·Rx(roll), each positive by the right-hand rule about
// its axis. So:
//
//   - roll +30° lifts the left edge (right edge down), range (-180, 180];
//   - pitch +20° dips the forward edge, range [-90, 90];
//   - yaw +90° turns the board counter-clockwise seen from above; yaw 0 is
//     X pointing to magnetic north, range (-180, 180];
//   - Heading is the compass bearing of X, clockwise from magnetic north
//     in [0, 360): heading = -yaw, so yaw -90° is heading 90° (east).
//
// # Fusion
//
// Filter is a complementary filter on the Euler angles: each update
// integrates the gyro rates (converted to Euler angle rates) and pulls the
// result towards the angles measured from gravity and, when there is one,
// the tilt-compensated magnetometer, by (1 - GyroWeight). The gyro gives a
// smooth, fast response; gravity and the field remove its drift over a few
// seconds (time constant dt·w/(1-w), 4.9 s at 100 ms and w = 0.98). It was
// chosen over Madgwick's filter because its one parameter is easy to
// reason about and it needs no quaternion state to report Euler angles.
// Near pitch ±90° roll and yaw are undefined (gimbal lock) and jumpy.
//
// # Hard iron
//
// Magnetised parts on the board add a fixed offset to every magnetometer
// reading, which turns a compass heading into nonsense. Calibration finds
// it from the extremes seen while the board is turned through every
// direction: the centre of the min/max box. Save and LoadCalibration keep
// it across reboots.
package orientation
