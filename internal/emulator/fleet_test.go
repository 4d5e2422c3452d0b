package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
)

// The emulator serves the fleet page, with its board as the one device and
// the simulation panel switched on; the page's own status polls stay out of
// the message list.
func TestEmulatorServesTheFleetPage(t *testing.T) {
	testutil.CheckLeaks(t)
	e, _ := startEmulator(t, 200*time.Millisecond)
	base := strings.TrimSuffix(e.PageURL(), "/")
	getJSON := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	var info struct{ Simulation bool }
	getJSON("/api/info", &info)
	if !info.Simulation {
		t.Error(`/api/info lacks "simulation": true: the page would hide the board's controls`)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var list []struct {
			ID     string
			Status json.RawMessage
		}
		getJSON("/fleet/devices", &list)
		if len(list) == 1 && list[0].ID == "emu" && len(list[0].Status) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator's board is not on its fleet page: %+v", list)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The status request the fleet page just made is not in the history a
	// new page is sent.
	// Whatever the stream sends in a second: the history comes first.
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body) // ends with the client's timeout
	resp.Body.Close()
	if !strings.Contains(string(got), "event: frame") {
		t.Fatalf("no frame event in the stream's first second:\n%s", got)
	}
	if strings.Contains(string(got), `"subject":"sensehat.emu.status"`) {
		t.Errorf("the fleet page's status poll shows in the message list:\n%s", got)
	}
}
