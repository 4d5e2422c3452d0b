// Package thermal corrects the Sense HAT's temperature readings for the
// heat of the Raspberry Pi's CPU underneath the board.
//
// The HTS221 and LPS25H sit a few millimetres above the SoC, so they read
// several degrees above the room. A widely used empirical correction is
//
//	T = Ts - (Tcpu - Ts)/F
//
// where Ts is the average of the sensors' temperatures, Tcpu the CPU's
// (from /sys/class/thermal/thermal_zone0/temp, in millidegrees) and F a
// factor that depends on the case and airflow, typically 1.5 to 2. The
// hotter the CPU runs above the sensors, the more is taken off. Publish
// both the raw and the corrected value: the correction is an estimate.
package thermal
