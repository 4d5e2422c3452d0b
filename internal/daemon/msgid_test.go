package daemon

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// Every reading carries Nats-Msg-Id <id>-<boot>-<kind>-<n> (the header
// JetStream deduplicates on, per the NATS JetStream model: "Message
// Deduplication"), numbered 1, 2, 3... per kind with the boot nonce the
// status reply shows, and the status count covers every id seen. The id
// holds a '-' to check that the id parses from the right.
func TestReadingsCarryMsgIDsAndCounts(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	nc := connect(t, srv.URL())
	sub := testutil.SubscribeSync(t, nc, "sensehat.pi-1.sensors.env")
	start(t, simConfig(t, srv.URL(), "pi-1"))

	var boot string
	var last uint64
	for i := 0; i < 5; i++ {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("env reading %d: %v", i, err)
		}
		id := m.Header.Get(nats.MsgIdHdr)
		parts := strings.Split(id, "-")
		if len(parts) != 5 || parts[0]+"-"+parts[1] != "pi-1" || parts[3] != "env" {
			t.Fatalf("Nats-Msg-Id %q, want pi-1-<boot>-env-<n>", id)
		}
		n, err := strconv.ParseUint(parts[4], 10, 64)
		if err != nil {
			t.Fatalf("Nats-Msg-Id %q: sequence: %v", id, err)
		}
		if i == 0 {
			boot = parts[2]
		} else if parts[2] != boot || n != last+1 {
			t.Fatalf("Nats-Msg-Id %q after boot %s n %d: want the same boot and n %d", id, boot, last, last+1)
		}
		last = n
	}
	_ = sub.Unsubscribe()

	// The count moves once the client has taken a message, which can be
	// a moment after a subscriber already has it: ask until it caught up.
	var st wire.Status
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := request(t, nc, "sensehat.pi-1.status", nil, 2*time.Second)
		if err := json.Unmarshal(m.Data, &st); err != nil {
			t.Fatal(err)
		}
		if st.Published.Env >= last || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st.Published.Boot != boot {
		t.Errorf("status boot %q, readings carry %q", st.Published.Boot, boot)
	}
	if st.Published.Env < last || st.Published.Motion == 0 {
		t.Errorf("status published %+v, want env >= %d and some motion", st.Published, last)
	}
}
