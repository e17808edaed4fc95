package server

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// rateLimiter holds one token bucket per token name. Tokens are few (an
// administrator makes them), so the map is not pruned.
type rateLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newRateLimiter(perSecond float64, burst int, now func() time.Time) *rateLimiter {
	l := rate.Limit(perSecond)
	if perSecond < 0 {
		l = rate.Inf
	}
	return &rateLimiter{limit: l, burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
}

// allow takes one request from name's bucket, or returns a 429 saying when
// to come back.
func (rl *rateLimiter) allow(name string) error {
	if rl.limit == rate.Inf {
		return nil
	}
	rl.mu.Lock()
	b, ok := rl.buckets[name]
	if !ok {
		b = rate.NewLimiter(rl.limit, rl.burst)
		rl.buckets[name] = b
	}
	rl.mu.Unlock()
	now := rl.now()
	r := b.ReserveN(now, 1)
	if !r.OK() {
		return tooMany(time.Second, "token %q is over its rate limit", name)
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return tooMany(d, "token %q is over its rate limit of %g requests per second", name, float64(rl.limit))
	}
	return nil
}

func tooMany(retry time.Duration, format string, args ...any) *apiError {
	e := errorf(http.StatusTooManyRequests, CodeRateLimited, format, args...)
	e.RetryAfter = max(retry, time.Second)
	return e
}

// concurrency counts installs and runs in progress, per token and in all.
type concurrency struct {
	perToken map[kind]int
	total    map[kind]int

	mu     sync.Mutex
	active map[kind]map[string]int
	all    map[kind]int
}

// kind is what a concurrency slot is for.
type kind string

const (
	kindInstall kind = "install"
	kindRun     kind = "run"
)

// concurrencyRetry is the Retry-After of a refused install or run: long
// enough for a short run to finish.
const concurrencyRetry = 2 * time.Second

func newConcurrency(l Limits) *concurrency {
	return &concurrency{
		perToken: map[kind]int{kindInstall: l.InstallsPerToken, kindRun: l.RunsPerToken},
		total:    map[kind]int{kindInstall: l.MaxInstalls, kindRun: l.MaxRuns},
		active:   map[kind]map[string]int{kindInstall: {}, kindRun: {}},
		all:      map[kind]int{},
	}
}

// acquire takes a slot of kind k for the named token, or returns a 429
// (the token's limit) or a 503 (the server's). Call release when done.
func (c *concurrency) acquire(k kind, name string) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active[k][name] >= c.perToken[k] {
		return nil, tooMany(concurrencyRetry, "token %q already has %d %ss in progress, its limit", name, c.active[k][name], k)
	}
	if c.all[k] >= c.total[k] {
		e := errorf(http.StatusServiceUnavailable, CodeUnavailable, "the server is running as many %ss as it can; try again shortly", k)
		e.RetryAfter = concurrencyRetry
		return nil, e
	}
	c.active[k][name]++
	c.all[k]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.all[k]--
			if c.active[k][name]--; c.active[k][name] == 0 {
				delete(c.active[k], name)
			}
		})
	}, nil
}
