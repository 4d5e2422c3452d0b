package publish

import (
	"time"
	"unsafe"

	"github.com/nats-io/nats.go"
)

// resendCap bounds the readings kept for a resend: about 20 s at the
// default intervals (11 a second), 3.6 s at the tests' fast ones.
const resendCap = 256

// resender keeps the readings and events of the last --resend-window and
// sends them again, with their own Nats-Msg-Ids, the first time a publish
// finds the connection lost (or finds it was lost and is back).
//
// Why: a publish is done for the client once its bytes are written, yet
// when the local nats-server stops, what it had not read from the socket,
// and what nats.go had not flushed, is gone, a reading or two that the
// daemon counted. Resending before the next reading keeps the order in
// the stream: the resent ones go into the reconnect buffer ahead of every
// newer reading, and the stream's duplicate window drops those it already
// had. Entries reuse their buffers, so steady state allocates nothing.
type resender struct {
	window time.Duration
	ring   [resendCap]sentMsg
	next   int // slot for the next entry
	n      int // entries held
	down   bool
	recons uint64
	msg    nats.Msg
	val    [1]string
}

type sentMsg struct {
	subj string
	data []byte
	id   []byte
	at   time.Time
}

func (r *resender) init(window time.Duration) {
	r.window = window
	r.msg.Header = nats.Header{nats.MsgIdHdr: r.val[:]}
}

// before runs ahead of every publish: on the first publish that finds the
// connection lost, or that finds a reconnect no publish saw, it resends
// what the window holds.
func (r *resender) before(nc *nats.Conn) {
	if r.window <= 0 {
		return
	}
	up := nc.Status() == nats.CONNECTED
	recons := nc.Stats().Reconnects
	missed := up && recons != r.recons && !r.down
	if (!up && !r.down) || missed {
		r.resend(nc)
	}
	r.down = !up
	r.recons = recons
}

func (r *resender) resend(nc *nats.Conn) {
	since := time.Now().Add(-r.window)
	for i := 0; i < r.n; i++ {
		e := &r.ring[(r.next-r.n+i+resendCap)%resendCap]
		if e.at.Before(since) {
			continue
		}
		r.val[0] = unsafe.String(unsafe.SliceData(e.id), len(e.id))
		r.msg.Subject, r.msg.Data = e.subj, e.data
		_ = nc.PublishMsg(&r.msg) // a failure here is the outage itself
		r.val[0] = ""
	}
}

// after records a message the client took.
func (r *resender) after(m *nats.Msg) {
	if r.window <= 0 {
		return
	}
	e := &r.ring[r.next]
	e.subj = m.Subject
	e.data = append(e.data[:0], m.Data...)
	e.id = append(e.id[:0], m.Header[nats.MsgIdHdr][0]...)
	e.at = time.Now()
	r.next = (r.next + 1) % resendCap
	r.n = min(r.n+1, resendCap)
}
