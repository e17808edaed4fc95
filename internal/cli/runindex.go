package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/sandbox"
)

// serveRunIndex makes airlock's own filtering package index the one
// network exit of a --net proxy run that names no --proxy-target: the
// index (policy, advisory data, upstream and verified cache, as for
// airlock proxy) is served in memory, with no port on the host, and the
// sandbox reaches it at 127.0.0.1:3128. pip and uv inside are pointed at
// it. The returned function stops the index.
func (a *app) serveRunIndex(ctx context.Context, f runFlags, spec *sandbox.Spec) (func(), error) {
	v, err := a.loadPolicy(&policyFlags{policyFile: f.policy, advisories: f.advisories})
	if err != nil {
		return nil, err
	}
	// The pages and files answer with no notes: say here, as airlock
	// proxy does, what the index could not check.
	for _, n := range v.allNotes() {
		fmt.Fprintf(a.stderr, "airlock run: warning: %s\n", n)
	}
	ups, _, err := a.upstreams(f.upstream, nil, false, "airlock-run")
	if err != nil {
		return nil, err
	}
	store, _, err := a.openCache("", cache.Options{})
	if err != nil {
		return nil, err
	}
	logger := a.logger.With("component", "run-index")
	h, err := index.New(index.Options{Upstreams: ups, Judge: index.PolicyFilters(v.policy, false), Cache: store, Logger: logger})
	if err != nil {
		store.Close()
		return nil, withCode(ExitFailed, err)
	}
	ln := env.NewMemListener()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	spec.Net.Dial = ln.Dial
	url := fmt.Sprintf("http://127.0.0.1:%d/simple/", sandbox.DefaultProxyPort)
	spec.Env = append(spec.Env,
		"PIP_INDEX_URL="+url,
		"PIP_TRUSTED_HOST=127.0.0.1",
		"UV_DEFAULT_INDEX="+url,
		"UV_INDEX_URL="+url,
		"PIP_DISABLE_PIP_VERSION_CHECK=1",
	)
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("index stopped", "err", err)
		}
		store.Close()
	}, nil
}
