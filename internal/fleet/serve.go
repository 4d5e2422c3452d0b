package fleet

import (
	"context"
	"log/slog"
	"net"

	"github.com/sensehat/sensehat/internal/webguard"
)

// Serve runs the server (Run) and serves the page on ln until ctx ends,
// then ends the event streams and shuts the HTTP server down.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := webguard.Server(s)
	srv.ErrorLog = slog.NewLogLogger(s.opts.Log.Handler(), slog.LevelDebug)
	g, ctx := webguard.NewGroup(ctx)
	g.Go("", func() error { return s.Run(ctx) })
	g.Serve("fleet: page", srv, ln)
	<-ctx.Done()
	s.Close()
	webguard.Shutdown(ctx, srv)
	return g.Wait()
}
