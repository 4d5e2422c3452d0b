// Package echo repeats user input in error messages, bounded: a reply that
// echoes a whole hostile payload, or one in which every control character
// has grown fourfold by escaping, is itself a way to flood the client and
// the logs.
package echo

import (
	"strconv"
	"unicode/utf8"
)

// Max is how many bytes of escaped input Quote keeps between the quotes.
const Max = 32

// Ellipsis follows the closing quote when Quote left input out.
const Ellipsis = "…"

// Quote returns s Go-quoted, as strconv.Quote does, cut after at most Max
// bytes of quoted content and then marked with Ellipsis. It cuts after
// escaping and only between whole escapes, so the result is never longer
// than Max+2+len(Ellipsis) bytes whatever s holds, and never ends in half
// an escape or half a letter.
func Quote(s string) string {
	out := make([]byte, 0, Max+2+len(Ellipsis))
	out = append(out, '"')
	var piece []byte
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		// One rune (or one invalid byte) quoted alone escapes exactly as it
		// does inside the whole string.
		piece = strconv.AppendQuote(piece[:0], s[i:i+size])
		body := piece[1 : len(piece)-1]
		if len(out)-1+len(body) > Max {
			out = append(out, '"')
			return string(append(out, Ellipsis...))
		}
		out = append(out, body...)
		i += size
	}
	return string(append(out, '"'))
}

// QuoteBytes is Quote for a byte slice.
func QuoteBytes(b []byte) string { return Quote(string(b)) }
