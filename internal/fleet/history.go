package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sensehat/sensehat/internal/wire"
)

// loadHistory fills the plots from the readings kept in the JetStream
// stream named by Opts.HistoryStream (store and forward keeps them there),
// from Window ago until now. A missing stream is not an error: the plots
// then start with the live readings. It reads with an ordered consumer,
// which leaves nothing behind on the server.
func (s *Server) loadHistory(ctx context.Context) error {
	name := s.opts.HistoryStream
	if name == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, historyTimeout)
	defer cancel()
	js, err := jetstream.New(s.nc)
	if err != nil {
		return fmt.Errorf("fleet: history: %w", err)
	}
	st, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s.opts.Log.Info("history stream not found; plotting live readings only", "stream", name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("fleet: history stream %s: %w", name, err)
	}
	start := time.Now().Add(-s.opts.Window)
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.subj.Sensors(">")},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &start,
	})
	if err != nil {
		return fmt.Errorf("fleet: reading history stream %s: %w", name, err)
	}
	n := 0
	for ctx.Err() == nil {
		batch, err := cons.Fetch(historyBatch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return fmt.Errorf("fleet: reading history stream %s: %w", name, err)
		}
		got, pending := 0, uint64(0)
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			pending = md.NumPending
			id, kind, ok := wire.ParseReadingSubject(m.Subject())
			if !ok {
				continue
			}
			r, err := wire.DecodeReading(kind, m.Data(), nil)
			if err != nil {
				continue
			}
			s.mu.Lock()
			s.sampleLocked(id, &r, md.Timestamp)
			s.mu.Unlock()
			n++
		}
		if got == 0 || pending == 0 {
			break
		}
	}
	s.opts.Log.Info("history loaded", "stream", name, "readings", n)
	return nil
}

// historyTimeout bounds reading the history at start: a slow or huge
// stream delays the live plots by no more than this.
const historyTimeout = 30 * time.Second

// historyBatch is how many stored readings one fetch asks for.
const historyBatch = 1000
