package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/airlock-dev/airlock/internal/store"
)

// TokenGuard is an http.Handler that lets through only requests carrying a
// valid token with a scope, checked as the server checks them: by hash in
// constant time, revocations seen within [TokenCacheTTL], 401 with a
// challenge for pip's basic authentication, 403 without the scope, JSON
// errors. airlock proxy puts it in front of the package index when it
// listens beyond loopback. Close stops its background work.
type TokenGuard struct {
	auth  *authenticator
	scope store.Scope
	next  http.Handler
	log   *slog.Logger
}

// NewTokenGuard returns a guard for next that needs scope.
func NewTokenGuard(tokens store.TokenStore, scope store.Scope, next http.Handler, log *slog.Logger) *TokenGuard {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &TokenGuard{auth: newAuthenticator(tokens, time.Now, log), scope: scope, next: next, log: log}
}

// ServeHTTP implements http.Handler.
func (g *TokenGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := &Server{log: g.log}
	tok, err := g.auth.authenticate(r.Context(), r, true)
	if err == nil && !tok.Scopes.Has(g.scope) {
		err = scopeError(tok, store.Scopes(g.scope))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	r = r.Clone(r.Context())
	r.Header.Del("Authorization") // the token is ours, not the index's
	g.next.ServeHTTP(w, r)
}

// Close stops recording the tokens' last use.
func (g *TokenGuard) Close() { g.auth.close() }
