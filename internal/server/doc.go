// Package server is airlock's HTTP gateway, the process behind
// `airlock serve`: agents hold a token; the server holds the policy, the
// environments, the sandbox and the record of every decision.
//
// # API
//
// The routes are listed once, in [Server.Routes], and described by the
// OpenAPI 3.1 document embedded from openapi.json and served at
// /v1/openapi.json; a test fails when the two differ. docs/api.md is the
// reference for people.
//
//	POST   /v1/check                          check         vet requirements, as `airlock check --format json`
//	GET    /v1/environments                   install|run   list environments
//	POST   /v1/environments                   install       create one
//	GET    /v1/environments/{name}            install|run   show one, with its lock
//	DELETE /v1/environments/{name}            install       remove one
//	POST   /v1/environments/{name}/install    install       the vetted install
//	POST   /v1/environments/{name}/run        run           run a command in a sandbox
//	GET    /v1/audit                          admin         the audit log, newest first
//	GET    /v1/reviews, /v1/reviews/{id}      admin         decisions waiting for a person
//	POST   /v1/reviews/{id}/approve|reject    admin         approve (an exception) or reject (a deny)
//	GET    /v1/exceptions                     admin         the exceptions approvals made
//	GET    /simple/...                        proxy         the filtering package index (basic auth)
//	GET    /healthz, /readyz, /metrics, /v1/openapi.json    no token
//
// # Security
//
// A token is sent as "Authorization: Bearer <secret>", or as the password
// of HTTP basic authentication (pip's http://__token__:<secret>@host/simple/).
// Only its SHA-256 is stored; the lookup is by that hash, compared again in
// constant time. Lookups are cached for [TokenCacheTTL], so a token revoked
// by `airlock token revoke` in another process is refused within that time.
// A missing, malformed, unknown, expired or revoked token is a 401 with a
// WWW-Authenticate challenge; a token without the route's scope is a 403.
//
// Each token has a request rate limit and limits on concurrent installs and
// runs (429 with Retry-After); the server as a whole has limits on
// concurrent installs and runs (503 with Retry-After). Request bodies are
// size-limited per route (413), every request has a deadline, and the HTTP
// server has read-header, read, write and idle timeouts.
//
// Errors are JSON, {"error": {"code", "message", "request_id"}}. What a
// client sees is written for it and never holds internal paths or upstream
// errors; the full error is logged with the same request id.
//
// # Audit and reviews
//
// Every decision (a check, an install, a run, an environment created or
// removed, a review approved or rejected, a proxied page or file) is
// appended to the store's audit log, and the append has committed before
// the answer is sent: after a crash, every answered request is in the log.
// When the log cannot be written the server answers 503 and decides
// nothing (fail closed).
//
// A check or install whose decision is review creates a review record per
// finding (one per project, version and rule; a pending one is reused).
// Approving it stores an exception with an expiry, and the server rebuilds
// its policy with it (policies are immutable); rejecting it turns later
// review findings with the same project, version and rule into denials.
// Exceptions and reviews decided by other replicas sharing the store are
// picked up every [Options.RefreshInterval].
//
// # Shutdown
//
// [Server.Shutdown] stops accepting requests, waits for those in flight
// (installs and runs included) and then stops the background work; the
// caller closes the store afterwards.
package server
