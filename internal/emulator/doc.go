// Package emulator shows a simulated Sense HAT to a person. It runs the
// real daemon on the simulated board (package sim), so what it shows is
// what a Pi would do with the same messages, and serves the fleet page
// (package fleet) with the board's own panel above it: the LED matrix, a
// joystick, sliders for what the sensors sense, and the device's NATS
// traffic. Terminal draws the matrix alone in a terminal instead.
//
// What the LEDs show is read back from the simulated ATtiny88: per row 8
// red, 8 green and 8 blue registers of 5 bits (0x00-0xBF). Those are PWM
// duties, linear light, after the host's gamma table; a screen shows them
// as sRGB of duty/31, which is how both views draw them. The joystick
// state is register 0xF2 (bit 0 down, 1 right, 2 up, 3 middle, 4 left).
//
// The page is plain HTML, CSS and JavaScript embedded in the binary: no
// CDN, nothing fetched at run time. The panel follows the board through
// server-sent events (GET /events: "frame" with the 192 registers in hex,
// "conditions", "msg") and drives it with form POSTs to /api/joystick and
// /api/conditions. Every request passes a webguard.Guard first: writes
// only from the page's own origin, Host names that cannot be DNS-rebound,
// small form bodies, no multipart, a bounded number of event streams.
package emulator
