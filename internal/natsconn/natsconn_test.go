package natsconn

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/testutil"
)

func TestRedact(t *testing.T) {
	want := map[string]string{
		"nats://127.0.0.1:4222":       "nats://127.0.0.1:4222",
		"nats://bob:s3cret@host:4222": "nats://[REDACTED]@host:4222",
		"tls://tok@a:1, nats://b:2":   "tls://[REDACTED]@a:1,nats://b:2",
		"user:pw@host":                "[REDACTED]@host",
	}
	testutil.CheckMapping(t, "Redact", Redact, want)
	for in := range want {
		if strings.Contains(Redact(in), "s3cret") {
			t.Errorf("secret left in %q", Redact(in))
		}
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	prev := time.Duration(0)
	for attempt := 1; attempt <= 6; attempt++ {
		d := backoff(attempt)
		base := min(ReconnectWait<<(attempt-1), maxBackoff)
		if d < base || d > base+base/4+1 {
			t.Errorf("attempt %d: %v, want %v plus at most a quarter of jitter", attempt, d, base)
		}
		if d < prev/2 {
			t.Errorf("attempt %d: %v shrank from %v", attempt, d, prev)
		}
		prev = d
	}
	if d := backoff(100); d > maxBackoff+maxBackoff/4+1 {
		t.Errorf("attempt 100: %v, want capped near %v", d, maxBackoff)
	}
}

func TestExplainSaysWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nats.ErrAuthorization, "--creds"},
		{nats.ErrNoServers, "nats-server running"},
		{errors.New("x509: certificate signed by unknown authority"), "--tlsca"},
	} {
		got := Explain(tc.err)
		if !errors.Is(got, tc.err) || !strings.Contains(got.Error(), tc.want) {
			t.Errorf("Explain(%v) = %v, want it to wrap and mention %q", tc.err, got, tc.want)
		}
	}
}

func TestOptionsRejectsMissingNKeyFile(t *testing.T) {
	_, err := Options(Settings{NKey: "/nonexistent/seed.nk"}, nil)
	if err == nil || !strings.Contains(err.Error(), "nkey seed file") {
		t.Fatalf("err = %v", err)
	}
}
