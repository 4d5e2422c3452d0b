// Package display turns what users send into frames on the Sense HAT's 8x8
// LED matrix, and owns the matrix while the daemon runs.
//
// The pieces, from the wire inwards:
//
//   - RenderText and Scroll render a scroll step as a pure function of
//     text, font, offset and colours, so every frame can be tested without
//     time or hardware. A text enters from the right edge and leaves by the
//     left; a single glyph is shown still and centred instead.
//   - Transform and Scale apply the matrix's orientation and brightness.
//   - EncodeRGB565 produces the bytes of the rpi-sense-fb framebuffer:
//     128 bytes of RGB565 little endian, pixel (x, y) at byte 2*(8y+x); the
//     driver drops green's low bit and maps each 5-bit channel through a
//     32-entry gamma table (DefaultGamma, or LowLightGamma in low light).
//     The ATtiny88's own register layout lives with its driver
//     (sensehat/attiny), which applies the same tables.
//   - Player queues items (text, animations, clears), runs the one loop
//     that talks to the Device, skips frames identical to the last one sent
//     (an I2C frame costs about 4-18 ms on the wire) and reports what became
//     of each item through its Ticket. No item holds the matrix longer than
//     MaxItemDuration (10 minutes), and neither does the queue as a whole:
//     what is left of the item showing plus everything waiting; an
//     animation that loops Forever gives way as soon as another item is
//     waiting.
//
// Every per-frame path allocates nothing; the benchmarks prove it.
package display
