package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
)

// TestStatusMarksDuplicateIDs runs two daemons with id pi1 and one with
// pi2: the table has one row per id, and pi1's INSTANCES cell and a
// warning on stderr say that two daemons share it.
func TestStatusMarksDuplicateIDs(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	simdaemon.StartOn(t, srv.URL(), "pi1")
	simdaemon.StartOn(t, srv.URL(), "pi1")
	simdaemon.StartOn(t, srv.URL(), "pi2")

	code, out, errOut := run(context.Background(), "status", "--nats", srv.URL())
	if code != 0 {
		t.Fatalf("status exit %d, stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("status printed %d lines, want a header and one row per id:\n%s", len(lines), out)
	}
	header := strings.Fields(lines[0])
	if header[len(header)-1] != "INSTANCES" {
		t.Fatalf("last column %q, want INSTANCES", header[len(header)-1])
	}
	want := map[string]string{"pi1": "2!", "pi2": "1"}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if got := f[len(f)-1]; got != want[f[0]] {
			t.Errorf("%s INSTANCES = %q, want %q", f[0], got, want[f[0]])
		}
	}
	if !strings.Contains(errOut, "warning: 2 daemons run with id pi1") || strings.Contains(errOut, "id pi2") {
		t.Errorf("stderr %q, want one warning about pi1", errOut)
	}
}
