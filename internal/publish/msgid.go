package publish

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
	"unsafe"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/wire"
)

// kind is what a published message carries; each kind is numbered on its
// own, so a stream's ids of one kind run 1, 2, 3... without a gap.
type kind int

const (
	kindEnv kind = iota
	kindMotion
	kindColour
	kindJoystick
	numKinds
)

var kindNames = [numKinds]string{wire.KindEnv, wire.KindMotion, wire.KindColour, wire.KindJoystick}

// msgIDs gives every reading and joystick event a Nats-Msg-Id of the form
// <id>-<boot>-<kind>-<n>: boot is a random nonce drawn when the daemon
// starts, n counts the messages of that kind from 1. The id is unique
// across restarts (a new boot) and stays the same however often the
// message is forwarded, which is what JetStream's duplicate window needs
// to store a reading once. Parse it from the right: the device id may hold
// '-', the other three parts never do.
//
// Each kind keeps one nats.Msg and one id buffer that are rewritten in
// place, so numbering a message allocates nothing; each kind must be
// published from one goroutine at a time (the sensor loop for env, motion
// and colour, the joystick loop for joystick).
type msgIDs struct {
	boot string
	k    [numKinds]kindIDs
}

type kindIDs struct {
	msg    nats.Msg
	val    [1]string // the header's value slice, reused
	buf    []byte    // "<id>-<boot>-<kind>-" then the number
	prefix int
	count  atomic.Uint64 // messages the client took; also the last n
}

func (m *msgIDs) init(id string) {
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	m.boot = hex.EncodeToString(b[:])
	for k := range m.k {
		e := &m.k[k]
		e.buf = append(e.buf[:0], id+"-"+m.boot+"-"+kindNames[k]+"-"...)
		e.prefix = len(e.buf)
		e.msg.Header = nats.Header{nats.MsgIdHdr: e.val[:]}
	}
}

// next returns the message to publish for kind k: its id is one more than
// the count of those sent. The message is valid until the next call for
// the same kind.
func (m *msgIDs) next(k kind, subj string, data []byte) *nats.Msg {
	e := &m.k[k]
	if e.msg.Header == nil {
		m.init("")
	}
	// The header value is a string over buf: drop it before buf changes,
	// so no string ever sees its bytes rewritten. nats.go copies the
	// header into its write buffer during PublishMsg and keeps nothing.
	e.val[0] = ""
	e.buf = strconv.AppendUint(e.buf[:e.prefix], e.count.Load()+1, 10)
	e.val[0] = unsafe.String(unsafe.SliceData(e.buf), len(e.buf))
	e.msg.Subject, e.msg.Data = subj, data
	return &e.msg
}

// sent counts a message the client took.
func (m *msgIDs) sent(k kind) { m.k[k].count.Add(1) }

func (m *msgIDs) status() wire.PublishedStatus {
	return wire.PublishedStatus{
		Boot:     m.boot,
		Env:      m.k[kindEnv].count.Load(),
		Motion:   m.k[kindMotion].count.Load(),
		Colour:   m.k[kindColour].count.Load(),
		Joystick: m.k[kindJoystick].count.Load(),
	}
}
