package echo

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `""`},
		{"short stays whole", "red", `"red"`},
		// strconv.Quote is the authority for how each rune is escaped.
		{"exactly Max bytes", strings.Repeat("a", Max), strconv.Quote(strings.Repeat("a", Max))},
		{"one byte over", strings.Repeat("a", Max+1), `"` + strings.Repeat("a", Max) + `"…`},
		// 122 control characters, the FuzzParseClear finding: each escapes
		// to 4 bytes (\x01), so 8 of them fill the 32 bytes.
		{"control characters", strings.Repeat("\x01", 122), `"` + strings.Repeat(`\x01`, 8) + `"…`},
		// An escape that would cross the bound is left out whole.
		{"escape not cut", strings.Repeat("a", Max-2) + "\x01", `"` + strings.Repeat("a", Max-2) + `"…`},
		{"letters not cut", strings.Repeat("é", 20), `"` + strings.Repeat("é", 16) + `"…`},
		{"invalid UTF-8", "\xff\xfe", `"\xff\xfe"`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Quote(tc.in); got != tc.want {
				t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzQuote checks the bound and that what is kept is a prefix of the
// full quote, for any input.
func FuzzQuote(f *testing.F) {
	f.Add("hello")
	f.Add(strings.Repeat("\x00", 100))
	f.Add("\xed\xa0\x80 surrogate")
	f.Fuzz(func(t *testing.T, s string) {
		got := Quote(s)
		if len(got) > Max+2+len(Ellipsis) {
			t.Fatalf("Quote gave %d bytes: %s", len(got), got)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Quote gave invalid UTF-8: %q", got)
		}
		full := strconv.Quote(s)
		if got == full {
			return
		}
		kept, ok := strings.CutSuffix(got, `"`+Ellipsis)
		if !ok || !strings.HasPrefix(full, kept) {
			t.Fatalf("Quote(%q) = %s is not a cut of %s", s, got, full)
		}
		if _, err := strconv.Unquote(kept + `"`); err != nil {
			t.Fatalf("Quote(%q) = %s cut an escape: %v", s, got, err)
		}
	})
}
