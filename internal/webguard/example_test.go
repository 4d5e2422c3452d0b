package webguard_test

import (
	"log"
	"log/slog"
	"net"
	"net/http"

	"github.com/sensehat/sensehat/internal/webguard"
)

// A page with one stream and one form endpoint, served the way the
// emulator serves its own.
func Example() {
	opts := webguard.DefaultOpts
	opts.Hosts = []string{"raspberrypi.local"} // opened by name from another computer
	g, err := webguard.New(&opts)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		release, ok := g.Stream(w) // 503 when MaxStreams are open
		if !ok {
			return
		}
		defer release()
		// ... stream until r.Context() is done
	})
	mux.HandleFunc("POST /api/press", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil { // the body is already bounded
			webguard.BodyError(w, err)
			return
		}
		// ... act on r.PostForm
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	webguard.WarnExposed(slog.Default(), "--http", ln.Addr())
	srv := webguard.Server(g.Handler(mux))
	go srv.Serve(ln)
	srv.Close()
}
