package wire

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorCode(t *testing.T) {
	sentinel := NewError(Busy, "display: queue full")
	cause := errors.New("i2c: no ack")
	for _, tc := range []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, ""},
		{"plain error", errors.New("boom"), Internal},
		{"sentinel wrapped", fmt.Errorf("led.text: %w: 16 waiting", sentinel), Busy},
		{"Errorf", Errorf(Invalid, "led.text: speed %d", 1000), Invalid},
		{"Errorf wrapping", fmt.Errorf("colour.config: %w", Errorf(Unavailable, "sensors: %w", cause)), Unavailable},
		{"no code", &Error{Message: "x"}, Internal},
	} {
		if got := ErrorCode(tc.err); got != tc.want {
			t.Errorf("%s: ErrorCode = %q, want %q", tc.name, got, tc.want)
		}
	}
	// The cause stays reachable, and the message is what the client reads.
	e := Errorf(Unavailable, "sensors: configuring: %w", cause)
	if !errors.Is(e, cause) || e.Error() != "sensors: configuring: i2c: no ack" {
		t.Errorf("Errorf = %q, cause reachable %v", e, errors.Is(e, cause))
	}
	two := Errorf(Invalid, "%w and %w", cause, sentinel)
	if !errors.Is(two, cause) || !errors.Is(two, sentinel) {
		t.Errorf("Errorf with two %%w lost a cause: %v", two)
	}
}
