package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/testutil/simdaemon"
)

// `sensehat web` serves the fleet page and finds the device on the server.
func TestWebServesTheFleetPage(t *testing.T) {
	srv, _ := simdaemon.OnServer(t, "pi1")

	w := runBackground(t, "web", "--nats", srv.URL(), "--http", "127.0.0.1:0", "--every", "300ms")
	out, errOut := &w.out, &w.errOut
	re := regexp.MustCompile(`Fleet page: (http://127\.0\.0\.1:\d+/)`)
	testutil.WaitFor(t, 10*time.Second, "the page's address", func() bool { return re.MatchString(out.String()) })
	base := re.FindStringSubmatch(out.String())[1]

	get := func(path string) string {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %s", path, resp.Status, b)
		}
		return string(b)
	}
	if page := get(""); !strings.Contains(page, `src="fleet.js"`) {
		t.Errorf("page lacks fleet.js:\n%s", page)
	}
	testutil.WaitFor(t, 10*time.Second, "pi1 on the page", func() bool {
		var list []struct{ ID string }
		_ = json.Unmarshal([]byte(get("fleet/devices")), &list)
		return len(list) == 1 && list[0].ID == "pi1"
	})
	if c := w.stop(t); c != 0 {
		t.Errorf("web exit %d after cancel, want 0; stderr:\n%s", c, errOut.String())
	}
}
