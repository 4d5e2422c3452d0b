package echo_test

import (
	"fmt"
	"strings"

	"github.com/sensehat/sensehat/internal/echo"
)

func ExampleQuote() {
	fmt.Println(echo.Quote("blurple"))
	// Control characters grow fourfold when escaped; the cut comes after.
	fmt.Println(echo.Quote(strings.Repeat("\x01", 122)))
	// Output:
	// "blurple"
	// "\x01\x01\x01\x01\x01\x01\x01\x01"…
}
