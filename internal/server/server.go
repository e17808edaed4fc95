package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/sandbox"
	"github.com/airlock-dev/airlock/internal/store"
)

// Defaults for [Options] and [Limits]; each names why it is what it is.
const (
	// DefaultListen is where `airlock serve` listens with no --listen:
	// loopback only, so that a zero-configuration server is not exposed.
	DefaultListen = "127.0.0.1:8470"
	// DefaultRefreshInterval is how often exceptions and reviews decided by
	// other replicas sharing the store are picked up.
	DefaultRefreshInterval = 15 * time.Second
	// TokenCacheTTL is how long a token lookup is reused. A token revoked in
	// another process is refused at most this long afterwards ("within a
	// second", as the tokens' documentation promises), while a busy client
	// costs one indexed read per TokenCacheTTL instead of one per request.
	TokenCacheTTL = 500 * time.Millisecond
)

// Limits bound what one token, and the server as a whole, may ask for.
// Zero fields take the Default* values.
type Limits struct {
	// Rate is each token's sustained request rate, per second, and Burst
	// the requests it may make at once above it. A negative Rate turns
	// the rate limit off.
	Rate  float64
	Burst int
	// InstallsPerToken and RunsPerToken bound one token's concurrent
	// installs and runs; MaxInstalls and MaxRuns the server's.
	InstallsPerToken int
	RunsPerToken     int
	MaxInstalls      int
	MaxRuns          int
	// MaxCheckBody, MaxInstallBody and MaxRunBody bound request bodies, in
	// bytes (MaxRunBody carries the files to place in the work directory).
	MaxCheckBody   int64
	MaxInstallBody int64
	MaxRunBody     int64
	// CheckTimeout bounds a check, audit query or review decision;
	// InstallTimeout an install; MaxRunWall the wall-clock limit a run may
	// ask for (the run's deadline is its wall limit plus RunGrace).
	CheckTimeout   time.Duration
	InstallTimeout time.Duration
	MaxRunWall     time.Duration
}

// Default limits.
const (
	// DefaultRate and DefaultBurst allow what one agent and its pip need:
	// pip fetches a page and a file per package, a few at a time.
	DefaultRate  = 100
	DefaultBurst = 200
	// DefaultInstallsPerToken and DefaultRunsPerToken keep one agent from
	// taking every sandbox.
	DefaultInstallsPerToken = 2
	DefaultRunsPerToken     = 4
	// DefaultMaxCheckBody: a requirements file is a few kilobytes; a
	// megabyte is thousands of lines.
	DefaultMaxCheckBody   = 1 << 20
	DefaultMaxInstallBody = 1 << 20
	// DefaultMaxRunBody carries a project's source files.
	DefaultMaxRunBody = 32 << 20
	// DefaultCheckTimeout bounds work that touches only the store and the
	// policy (microseconds each); it is there for a stuck database.
	DefaultCheckTimeout = 10 * time.Second
	// DefaultInstallTimeout covers resolving, fetching and installing a
	// large closure on a slow upstream.
	DefaultInstallTimeout = 15 * time.Minute
	// DefaultMaxRunWall is the longest run a client may ask for.
	DefaultMaxRunWall = 10 * time.Minute
	// RunGrace is added to a run's wall limit for the request deadline:
	// sandbox set-up and tear-down.
	RunGrace = 30 * time.Second
)

// defaultMaxConcurrent is the server-wide limit on installs and runs: each
// takes a sandbox, and a 2-core machine gains nothing from more.
func defaultMaxConcurrent() int { return max(2, 2*runtime.NumCPU()) }

func (l Limits) withDefaults() Limits {
	set := func(p *int, d int) {
		if *p <= 0 {
			*p = d
		}
	}
	set64 := func(p *int64, d int64) {
		if *p <= 0 {
			*p = d
		}
	}
	setD := func(p *time.Duration, d time.Duration) {
		if *p <= 0 {
			*p = d
		}
	}
	if l.Rate == 0 {
		l.Rate = DefaultRate
	}
	set(&l.Burst, max(DefaultBurst, int(l.Rate)))
	set(&l.InstallsPerToken, DefaultInstallsPerToken)
	set(&l.RunsPerToken, DefaultRunsPerToken)
	set(&l.MaxInstalls, defaultMaxConcurrent())
	set(&l.MaxRuns, defaultMaxConcurrent())
	set64(&l.MaxCheckBody, DefaultMaxCheckBody)
	set64(&l.MaxInstallBody, DefaultMaxInstallBody)
	set64(&l.MaxRunBody, DefaultMaxRunBody)
	setD(&l.CheckTimeout, DefaultCheckTimeout)
	setD(&l.InstallTimeout, DefaultInstallTimeout)
	setD(&l.MaxRunWall, DefaultMaxRunWall)
	return l
}

// ProxyOptions configure the package index at /simple/.
type ProxyOptions struct {
	// Upstreams are the indexes the proxy reads; required unless Offline.
	Upstreams *index.Upstreams
	// Offline serves only what is cached.
	Offline bool
	// Cache is the verified artifact cache; required.
	Cache *cache.Store
	// PageTTL is how long a project page is served from the cache
	// (index.DefaultPageTTL when zero).
	PageTTL time.Duration
}

// Options configure a [Server]. Store is required; everything else has a
// default or turns its routes off (they answer 503 and say why).
type Options struct {
	// Store holds tokens, environments, the audit log and reviews.
	Store store.Store
	// Logger receives the server's log; nil discards it.
	Logger *slog.Logger
	// Policy is the policy file; nil means the embedded default.
	Policy *policy.Config
	// PolicyData are the advisory data and popular names the policy
	// decides with. Its Exceptions come in addition to the approved
	// reviews in the store; its Now is the server's clock.
	PolicyData policy.Data
	// PolicyNotes are remarks about the data (a stale advisory database)
	// that every answer carries.
	PolicyNotes []string
	// ReloadData, when set, is called at every refresh; when it reports a
	// change (the advisory database was updated), the policy is rebuilt
	// with the new data and notes. Its errors are logged, and the data in
	// force stays.
	ReloadData func(ctx context.Context) (data policy.Data, notes []string, changed bool, err error)
	// ProxyJudge turns a policy into the proxy's judge (the files the
	// index serves, and what pip may resolve to during an install). Nil
	// means [DefaultProxyJudge].
	ProxyJudge func(*policy.Policy) index.Judge
	// Proxy configures /simple/; nil turns it off.
	Proxy *ProxyOptions
	// Environments manages the environments; nil turns the environment
	// routes off.
	Environments *env.Manager
	// Runner runs sandboxed commands; nil turns runs and installs off.
	// RunnerError, when set, says why there is none (logged; clients are
	// told the sandbox is unavailable).
	Runner      sandbox.Runner
	RunnerError error
	// Install configures the vetted install; its Policy, Judge, Audit,
	// Runner and Logger are set by the server. Nil turns installs off.
	Install *env.Options
	// RunTempDir is where run work directories are made; "" means
	// os.TempDir().
	RunTempDir string
	// Limits bound clients; zero fields take the defaults.
	Limits Limits
	// RefreshInterval is how often exceptions and reviews are re-read from
	// the store (DefaultRefreshInterval when zero).
	RefreshInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the HTTP API. Build it with [New], serve [Server.Handler], and
// call [Server.Shutdown] when done. It is safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	store   store.Store
	now     func() time.Time
	limits  Limits
	routes  []Route
	handler http.Handler

	auth    *authenticator
	rate    *rateLimiter
	conc    *concurrency
	metrics *metrics

	pol     atomic.Pointer[policyState]
	reviews *reviewIndex
	polMu   sync.Mutex // serialises policy rebuilds; guards data and notes
	data    policy.Data
	notes   []string

	proxy     http.Handler // nil when off
	installer *env.Installer
	installEr error // why installer is nil

	bgCancel context.CancelFunc
	bgDone   sync.WaitGroup
	draining atomic.Bool
	reqSeq   atomic.Uint64
	reqBase  string
}

// New builds a server: it reads the approved exceptions and the reviews
// from the store, builds the policy, and starts the background refresh.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("server: Store is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = DefaultRefreshInterval
	}
	if opts.Policy == nil {
		opts.Policy = policy.Default()
	}
	opts.PolicyData.Now = opts.Now
	var rb [6]byte
	rand.Read(rb[:])
	s := &Server{
		opts:    opts,
		log:     opts.Logger.With("component", "server"),
		store:   opts.Store,
		now:     opts.Now,
		limits:  opts.Limits.withDefaults(),
		reviews: newReviewIndex(),
		reqBase: hex.EncodeToString(rb[:]),
		data:    opts.PolicyData,
		notes:   opts.PolicyNotes,
	}
	s.auth = newAuthenticator(opts.Store, opts.Now, s.log)
	s.rate = newRateLimiter(s.limits.Rate, s.limits.Burst, opts.Now)
	s.conc = newConcurrency(s.limits)
	s.metrics = newMetrics()
	if err := s.refresh(ctx); err != nil {
		s.auth.close()
		return nil, err
	}
	if opts.Proxy != nil {
		h, err := index.New(index.Options{
			Upstreams: opts.Proxy.Upstreams, Offline: opts.Proxy.Offline, Cache: opts.Proxy.Cache,
			PageTTL: opts.Proxy.PageTTL, Judge: dynamicJudge{s}, Logger: opts.Logger.With("component", "proxy"),
		})
		if err != nil {
			s.auth.close()
			return nil, fmt.Errorf("server: proxy: %w", err)
		}
		s.proxy = h
	}
	s.setupInstaller(ctx)
	s.routes = s.makeRoutes()
	s.handler = s.buildHandler()
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.bgCancel = cancel
	s.bgDone.Add(1)
	go s.refreshLoop(bg)
	return s, nil
}

// setupInstaller builds the vetted install pipeline when everything it
// needs is there; otherwise installs answer 503 and the log says why.
func (s *Server) setupInstaller(ctx context.Context) {
	switch {
	case s.opts.Install == nil:
		s.installEr = errors.New("installs are not configured")
		return
	case s.opts.Environments == nil:
		s.installEr = errors.New("environments are not configured")
		return
	case s.opts.Runner == nil:
		s.installEr = fmt.Errorf("no sandbox: %v", s.opts.RunnerError)
		return
	}
	o := *s.opts.Install
	o.Runner = s.opts.Runner
	o.Policy = dynamicPolicy{s}
	o.Judge = dynamicJudge{s}
	o.Audit = installAuditor{s}
	o.Logger = s.opts.Logger.With("component", "install")
	o.Now = s.now
	inst, err := env.NewInstaller(ctx, o)
	if err != nil {
		s.installEr = err
		s.log.Warn("installs are off", "err", err)
		return
	}
	s.installer = inst
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Shutdown marks the server as draining (/readyz answers 503) and stops
// its background work. Call it after http.Server.Shutdown has drained the
// requests in flight, and close the store afterwards.
func (s *Server) Shutdown() {
	s.draining.Store(true)
	s.bgCancel()
	s.bgDone.Wait()
	s.auth.close()
}

// SetDraining makes /readyz answer 503, so that load balancers stop
// sending requests while http.Server.Shutdown drains the rest.
func (s *Server) SetDraining() { s.draining.Store(true) }

func (s *Server) refreshLoop(ctx context.Context) {
	defer s.bgDone.Done()
	t := time.NewTicker(s.opts.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(ctx, s.limits.CheckTimeout)
			if err := s.refresh(rctx); err != nil && ctx.Err() == nil {
				s.log.Warn("refreshing exceptions and reviews failed; keeping the previous ones", "err", err)
			}
			cancel()
		}
	}
}

// Request ids. Each request gets one: it is in the X-Request-Id header,
// every error answer, every log line about the request and its audit
// events. It is the process's random prefix and a counter, so it is unique
// without a system call per request.
type ctxKey int

const (
	requestIDKey ctxKey = iota
	tokenKey
	eventHolderKey
)

func (s *Server) newRequestID() string {
	return s.reqBase + "-" + strconv.FormatUint(s.reqSeq.Add(1), 36)
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// tokenFrom returns the authenticated token of the request.
func tokenFrom(ctx context.Context) store.Token {
	t, _ := ctx.Value(tokenKey).(store.Token)
	return t
}
