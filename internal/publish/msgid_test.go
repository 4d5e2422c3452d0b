package publish

import (
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
)

// Two daemons never share a boot nonce, so a restarted daemon's first
// readings are not taken for the old run's by the duplicate window.
func TestBootNonceDiffers(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		var m msgIDs
		m.init("pi1")
		if seen[m.boot] {
			t.Fatalf("boot nonce %s drawn twice in 100", m.boot)
		}
		seen[m.boot] = true
		if got, want := m.next(kindMotion, "s", nil).Header.Get(nats.MsgIdHdr), fmt.Sprintf("pi1-%s-motion-1", m.boot); got != want {
			t.Fatalf("first motion id %q, want %q", got, want)
		}
	}
}
