package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Everything the tool prints goes out through appendEscaped, the one way
// out to a terminal or a file. Run puts a termWriter on the commands'
// standard output and error; what came over the network (device ids,
// status fields, replies, error texts from devices or the server, watched
// payloads, stored readings) is also escaped where it is formatted, with
// termSafe, so that a tab or a newline in it cannot forge a table row.
// A device, or anyone allowed to publish on its subjects, must not be able
// to drive the user's terminal (set the window title, clear the screen,
// move the cursor, rewrite earlier lines, reorder text with bidi
// overrides). What would act is shown escaped instead, so it stays
// visible: ESC as \x1b, U+009B (CSI on terminals that take 8-bit C1
// controls) as \u009b, U+202E as \u202e, an invalid UTF-8 byte as \xff.
// Backslashes are left alone: the escapes are for a person to read, not
// to be parsed back. JSON output uses JSON's own notation for the same
// runes (see termSafeJSON), so it stays JSON.

// unsafeRune reports a rune a terminal may act on or that changes how the
// text around it is shown: C0 and C1 controls and DEL, bidi controls,
// and the line and paragraph separators.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// termSafe returns s with every control character escaped, tab and
// newline included: for one field of a table or one line of output.
func termSafe(s string) string {
	if !needsEscape(s, "") {
		return s
	}
	return string(appendEscaped(nil, s, "", false))
}

// termSafeLines is termSafe keeping newlines and tabs: for messages that
// may span lines, such as joined errors.
func termSafeLines(s string) string {
	if !needsEscape(s, "\n\t") {
		return s
	}
	return string(appendEscaped(nil, s, "\n\t", false))
}

// needsEscape reports whether s holds invalid UTF-8 or an unsafe rune not
// in keep.
func needsEscape(s, keep string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || (unsafeRune(r) && !containsRune(keep, r)) {
			return true
		}
		i += n
	}
	return false
}

// appendEscaped is the one function every output goes through: it
// appends s to dst with every unsafe rune not in keep escaped, and every
// invalid UTF-8 byte. In JSON notation (for text that is JSON, where an
// unsafe rune can only be inside a string) a rune is written \uXXXX and
// an invalid byte \ufffd, what a JSON decoder reads it as; otherwise
// \x1b, \u202e and \xff, for a person.
func appendEscaped(dst []byte, s, keep string, jsonNotation bool) []byte {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			if jsonNotation {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = appendHex(dst, `\x`, uint32(s[i]), 2)
			}
		case unsafeRune(r) && !containsRune(keep, r):
			if r < 0x80 && !jsonNotation {
				dst = appendHex(dst, `\x`, uint32(r), 2)
			} else {
				dst = appendHex(dst, `\u`, uint32(r), 4)
			}
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

func containsRune(s string, r rune) bool {
	for _, k := range s {
		if k == r {
			return true
		}
	}
	return false
}

func appendHex(dst []byte, prefix string, v uint32, digits int) []byte {
	dst = append(dst, prefix...)
	h := strconv.FormatUint(uint64(v), 16)
	for i := len(h); i < digits; i++ {
		dst = append(dst, '0')
	}
	return append(dst, h...)
}

// termSafeJSON returns a reply for `--json` output on one line. Valid JSON
// stays valid and means the same: it is compacted, and runes a terminal
// could act on (which valid JSON can only hold inside strings) become
// \uXXXX escapes, as do invalid UTF-8 bytes (\ufffd, what a JSON decoder
// reads them as). Anything else is not JSON: it is shown escaped, like
// any other text from the network.
func termSafeJSON(data []byte) string {
	var compact bytes.Buffer
	if !json.Valid(data) || json.Compact(&compact, data) != nil {
		return termSafe(string(data))
	}
	b := compact.Bytes()
	if !needsEscape(string(b), "") {
		return string(b)
	}
	return string(appendEscaped(make([]byte, 0, len(b)+16), string(b), "", true))
}

// termSafeStrings makes every string reachable from v (a pointer to a
// decoded reply) termSafe, in place: struct fields, slices, arrays, map
// values and pointers, so a field added to a reply later is covered too.
func termSafeStrings(v any) {
	termSafeValue(reflect.ValueOf(v))
}

func termSafeValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface && e.Kind() == reflect.String {
				if v.CanSet() {
					v.Set(reflect.ValueOf(termSafe(e.String())).Convert(e.Type()))
				}
				return
			}
			termSafeValue(e)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(termSafe(v.String()))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				termSafeValue(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			termSafeValue(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		// Keys may change too: rebuild the map.
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			k := reflect.New(iter.Key().Type()).Elem()
			k.Set(iter.Key())
			termSafeValue(k)
			e := reflect.New(iter.Value().Type()).Elem()
			e.Set(iter.Value())
			termSafeValue(e)
			m.SetMapIndex(k, e)
		}
		if v.CanSet() {
			v.Set(m)
		}
	}
}

// termWriter is the last line of defence on the commands' standard
// output: whatever was not escaped where it was formatted is escaped
// here, keeping only the newlines and tabs the tool writes itself. A rune
// split across writes is held until its end arrives.
type termWriter struct {
	mu   sync.Mutex // the log handlers of web and emulate write from many goroutines
	w    io.Writer
	held []byte
	buf  []byte
}

func newTermWriter(w io.Writer) *termWriter { return &termWriter{w: w} }

func (t *termWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data := p
	if len(t.held) > 0 {
		data = append(t.held, p...)
		t.held = nil
	}
	// Hold an incomplete rune at the end: up to 3 bytes that start a
	// multi-byte sequence not yet finished.
	cut := len(data)
	for i := len(data) - 1; i >= 0 && i >= len(data)-3; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	if cut < len(data) {
		t.held = append([]byte(nil), data[cut:]...)
	}
	t.buf = appendEscaped(t.buf[:0], string(data[:cut]), "\n\t", false)
	if _, err := t.w.Write(t.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a rune left incomplete at the end, escaped.
func (t *termWriter) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.held) == 0 {
		return nil
	}
	b := appendEscaped(nil, string(t.held), "", false)
	t.held = nil
	_, err := t.w.Write(b)
	return err
}
