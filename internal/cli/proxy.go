package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/server"
	"github.com/airlock-dev/airlock/internal/store"
)

// proxyFlags are the flags of airlock proxy.
type proxyFlags struct {
	policy       policyFlags
	listen       string
	upstream     string
	internal     []string
	offline      bool
	cacheDir     string
	pageTTL      time.Duration
	noPre        bool
	maxFileSize  int64
	maxCacheSize int64
	addrFile     string
	unsafeNoAuth bool
	database     string
}

// proxyShutdownTimeout bounds the wait for requests in flight when the
// proxy is stopped.
const proxyShutdownTimeout = 10 * time.Second

func (a *app) proxyCommand() *cobra.Command {
	var f proxyFlags
	cmd := &cobra.Command{
		Use:   "proxy [--listen ADDR] [--upstream URL] [--offline] [flags]",
		Short: "Run the filtering package index on its own",
		Long: `Run airlock's filtering package index: a PEP 503/691 simple index over an
upstream index, which leaves out of each project page what the policy refuses
(by default: sdists, yanked files, known-vulnerable and malicious versions;
see docs/policy.md), serves files only from a cache that verifies every
file's sha256, and fails closed when the upstream fails. Point pip at it with
--index-url http://ADDR/simple/. See docs/proxy.md.

The upstream is --upstream, else $AIRLOCK_UPSTREAM, else
` + index.DefaultUpstream + `. Files and pages are cached in
--cache-dir (default <data dir>/cache/index). --offline serves only what is
cached and never contacts the upstream.

The policy is --policy (else $AIRLOCK_POLICY, else the embedded default)
and the advisory data --advisories (else the local database of
'airlock db update'). A denied project's files, and every refused file,
answer 403 with the reason in the HTTP reason phrase, which pip prints.

On a loopback address no token is asked for. Beyond loopback, every request
needs a token with the proxy scope (airlock token create --scopes proxy),
which pip sends as http://__token__:TOKEN@HOST/simple/; --unsafe-no-auth
drops that requirement.

Exit codes: 0 when interrupted, 2 a usage error, 4 when it cannot listen or
open its cache or store.`,
		Example: `  airlock proxy
  pip install --index-url http://127.0.0.1:3141/simple/ requests
  airlock proxy --listen 127.0.0.1:0 --addr-file proxy.addr --offline
  airlock proxy --listen 0.0.0.0:3141 --internal acme-billing=https://pypi.internal.example/simple/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runProxy(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:3141", "address to listen on; beyond loopback, requests need a token with the proxy scope")
	fl.StringVar(&f.upstream, "upstream", "", "upstream simple index URL (default $AIRLOCK_UPSTREAM or "+index.DefaultUpstream+")")
	fl.StringArrayVar(&f.internal, "internal", nil, "NAME=URL: serve project NAME from the internal index at URL only (repeatable)")
	fl.BoolVar(&f.offline, "offline", false, "serve only what is cached; never contact an upstream")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "artifact cache directory (default <data dir>/cache/index)")
	fl.DurationVar(&f.pageTTL, "page-ttl", index.DefaultPageTTL, "how long a project page is served from the cache")
	fl.BoolVar(&f.noPre, "no-prereleases", false, "hide pre-releases and development releases")
	f.policy.register(fl)
	fl.Int64Var(&f.maxFileSize, "max-file-size", cache.DefaultMaxFileSize, "largest file served, in bytes")
	fl.Int64Var(&f.maxCacheSize, "max-cache-size", cache.DefaultMaxTotalSize, "cache size above which the least recently used files are evicted, in bytes")
	fl.StringVar(&f.addrFile, "addr-file", "", "write the address actually listened on to this file (for --listen with port 0)")
	fl.BoolVar(&f.unsafeNoAuth, "unsafe-no-auth", false, "serve a non-loopback --listen address without token authentication")
	fl.StringVar(&f.database, "database", "", "the store of the tokens a non-loopback --listen requires, a postgres://… URL or SQLite file path (default $"+databaseEnv+", else <data dir>/"+databaseFile+")")
	return cmd
}

func (a *app) runProxy(ctx context.Context, f proxyFlags) error {
	if f.pageTTL <= 0 {
		return usageErrorf("--page-ttl must be positive")
	}
	if f.maxFileSize <= 0 || f.maxCacheSize <= 0 {
		return usageErrorf("--max-file-size and --max-cache-size must be positive")
	}
	v, err := a.loadPolicy(&f.policy)
	if err != nil {
		return err
	}
	for _, n := range v.allNotes() {
		fmt.Fprintf(a.stderr, "airlock proxy: warning: %s\n", n)
	}
	host, _, err := net.SplitHostPort(f.listen)
	if err != nil {
		return usageErrorf("--listen %q: %v", f.listen, err)
	}
	// Beyond loopback, every request needs a token with the proxy scope,
	// the same tokens as airlock serve's (pip sends it as the basic-auth
	// password: http://__token__:TOKEN@host/simple/).
	var tokens store.Store
	if !isLoopback(host) && !f.unsafeNoAuth {
		tokens, err = a.openStore(ctx, f.database)
		if err != nil {
			return err
		}
		defer tokens.Close()
	} else if !isLoopback(host) {
		fmt.Fprintf(a.stderr, "airlock proxy: warning: --unsafe-no-auth: anyone who can reach %s can use the index\n", f.listen)
	}
	ups, upstream, err := a.upstreams(f.upstream, f.internal, f.offline, "")
	if err != nil {
		return err
	}
	artifacts, dir, err := a.openCache(f.cacheDir, cache.Options{MaxFileSize: f.maxFileSize, MaxTotalSize: f.maxCacheSize})
	if err != nil {
		return err
	}
	defer artifacts.Close()
	logger := a.logger.With("component", "proxy")
	judge := index.PolicyFilters(v.policy, f.noPre)
	h, err := index.New(index.Options{
		Upstreams: ups, Judge: judge, Cache: artifacts, PageTTL: f.pageTTL, Offline: f.offline, Logger: logger,
	})
	if err != nil {
		return withCode(ExitFailed, err)
	}
	var handler http.Handler = h
	auth := "no authentication: loopback only"
	if tokens != nil {
		g := server.NewTokenGuard(tokens, store.ScopeProxy, h, logger)
		defer g.Close()
		handler, auth = g, "tokens with the proxy scope required"
	} else if !isLoopback(host) {
		auth = "NO AUTHENTICATION"
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return withCode(ExitFailed, err)
	}
	addr := ln.Addr().String()
	if f.addrFile != "" {
		if err := writeFileAtomic(f.addrFile, []byte(addr+"\n")); err != nil {
			ln.Close()
			return withCode(ExitFailed, err)
		}
	}
	mode := "upstream " + upstream
	if f.offline {
		mode = "offline"
	}
	fmt.Fprintf(a.stderr, "airlock proxy: serving http://%s/simple/ (%s, cache %s; %s)\n", addr, mode, dir, auth)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return withCode(ExitFailed, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), proxyShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return withCode(ExitFailed, err)
	}
	return nil
}

// isLoopback reports whether host (from --listen) names only loopback
// addresses: "localhost", 127.0.0.0/8 or ::1. An empty host listens on every
// address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// writeFileAtomic writes data to name through a temporary file and a
// rename, so that a reader never sees half of it.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
