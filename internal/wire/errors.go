package wire

import (
	"errors"
	"fmt"
)

// Code says what kind of refusal an error is, so a client knows what to do
// about it: fix the request, try again later, or report a bug. Codes are
// part of the contract; the service maps each to a micro error code
// (Nats-Service-Error-Code) in one place.
type Code string

// The codes.
const (
	// Invalid: the request is wrong (malformed, out of range, too long to
	// show); sending it again will not help. Answered 400.
	Invalid Code = "invalid"
	// Busy: the device cannot take the request now (its queue is full);
	// the same request may succeed later. Answered 503.
	Busy Code = "busy"
	// Unavailable: what the request needs is not running (the display is
	// shutting down, a sensor does not answer). Answered 503.
	Unavailable Code = "unavailable"
	// Internal: anything else, a bug or a fault of the device. Answered
	// 500. An error without a Code is Internal.
	Internal Code = "internal"
)

// Error is an error with a Code. Message is what the client reads: what
// was wrong and what is accepted. Err, when set, is the cause, for
// errors.Is and errors.As; it is not shown beyond Message.
//
// Create it where the error starts, directly or as a sentinel wrapped with
// %w (fmt.Errorf("%w: 16 items waiting", ErrQueueFull)); ErrorCode finds
// it through any wrapping.
type Error struct {
	Code    Code
	Message string
	Err     error
}

// Error returns Message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError returns an *Error with code and message, for sentinels.
func NewError(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Errorf returns an *Error with code whose message is fmt.Sprintf(format,
// args...); a %w verb in format makes the wrapped error its cause.
func Errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{Code: code, Message: err.Error()}
	switch w := err.(type) {
	case interface{ Unwrap() error }:
		e.Err = w.Unwrap()
	case interface{ Unwrap() []error }:
		e.Err = err // several %w: keep them all reachable
	}
	return e
}

// ErrorCode returns the Code of the first *Error in err's chain, Internal
// when there is none, and "" for a nil err.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return Internal
}
