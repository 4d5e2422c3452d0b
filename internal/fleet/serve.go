package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/sensehat/sensehat/internal/webguard"
)

// Serve runs the server (Run) and serves the page on ln until ctx ends,
// then ends the event streams and shuts the HTTP server down.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := webguard.Server(s)
	srv.ErrorLog = slog.NewLogLogger(s.opts.Log.Handler(), slog.LevelDebug)
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := s.Run(ctx); err != nil {
			errc <- err
			cancel()
		}
	}()
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("fleet: page: %w", err)
			cancel()
		}
	}()
	<-ctx.Done()
	s.Close()
	webguard.Shutdown(ctx, srv)
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
