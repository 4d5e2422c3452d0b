package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// strictJSON checks what encoding/json lets through without a word, in a
// document json.Valid has accepted:
//
//   - a \u escape of half a UTF-16 surrogate pair (\ud800 alone), which
//     encoding/json turns into U+FFFD, where raw invalid UTF-8 is refused;
//   - a number too small for a float64, which strconv reads as 0 without
//     an error (1e-400); one too large is refused by every field's decoder;
//   - a member name twice in one object, where encoding/json keeps the last
//     value and drops the first without a word.
//
// It returns "" or the problem, with its byte offset.
func strictJSON(data []byte) string {
	s := strictScanner{data: data}
	s.value()
	return s.problem
}

// strictScanner walks valid JSON. It stops at the first problem; nesting
// is bounded by the callers' depth checks.
type strictScanner struct {
	data    []byte
	i       int
	depth   int    // objects open
	member  string // the top-level member being walked
	problem string
}

// where names the top-level member the problem is in, for the message.
func (s *strictScanner) where() string {
	if s.depth == 0 || s.member == "" {
		return ""
	}
	return quote([]byte(s.member)) + ": "
}

func (s *strictScanner) fail(format string, args ...any) {
	if s.problem == "" {
		s.problem = fmt.Sprintf(format, args...)
	}
}

func (s *strictScanner) space() {
	s.i = skipJSONSpace(s.data, s.i)
}

func (s *strictScanner) value() {
	s.space()
	if s.problem != "" || s.i >= len(s.data) {
		return
	}
	switch c := s.data[s.i]; {
	case c == '{':
		s.object()
	case c == '[':
		s.i++
		s.space()
		if s.i < len(s.data) && s.data[s.i] == ']' {
			s.i++
			return
		}
		for s.problem == "" && s.i < len(s.data) {
			s.value()
			s.space()
			if s.i >= len(s.data) || s.data[s.i] == ']' {
				s.i++
				return
			}
			s.i++ // ','
		}
	case c == '"':
		s.str()
	case c == 't' || c == 'n':
		s.i += 4
	case c == 'f':
		s.i += 5
	default:
		s.number()
	}
}

func (s *strictScanner) object() {
	s.i++ // '{'
	s.depth++
	defer func() { s.depth-- }()
	var seen map[string]bool
	for s.problem == "" {
		s.space()
		if s.i >= len(s.data) || s.data[s.i] == '}' {
			s.i++
			return
		}
		if s.data[s.i] == ',' {
			s.i++
			continue
		}
		if s.depth == 1 {
			s.member = "" // a problem in the name is in no member
		}
		start := s.i
		s.str()
		if s.problem != "" {
			return
		}
		raw := s.data[start:s.i]
		name := string(raw[1 : len(raw)-1])
		if bytes.IndexByte(raw, '\\') >= 0 {
			// Escapes are unescaped before comparing: "a" and "\u0061"
			// are the same member to encoding/json.
			_ = json.Unmarshal(raw, &name)
		}
		if seen[name] {
			s.fail("field %s appears twice (again at byte %d); send each field once", quote([]byte(name)), start)
			return
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		seen[name] = true
		if s.depth == 1 {
			s.member = name
		}
		s.space()
		s.i++ // ':'
		s.value()
	}
}

// str checks the escapes of the string at s.i and moves past it.
func (s *strictScanner) str() {
	d := s.data
	for j := s.i + 1; j < len(d); j++ {
		switch d[j] {
		case '"':
			s.i = j + 1
			return
		case '\\':
			j++
			if j >= len(d) || d[j] != 'u' {
				continue
			}
			r := hex4(d, j+1)
			switch {
			case r >= 0xd800 && r < 0xdc00:
				// A high surrogate counts only with a low one after it.
				if j+10 < len(d) && d[j+5] == '\\' && d[j+6] == 'u' {
					if lo := hex4(d, j+7); lo >= 0xdc00 && lo < 0xe000 {
						j += 10
						continue
					}
				}
				s.surrogate(j - 1)
				return
			case r >= 0xdc00 && r < 0xe000:
				s.surrogate(j - 1)
				return
			}
			j += 4
		}
	}
	s.i = len(d)
}

func (s *strictScanner) surrogate(at int) {
	s.fail(`%sthe escape %s at byte %d is half of a UTF-16 surrogate pair, not a character; send the character itself in UTF-8, or both halves (\ud83d\ude00)`,
		s.where(), s.data[at:at+6], at)
}

// hex4 decodes the four hex digits at d[i:], or returns -1.
func hex4(d []byte, i int) int {
	if i+4 > len(d) {
		return -1
	}
	v := 0
	for _, c := range d[i : i+4] {
		n, ok := hexValue(c)
		if !ok {
			return -1
		}
		v = v<<4 | n
	}
	return v
}

func hexValue(c byte) (int, bool) {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0'), true
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// number checks that the number at s.i, if not zero, does not read as 0.
func (s *strictScanner) number() {
	start := s.i
	nonzero, inExponent := false, false
scan:
	for ; s.i < len(s.data); s.i++ {
		switch c := s.data[s.i]; {
		case c == 'e' || c == 'E':
			inExponent = true
		case c >= '1' && c <= '9':
			nonzero = nonzero || !inExponent
		case c == '0' || c == '.' || c == '-' || c == '+':
		default:
			break scan
		}
	}
	tok := s.data[start:s.i]
	if !nonzero {
		return
	}
	if f, _ := strconv.ParseFloat(string(tok), 64); f == 0 {
		s.fail("%sthe number %s at byte %d is too small for a 64-bit float and would read as 0; send 0 if that is meant", s.where(), quote(tok), start)
	}
}
