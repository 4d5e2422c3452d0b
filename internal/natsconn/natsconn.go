// Package natsconn turns the daemon's and the laptop tool's connection
// settings into a nats.Conn that behaves as an edge device should: it starts
// with no server there, reconnects forever with backoff, notices a dead link
// within seconds, buffers what is published during an outage up to a bound,
// and never logs a secret.
package natsconn

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Settings are the connection flags, named as the nats CLI names them.
type Settings struct {
	URL      string
	Creds    string
	NKey     string
	User     string
	Password string
	TLSCert  string
	TLSKey   string
	TLSCA    string
	// Name is the client name the server shows (nats server report connections).
	Name string
	// OnConnect, if set, is called after the connection comes up and after
	// every reconnect, from the client's callback goroutine: it must not
	// block.
	OnConnect func()
	// Errors, if set, counts connection errors under "nats" for the
	// status reply and rate-limits the warnings for asynchronous errors,
	// so a burst of them (a permission violation on every publish) is a
	// few lines. Nil logs each warning.
	Errors Errors
	// Timeout bounds one connection attempt, dial and handshake; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// InboxPrefix replaces _INBOX for the replies to the client's own
	// requests, so a permission can name the inboxes of one client
	// (a device's _INBOX_<id>.>) rather than everybody's.
	InboxPrefix string
}

// DefaultTimeout is Settings.Timeout when left at zero.
const DefaultTimeout = 5 * time.Second

// Errors counts errors by subsystem and rate-limits warnings by kind;
// *health.Registry implements it.
type Errors interface {
	Record(subsystem string, err error)
	Warn(log *slog.Logger, kind, msg string, args ...any)
}

// Tuning for an edge device on a flaky link.
const (
	// PingInterval is well under nats.go's two-minute default so a dead
	// link is noticed in about a minute rather than six.
	PingInterval = 20 * time.Second
	// MaxPingsOut pings unanswered before the link is declared dead.
	MaxPingsOut = 3
	// ReconnectBufSize bounds what is held while disconnected: readings and
	// joystick events published during an outage wait here, and a publish
	// beyond it fails (and is counted) instead of growing memory.
	ReconnectBufSize = 8 << 20
	// ReconnectWait is the base backoff between attempts; jitter spreads a
	// fleet's reconnects after a server restart.
	ReconnectWait = 500 * time.Millisecond
	maxBackoff    = 10 * time.Second
)

// Options returns the nats.Go options for s, after Check has found every
// file they name usable. log receives connection events; it must not be
// nil. A server that cannot be reached is logged at WARN from the first
// failed attempt, then at most once per UnreachableLogEvery.
func Options(s Settings, log *slog.Logger) ([]nats.Option, error) {
	if err := Check(s); err != nil {
		return nil, err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	url := s.URL
	if url == "" {
		url = nats.DefaultURL
	}
	reach := newReachability(log, url)
	record := func(err error) {
		if s.Errors != nil {
			s.Errors.Record("nats", err)
		}
	}
	warn := func(kind, msg string, args ...any) {
		if s.Errors != nil {
			s.Errors.Warn(log, kind, msg, args...)
			return
		}
		log.Warn(msg, args...)
	}
	opts := []nats.Option{
		nats.Name(s.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		// Refused credentials may be fixed on the server while we wait.
		nats.IgnoreAuthErrorAbort(),
		nats.ReconnectWait(ReconnectWait),
		nats.CustomReconnectDelay(func(round int) time.Duration {
			reach.round(round)
			return backoff(round)
		}),
		nats.PingInterval(PingInterval),
		nats.MaxPingsOutstanding(MaxPingsOut),
		nats.ReconnectBufSize(ReconnectBufSize),
		nats.Timeout(timeout),
		nats.ConnectHandler(func(nc *nats.Conn) {
			args := []any{"server", nc.ConnectedUrlRedacted()}
			if failed, down := reach.up(); failed > 0 {
				args = append(args, "failed_attempts", failed, "after", down)
			}
			log.Info("connected to NATS", args...)
			if s.OnConnect != nil {
				s.OnConnect()
			}
		}),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err != nil {
				log.Warn("disconnected from NATS; retrying", "err", err)
				record(err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			args := []any{"server", nc.ConnectedUrlRedacted(), "reconnects", nc.Stats().Reconnects}
			if failed, down := reach.up(); failed > 0 {
				args = append(args, "failed_attempts", failed, "after", down)
			}
			log.Info("reconnected to NATS", args...)
			if s.OnConnect != nil {
				s.OnConnect()
			}
		}),
		// Whatever failed (refused, no TLS, no answer in time, refused
		// credentials), the user hears of it from the first attempt.
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { reach.attemptFailed(err) }),
		nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			warn("NATS error", "NATS error", "subject", subj, "err", Explain(err))
			record(err)
		}),
	}
	if s.User != "" {
		opts = append(opts, nats.UserInfo(s.User, s.Password))
	}
	if s.Creds != "" {
		opts = append(opts, nats.UserCredentials(s.Creds))
	}
	if s.NKey != "" {
		o, err := nats.NkeyOptionFromSeed(s.NKey)
		if err != nil {
			return nil, fmt.Errorf("natsconn: --nkey: reading nkey seed file %s: %w; give the file holding the seed (SU...)", s.NKey, err)
		}
		opts = append(opts, o)
	}
	if s.TLSCert != "" || s.TLSKey != "" {
		opts = append(opts, nats.ClientCert(s.TLSCert, s.TLSKey))
	}
	if s.TLSCA != "" {
		opts = append(opts, nats.RootCAs(s.TLSCA))
	}
	if s.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(s.InboxPrefix))
	}
	return opts, nil
}

// backoff grows the delay with the number of attempts, capped, so a Pi that
// lost its server does not spin on the network.
func backoff(attempts int) time.Duration {
	d := ReconnectWait
	for i := 1; i < attempts && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	// Jitter spreads a fleet's reconnects after a server restart.
	return d + rand.N(d/4+1)
}

// Connect dials with Options. Because RetryOnFailedConnect is on, it returns
// a usable connection even when no server is up yet; the error is only for
// settings that can never work (a missing creds file, a bad URL).
func Connect(s Settings, log *slog.Logger) (*nats.Conn, error) {
	opts, err := Options(s, log)
	if err != nil {
		return nil, err
	}
	url := s.URL
	if url == "" {
		url = nats.DefaultURL
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("natsconn: connecting to %s: %w", Redact(url), Explain(err))
	}
	return nc, nil
}

// Explain adds what to do to the NATS errors a user can fix.
func Explain(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked):
		return fmt.Errorf("%w (check --creds, --nkey or --user/--password, and the user's permissions on the server)", err)
	case errors.Is(err, nats.ErrPermissionViolation):
		return fmt.Errorf("%w (the server refuses this subject for our user: grant it in the server's permissions)", err)
	case errors.Is(err, nats.ErrSecureConnWanted):
		return fmt.Errorf("%w (the URL asks for TLS but the server offers none: use nats:// or turn TLS on in the server)", err)
	case errors.Is(err, nats.ErrNoServers):
		return fmt.Errorf("%w (is nats-server running and reachable at --nats / NATS_URL?)", err)
	case strings.Contains(err.Error(), "certificate"):
		return fmt.Errorf("%w (check --tlsca matches the server's CA and --tlscert/--tlskey)", err)
	}
	return err
}

// Redact removes passwords and tokens from a list of URLs for logging.
func Redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		u = strings.TrimSpace(u)
		if at := strings.LastIndex(u, "@"); at >= 0 {
			scheme := ""
			if j := strings.Index(u, "://"); j >= 0 && j < at {
				scheme = u[:j+3]
			}
			parts[i] = scheme + "[REDACTED]@" + u[at+1:]
		} else {
			parts[i] = u
		}
	}
	return strings.Join(parts, ",")
}
