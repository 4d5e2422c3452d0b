// Package orientation turns accelerometer, gyroscope and magnetometer
// readings into roll, pitch, yaw and a compass heading, and keeps the
// magnetometer's hard-iron calibration.
//
// # Conventions
//
// Everything follows python-sense-hat, which takes it from RTIMULib, so a
// script ported from it sees the same numbers for the same attitude.
// Readings are in package lsm9ds1's axes (RTIMULib's): accel in g with
// +1 g on Z lying flat face up, rates in degrees per second, field in µT.
// The angles are RTIMULib's (RTFusion::calculatePose, RTVector3::
// accelToEuler):
//
//	roll  = atan2(ay, az)
//	pitch = -atan2(ax, sqrt(ay² + az²))
//	yaw   = -atan2(my', mx')   with m' the field turned level by roll and pitch
//
// reported as get_orientation_degrees reports them, each in [0, 360)
// (negative angles plus 360). On the board, held so that python-sense-hat's
// rotation 0 reads upright:
//
//   - roll grows as the right edge rises (roll 30 has the left edge 30°
//     down; -30 is reported as 330);
//   - pitch grows as the top edge dips;
//   - yaw grows turning clockwise seen from above, and is 0 with the top
//     edge towards magnetic south: RTIMULib's magnetometer vector is the
//     field's opposite in its accel axes (see package lsm9ds1), so its yaw
//     is the top edge's bearing plus 180°;
//   - Compass is python-sense-hat's get_compass: the same formula with
//     roll and pitch taken as zero, as on a board whose accelerometer was
//     never read (get_compass turns accel and gyro off), so it matches yaw
//     only when the board lies flat;
//   - Heading is what a hiker's compass would say for the top edge:
//     (yaw + 180) mod 360, tilt-compensated, 0 = magnetic north, 90 = east.
//
// # Fusion
//
// Filter is a complementary filter on the Euler angles: each update
// integrates the gyro rates (converted to Euler angle rates, the same
// kinematics as RTIMULib's quaternion q' = q⊗ω/2) and pulls the result
// towards the angles measured from gravity and, when there is one, the
// tilt-compensated magnetometer, by (1 - GyroWeight). A still board
// settles on the measured angles, as RTIMULib's RTQF filter does; while
// moving the two filters' lags differ. RTIMULib's gyro-bias learning and
// its running average of the magnetometer are not reproduced: they change
// nothing for a still board. The gyro gives a
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
