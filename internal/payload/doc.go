// Package payload is the one parser of the sensehat service's requests:
// what a user may send to led.text, led.pixels, led.clear, led.config,
// led.frame, led.frame.watch and colour.config, and the error message they
// get back when it is not that. LEDText, LEDPixels and LEDClear return the
// display's item to show; ParseConfig the display's Config; the others the
// contract's request types (package wire). Colours are parsed here and
// nowhere else (ParseColor, ParseColorJSON).
//
// Every parser refuses bad input with a *wire.Error of code wire.Invalid,
// which the service answers as a micro error reply with code "400" (or
// logs, without a reply subject). Its message names the endpoint, says
// what was wrong and what is accepted, and quotes input the one way
// (rune-safe, cut short). Every JSON request is read by one strict path.
// Sizes are checked before anything is parsed, JSON nesting before the
// JSON decoder runs, and image dimensions and GIF frame counts before any
// pixel is decoded, so no payload makes the daemon allocate more than a
// small multiple of its size.
//
// # led.text
//
// At most MaxPayload bytes (64 KiB) and MaxTextRunes characters (1000).
//
// Plain UTF-8 text is scrolled in white on black at 10 columns a second,
// once:
//
//	nats pub sensehat.pi1.led.text "hello world"
//
// Line endings at the end are dropped; other newlines and tabs are shown as
// spaces. Invalid UTF-8, NUL and every other control character are refused,
// and so is a text of only spaces.
//
// A payload whose first non-space character is '{' is a JSON object of
// options; if it is not valid JSON the reply says so (to scroll a text that
// starts with '{', send it as {"text":"{..."}):
//
//	{"text":"hot!", "color":"red", "background":[0,0,40],
//	 "speed":20, "repeat":3, "mode":"replace"}
//
// The fields are:
//
//   - text: required, as above.
//   - color, background: a colour (see below); white and black by default.
//   - speed: columns per second, 1 to 100, default 10.
//   - repeat: passes, 1 to 100, default 1.
//   - mode: "queue" (the default) waits its turn; "replace" drops the queue
//     and interrupts what is scrolling.
//
// Field names are lower case; any other field is refused, and a null value
// counts as not given.
//
// JSON is read strictly, in every endpoint alike: a field given
// twice, a \u escape of half a UTF-16 surrogate pair ("\ud800") and a
// number too small for a 64-bit float (1e-400) are refused, where a JSON
// decoder would keep the last value, put U+FFFD, or read 0 without a word.
// Raw invalid UTF-8 is refused as well.
//
// # Play time
//
// One request may hold the matrix for at most MaxDuration (10 minutes), so
// that the requests queued behind it get their turn. The display's player
// checks it when the item is submitted, before anything is queued (this
// package does not: the player alone knows the queue): a text takes repeat
// passes of its width plus 8 columns at speed columns a second (a single
// letter, shown still, one second a pass); a GIF takes the sum of its
// frame delays times its passes. A request over the limit is refused with
// a 400 saying how long it would play. A GIF that loops forever (loop count 0) counts one pass: it
// plays one whole pass, then loops on only while nothing else is queued,
// ending, as displayed, at the end of the frame showing when another
// request is.
//
// # Colours
//
// A colour name (red, green, blue, white, black or off, orange, pink, ...,
// case-insensitive), "#rrggbb", "#rgb", or in JSON an array [r,g,b] of
// integers 0 to 255. In JSON a name or hex form is a string: "red".
//
// # led.pixels
//
// At most MaxPixelsPayload bytes (1 MiB). One of:
//
//   - a PNG of exactly 8x8 pixels; transparent pixels show black;
//   - a GIF of exactly 8x8 pixels, animated or not: at most MaxFrames (256)
//     frames and MaxDuration (10 minutes) of play, all passes together.
//     Frames are composited as browsers do (transparency, disposal), play
//     with their own delays (a delay of 0 or 1 hundredth of a second means
//     100 ms, as in browsers) and loop as the GIF's NETSCAPE2.0 extension
//     says: without it once, with loop count n n+1 times, with 0 forever,
//     which means until another request is queued (see Play time);
//   - exactly 192 bytes: raw RGB888, 3 bytes (R, G, B) a pixel, row by row
//     from the top left;
//   - exactly 128 bytes: RGB565, 2 bytes a pixel, little endian, same order;
//   - a JSON array of exactly 64 colours, in the same order:
//     ["red","#00ff00",[0,0,255],...].
//
// The form is recognised by the PNG and GIF signatures first, then by the
// two raw sizes, then by a leading '['. A JSON array of 64 colours is always
// longer than 192 bytes, so the raw sizes are never ambiguous; a 192- or
// 128-byte payload that starts like an image but is not one is raw pixels.
// Any other payload is refused with the list above.
//
// # led.clear
//
// At most MaxPayload bytes. An empty payload (or only white space) clears
// the matrix to black; otherwise it is filled with a colour, written plain
// (red, #ff0000) or as JSON ("red", [255,0,0]).
//
// # led.config
//
// At most MaxPayload bytes. A JSON object with one or more of:
//
//   - rotation: 0, 90, 180 or 270 (degrees clockwise);
//   - low_light: true or false;
//   - flip: "h" (mirror left-right), "v" (top-bottom), "hv" or "vh" (both),
//     "" or "none" (neither). The value replaces the whole flip setting;
//   - brightness: 0 to 1.
//
// Fields not given keep their setting. Unknown fields are refused, and so
// is an empty object: it would change nothing.
//
// # led.frame and led.frame.watch
//
// led.frame: empty or "raw" (also "rgb888") for 192 bytes of RGB888, "png"
// for an 8x8 PNG, or {"format":"png"}. led.frame.watch: empty for a lease
// of wire.DefaultLease, a number of seconds, or {"seconds":N}, more than 0
// and at most wire.MaxLease.
//
// # colour.config
//
// Empty to ask for the settings, or {"gain":16,"integration_cycles":64};
// the gain is checked against the chip found by the colour sensor's
// control.
package payload
