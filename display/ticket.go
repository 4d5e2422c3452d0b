package display

import (
	"context"
	"time"
)

// Result is what became of a submitted item.
type Result struct {
	// Displayed is true when the item ran to its end.
	Displayed bool
	// Reason says why not: ReasonReplaced or ReasonStopped.
	Reason string
	// Duration is how long the item was on the matrix.
	Duration time.Duration
	// ID is the ticket's identifier, unique for the player.
	ID uint64
}

// Ticket follows one submitted item.
type Ticket struct {
	id   uint64
	done chan struct{}
	res  Result
}

// ID returns the item's identifier.
func (t *Ticket) ID() uint64 { return t.id }

// FinishedTicket returns a ticket already settled with res: what a Player
// stand-in hands back in tests of code that waits on tickets.
func FinishedTicket(id uint64, res Result) *Ticket {
	t := &Ticket{id: id, done: make(chan struct{}), res: res}
	close(t.done)
	return t
}

// Done is closed when the item has been displayed, replaced or dropped.
func (t *Ticket) Done() <-chan struct{} { return t.done }

// Result returns the outcome once Done is closed; before, only ID is set.
func (t *Ticket) Result() Result {
	select {
	case <-t.done:
		return t.res
	default:
		return Result{ID: t.id}
	}
}

// Wait blocks until the item is done or ctx ends.
func (t *Ticket) Wait(ctx context.Context) (Result, error) {
	select {
	case <-t.done:
		return t.res, nil
	case <-ctx.Done():
		return Result{ID: t.id}, ctx.Err()
	}
}
