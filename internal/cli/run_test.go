package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdHTTPServe starts a plain HTTP server for the rest of the script and
// sets $HTTPSERVE_ADDR to its host:port, for airlock run --net proxy:
//
//	httpserve
//
// It answers every request with "served METHOD PATH BODY".
func cmdHTTPServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: httpserve")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "served %s %s %s", r.Method, r.URL.Path, body)
	}))
	ts.Defer(srv.Close)
	ts.Setenv("HTTPSERVE_ADDR", srv.Listener.Addr().String())
}
