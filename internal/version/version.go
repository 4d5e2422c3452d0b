// Package version holds the build's identity, stamped by the Makefile with
// -ldflags "-X github.com/sensehat/sensehat/internal/version.Version=...".
package version

import (
	"fmt"
	"runtime"
)

// Version is the semantic version of the build ("0.0.0-dev" when unstamped,
// which is still valid semver for the micro service).
var Version = "0.0.0-dev"

// Commit is the git commit the build was made from.
var Commit = "unknown"

// String is what --version prints: version, commit, Go version and target.
func String(program string) string {
	return fmt.Sprintf("%s %s (commit %s, %s, %s/%s)", program, Version, Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
