package server

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/internal/store"
)

// maxTokenCache bounds the token cache; past it the cache starts over (a
// flood of well-formed but unknown tokens cannot grow it without bound).
const maxTokenCache = 10_000

// touchQueue bounds the last-used updates waiting to be written; when it
// is full, updates are dropped (the time is only recorded to the minute
// anyway).
const touchQueue = 256

// authenticator checks tokens against the store, with a short-lived cache.
type authenticator struct {
	store store.TokenStore
	now   func() time.Time
	log   *slog.Logger

	mu      sync.Mutex
	cache   map[store.TokenHash]cachedToken
	touches map[string]time.Time // when each token's use was last queued

	touch chan string
	done  chan struct{}
}

type cachedToken struct {
	tok     store.Token
	found   bool // false: the hash is unknown
	fetched time.Time
}

func newAuthenticator(s store.TokenStore, now func() time.Time, log *slog.Logger) *authenticator {
	a := &authenticator{store: s, now: now, log: log, cache: map[store.TokenHash]cachedToken{},
		touches: map[string]time.Time{}, touch: make(chan string, touchQueue), done: make(chan struct{})}
	go a.toucher(a.touch)
	return a
}

// toucher records tokens' last use off the request path, until close
// closes ch.
func (a *authenticator) toucher(ch <-chan string) {
	defer close(a.done)
	for name := range ch {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := a.store.TouchToken(ctx, name, a.now()); err != nil {
			a.log.Debug("recording a token's last use failed", "token", name, "err", err)
		}
		cancel()
	}
}

func (a *authenticator) close() {
	a.mu.Lock()
	if a.touch != nil {
		close(a.touch)
		a.touch = nil
	}
	a.mu.Unlock()
	<-a.done
}

// credential extracts the token secret from the Authorization header:
// "Bearer <secret>", or basic authentication whose password is the secret
// (pip's http://__token__:<secret>@host/ form), or whose user name is and
// whose password is empty (http://<secret>@host/). ok is false when the
// request carries no credentials at all.
func credential(r *http.Request) (secret string, ok bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return rest, true
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", true
		}
		user, pass, found := strings.Cut(string(raw), ":")
		if !found {
			return "", true
		}
		if pass == "" && strings.HasPrefix(user, store.SecretPrefix) {
			return user, true // http://TOKEN@host/: the token as the user name
		}
		return pass, true
	}
	return "", true
}

// authenticate returns the request's valid token. Errors are apiErrors: a
// 401 for anything wrong with the token, a 503 when the store fails.
func (a *authenticator) authenticate(ctx context.Context, r *http.Request, basic bool) (store.Token, error) {
	secretText, present := credential(r)
	challenge := func(msg string, cause error) error {
		h := http.Header{}
		if basic {
			h.Set("WWW-Authenticate", `Basic realm="airlock", charset="UTF-8"`)
		} else {
			h.Set("WWW-Authenticate", `Bearer realm="airlock"`)
		}
		return &apiError{Status: http.StatusUnauthorized, Code: CodeUnauthenticated, Message: msg, Err: cause, Header: h}
	}
	if !present {
		return store.Token{}, challenge("a token is required: send \"Authorization: Bearer <token>\"", nil)
	}
	secret, err := store.ParseSecret(secretText)
	if err != nil {
		return store.Token{}, challenge("the token is not valid", err)
	}
	h := secret.Hash()
	now := a.now()
	tok, found, err := a.lookup(ctx, h, now)
	if err != nil {
		return store.Token{}, unavailable("cannot check the token now; try again", err)
	}
	if !found || subtle.ConstantTimeCompare(tok.Hash[:], h[:]) != 1 {
		return store.Token{}, challenge("the token is not valid", store.ErrTokenUnknown)
	}
	if tok.IsRevoked() {
		return store.Token{}, challenge("the token was revoked", store.ErrTokenRevoked)
	}
	if tok.Expired(now) {
		return store.Token{}, challenge("the token has expired", store.ErrTokenExpired)
	}
	a.touched(tok.Name, now)
	return tok, nil
}

// lookup finds the token with hash h, from the cache when the entry is
// younger than TokenCacheTTL.
func (a *authenticator) lookup(ctx context.Context, h store.TokenHash, now time.Time) (store.Token, bool, error) {
	a.mu.Lock()
	c, ok := a.cache[h]
	a.mu.Unlock()
	if ok && now.Sub(c.fetched) < TokenCacheTTL && !now.Before(c.fetched) {
		return c.tok, c.found, nil
	}
	tok, err := a.store.TokenByHash(ctx, h)
	found := true
	switch {
	case errors.Is(err, store.ErrNotFound):
		found = false
	case err != nil:
		return store.Token{}, false, err
	}
	a.mu.Lock()
	if len(a.cache) >= maxTokenCache {
		clear(a.cache)
	}
	a.cache[h] = cachedToken{tok: tok, found: found, fetched: now}
	a.mu.Unlock()
	return tok, found, nil
}

// touched queues a last-use update for the named token, at most once per
// half [store.LastUsedResolution].
func (a *authenticator) touched(name string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.touch == nil || now.Sub(a.touches[name]) < store.LastUsedResolution/2 {
		return
	}
	select {
	case a.touch <- name:
		if len(a.touches) >= maxTokenCache {
			clear(a.touches)
		}
		a.touches[name] = now
	default:
	}
}

// scopeError is the 403 for a token without any of the scopes.
func scopeError(tok store.Token, need store.Scopes) error {
	names := make([]string, 0, 2)
	for _, sc := range need.List() {
		names = append(names, `"`+sc.String()+`"`)
	}
	return errorf(http.StatusForbidden, CodeForbidden, "token %q lacks the %s scope", tok.Name, strings.Join(names, " or "))
}
