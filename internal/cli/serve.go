package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/feed"
	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/server"
	"github.com/airlock-dev/airlock/internal/store"
)

// serveFlags are the flags of airlock serve.
type serveFlags struct {
	listen           string
	database         string
	tlsCert, tlsKey  string
	policy           policyFlags
	upstream         string
	internal         []string
	offline          bool
	rate             float64
	burst            int
	installsPerToken int
	runsPerToken     int
	shutdownTimeout  time.Duration
	refresh          time.Duration
	addrFile         string
	logFormat        string
}

// HTTP server timeouts of airlock serve. Long requests (installs, runs,
// package downloads) extend their own write deadline.
const (
	// serveReadHeaderTimeout stops clients that open connections and send
	// nothing (slowloris).
	serveReadHeaderTimeout = 10 * time.Second
	// serveReadTimeout covers reading the largest body (a run's files) on a
	// slow link.
	serveReadTimeout = 2 * time.Minute
	// serveWriteTimeout is for quick answers; see above.
	serveWriteTimeout = time.Minute
	// serveIdleTimeout closes idle keep-alive connections.
	serveIdleTimeout = 2 * time.Minute
	// serveMaxHeaderBytes bounds request headers.
	serveMaxHeaderBytes = 64 << 10
	// defaultShutdownTimeout is how long SIGTERM waits for requests in
	// flight (an install can take minutes; a load balancer's drain period
	// is usually shorter).
	defaultShutdownTimeout = 2 * time.Minute
	// serveActor is the audit log's actor for what the server does of its
	// own accord (the first admin token).
	serveActor = "serve"
)

func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--database URL] [--tls-cert FILE --tls-key FILE] [flags]",
		Short: "Run the airlock server: the HTTP API agents use",
		Long: `Run the airlock server: the gateway agents talk to. Agents hold a token;
the server holds the policy, the environments, the sandbox and the audit log.

With no flags it listens on ` + server.DefaultListen + `, keeps its store in the SQLite
file airlock.db in the data directory, uses the embedded default policy and
the local advisory database (airlock db update), and serves its package index
from ` + index.DefaultUpstream + `.

On its first start with no token at all, it creates one named "admin" with
every scope and prints its secret, alone, on standard output, once; the
explanation goes to standard error. More tokens: airlock token create.

The API (docs/api.md; OpenAPI at /v1/openapi.json):
  POST /v1/check                           vet requirements (scope check)
  /v1/environments[/NAME[/install|/run]]   environments, vetted installs, sandboxed runs
                                           (scopes install, run)
  GET  /v1/audit, /v1/reviews, ...         the audit log and reviews (scope admin)
  /simple/                                 the filtering package index (scope proxy;
                                           pip: --index-url http://__token__:TOKEN@HOST/simple/)
  /healthz, /readyz, /metrics              no token

Every decision is committed to the audit log before it is answered. Advisory
data updated by airlock db update or import (when --advisories is not
given), and approvals made by other replicas sharing the store, are picked
up every --refresh-interval. SIGTERM or SIGINT stops accepting requests,
lets those in flight finish (up to --shutdown-timeout) and exits 0.

Without --tls-cert, tokens travel in clear text: listen on loopback only, or
behind a TLS-terminating proxy. The log goes to standard error (--log-level
defaults to info here).

Exit codes: 0 after a clean shutdown, 2 a usage error, 4 when the server
cannot start (listen, open its store) or requests were still running when
--shutdown-timeout passed.`,
		Example: `  airlock serve
  airlock serve --listen 0.0.0.0:8470 --tls-cert cert.pem --tls-key key.pem
  airlock serve --database postgres://airlock@db/airlock --advisories ./advisory-database`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("log-level") {
				a.logLevel = "info"
			}
			return a.runServe(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", server.DefaultListen, "address to listen on")
	fl.StringVar(&f.database, "database", "", databaseFlagUsage)
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "the certificate's private key (PEM)")
	f.policy.register(fl)
	fl.StringVar(&f.upstream, "upstream", "", "upstream simple index URL (default $AIRLOCK_UPSTREAM or "+index.DefaultUpstream+")")
	fl.StringArrayVar(&f.internal, "internal", nil, "NAME=URL: serve and install project NAME from the internal index at URL only (repeatable)")
	fl.BoolVar(&f.offline, "offline", false, "serve and install only what is cached; never contact the upstream")
	fl.Float64Var(&f.rate, "rate-limit", server.DefaultRate, "requests per second each token may make (0: no limit)")
	fl.IntVar(&f.burst, "burst", server.DefaultBurst, "requests a token may make at once above its rate")
	fl.IntVar(&f.installsPerToken, "max-installs-per-token", server.DefaultInstallsPerToken, "concurrent installs per token")
	fl.IntVar(&f.runsPerToken, "max-runs-per-token", server.DefaultRunsPerToken, "concurrent runs per token")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "how long a shutdown waits for requests in flight")
	fl.DurationVar(&f.refresh, "refresh-interval", server.DefaultRefreshInterval, "how often approvals from other replicas and updated advisory data are picked up")
	fl.StringVar(&f.addrFile, "addr-file", "", "write the address actually listened on to this file (for --listen with port 0)")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format on standard error: text or json")
	return cmd
}

func (a *app) runServe(ctx context.Context, f serveFlags) error {
	switch {
	case (f.tlsCert == "") != (f.tlsKey == ""):
		return usageErrorf("--tls-cert and --tls-key go together")
	case f.rate < 0 || f.burst < 1 || f.installsPerToken < 1 || f.runsPerToken < 1 || f.shutdownTimeout <= 0 || f.refresh <= 0:
		return usageErrorf("--rate-limit cannot be negative; --burst, --max-installs-per-token, --max-runs-per-token, --shutdown-timeout and --refresh-interval must be positive")
	case f.logFormat != "text" && f.logFormat != "json":
		return usageErrorf("--log-format: %q is not text or json", f.logFormat)
	}
	if err := a.setup(); err != nil { // --log-level may have changed its default
		return err
	}
	if f.logFormat == "json" {
		var level slog.Level
		_ = level.UnmarshalText([]byte(a.logLevel))
		a.logger = slog.New(slog.NewJSONHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	}
	log := a.logger.With("component", "serve")
	host, _, err := net.SplitHostPort(f.listen)
	if err != nil {
		return usageErrorf("--listen %q: %v", f.listen, err)
	}
	var tlsConf *tls.Config
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return usageErrorf("--tls-cert/--tls-key: %v", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ups, upstream, err := a.upstreams(f.upstream, f.internal, f.offline, "airlock-serve")
	if err != nil {
		return err
	}
	data, err := a.dataDir()
	if err != nil {
		return withCode(ExitFailed, err)
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return withCode(ExitFailed, fmt.Errorf("data directory: %w", err))
	}
	cfg, pdata, notes, err := a.policyInputs(&f.policy)
	if err != nil {
		return err
	}
	inspection, err := env.PackageInspection(cfg)
	if err != nil {
		return usageError{err}
	}

	st, err := a.openStore(ctx, f.database)
	if err != nil {
		return err
	}
	defer st.Close()

	// The package index and the install pipeline share one verified cache
	// with airlock proxy and airlock install.
	artifacts, _, err := a.openCache("", cache.Options{})
	if err != nil {
		return err
	}
	defer artifacts.Close()
	envs, err := a.envManager()
	if err != nil {
		return err
	}
	// Without a sandbox the server still checks and proxies; installs and
	// runs answer 503 and the log says what to install.
	runner, runnerErr := a.runner(ctx, runFlags{driver: "bwrap"})
	if runnerErr != nil {
		log.Warn("no sandbox: installs and runs are off", "err", runnerErr)
	}

	srv, err := server.New(ctx, server.Options{
		Store:           st,
		Logger:          a.logger,
		Policy:          cfg,
		PolicyData:      pdata,
		PolicyNotes:     notes,
		ReloadData:      a.dataReloader(&f.policy, data),
		RefreshInterval: f.refresh,
		Proxy:           &server.ProxyOptions{Upstreams: ups, Offline: f.offline, Cache: artifacts},
		Environments:    envs,
		Runner:          runner,
		RunnerError:     runnerErr,
		Install:         &env.Options{Upstreams: ups, Offline: f.offline, Cache: artifacts, Inspect: inspection},
		Limits: server.Limits{
			Rate: rateOption(f.rate), Burst: f.burst, InstallsPerToken: f.installsPerToken, RunsPerToken: f.runsPerToken,
		},
	})
	if err != nil {
		return withCode(ExitFailed, err)
	}

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		srv.Shutdown()
		return withCode(ExitFailed, err)
	}
	addr := ln.Addr().String()
	// The first token is made once the address is ours, so that a start
	// that fails (a port in use) does not spend it.
	if err := a.firstAdminToken(ctx, st); err != nil {
		ln.Close()
		srv.Shutdown()
		return err
	}
	if f.addrFile != "" {
		if err := writeFileAtomic(f.addrFile, []byte(addr+"\n")); err != nil {
			ln.Close()
			srv.Shutdown()
			return withCode(ExitFailed, err)
		}
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
	} else if !isLoopback(host) {
		fmt.Fprintf(a.stderr, "airlock serve: WARNING: listening on %s without TLS: tokens travel in clear text; use --tls-cert and --tls-key, or a TLS-terminating proxy\n", f.listen)
	}
	mode := "upstream " + upstream
	if f.offline {
		mode = "offline"
	}
	fmt.Fprintf(a.stderr, "airlock serve: listening on %s://%s (data %s, package index %s)\n", scheme, addr, data, mode)
	log.Info("listening", "addr", addr, "tls", tlsConf != nil, "data", data)

	// Requests in flight keep their context when the signal arrives: the
	// drain lets them finish. The base context ends only if the drain
	// times out, which kills the runs and installs still going.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	hs := &http.Server{
		Handler:           srv.Handler(),
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: serveReadHeaderTimeout,
		ReadTimeout:       serveReadTimeout,
		WriteTimeout:      serveWriteTimeout,
		IdleTimeout:       serveIdleTimeout,
		MaxHeaderBytes:    serveMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.logger.With("component", "http").Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	done := make(chan error, 1)
	go func() {
		if tlsConf != nil {
			done <- hs.ServeTLS(ln, "", "")
		} else {
			done <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		srv.Shutdown()
		return withCode(ExitFailed, err)
	case <-ctx.Done():
	}
	fmt.Fprintf(a.stderr, "airlock serve: shutting down: finishing the requests in flight (up to %s)\n", f.shutdownTimeout)
	srv.SetDraining()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
	defer cancel()
	drainErr := hs.Shutdown(sctx)
	if drainErr != nil {
		cancelBase()
		hs.Close()
	}
	<-done
	srv.Shutdown()
	if err := st.Close(); err != nil {
		return withCode(ExitFailed, fmt.Errorf("closing the store: %w", err))
	}
	if drainErr != nil {
		return withCode(ExitFailed, fmt.Errorf("requests were still running after %s and were stopped", f.shutdownTimeout))
	}
	fmt.Fprintln(a.stderr, "airlock serve: stopped")
	return nil
}

// rateOption turns --rate-limit into the server's Rate (0 means off).
func rateOption(r float64) float64 {
	if r == 0 {
		return -1
	}
	return r
}

// firstAdminToken creates the admin token on the first start and prints
// its secret, alone, on standard output, once.
func (a *app) firstAdminToken(ctx context.Context, st store.Store) error {
	tok, secret, err := store.EnsureAdminToken(ctx, st, time.Now())
	if err != nil {
		return withCode(ExitFailed, fmt.Errorf("creating the first admin token: %w", err))
	}
	if secret == "" {
		return nil
	}
	extra, _ := json.Marshal(map[string]any{"scopes": tok.Scopes, "first_start": true})
	if _, err := st.Append(ctx, store.Event{Actor: serveActor, Action: store.ActionTokenCreate, Subject: tok.Name, Extra: extra}); err != nil {
		// An unrecorded token must not be usable.
		if rerr := st.RevokeToken(context.WithoutCancel(ctx), tok.Name, time.Time{}); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return withCode(ExitFailed, fmt.Errorf("recording the first admin token: %w", err))
	}
	fmt.Fprintln(a.stdout, secret.String())
	fmt.Fprintf(a.stderr, "airlock serve: created the token %q with every scope; its secret is the line on standard output, shown only this once\n", tok.Name)
	return nil
}

// dataReloader returns the server's ReloadData: when the advisory data and
// popular names come from the data directory (no --advisories), it reloads
// them after `airlock db update` or `airlock db import` replaced them. Those
// replace files by renaming them into <data dir>/db, which changes the
// directory's modification time; nothing is read until it does. The policy
// file is read at start only.
func (a *app) dataReloader(pf *policyFlags, data string) func(context.Context) (policy.Data, []string, bool, error) {
	if len(pf.advisories) > 0 {
		return nil
	}
	dir := feed.Dir(data)
	stamp := func() time.Time {
		fi, err := os.Stat(dir)
		if err != nil {
			return time.Time{}
		}
		return fi.ModTime()
	}
	last := stamp()
	return func(context.Context) (policy.Data, []string, bool, error) {
		now := stamp()
		if now.Equal(last) {
			return policy.Data{}, nil, false, nil
		}
		pdata, notes, err := a.policyData(pf)
		if err != nil {
			return policy.Data{}, nil, false, err
		}
		last = now
		return pdata, notes, true, nil
	}
}
