// Package index is airlock's filtering package index: a proxy that serves
// the Python Simple Repository API (PEP 503 HTML and PEP 691 JSON) from an
// upstream index, leaving out what a [Judge] refuses, and serves files only
// from a verified, content-addressed artifact cache (package
// [github.com/airlock-dev/airlock/internal/index/cache]).
//
// The flow of a request: [Handler] → project page from the page cache or
// the upstream [Client] → [Judge] for the project and for each file →
// rendered page with links back to the proxy. A file request is judged
// again, then served from the cache, which fetches it from the upstream and
// verifies its sha256 while it streams in when it is missing.
//
// The traps this package exists for:
//
//   - pip hides a 403 on a project page ("no matching distribution") but
//     prints the HTTP reason phrase of a 403 on a file download, and it
//     asks for JSON first. So a denied project's page (JSON or HTML) lists
//     its files, each download answers 403 with the reason in the reason
//     phrase, which the proxy writes itself since net/http cannot, and
//     the JSON page also says why under "_airlock".
//   - A file URL can be requested without reading the page, so files are
//     decided twice.
//   - The upstream is not trusted: pages are size-limited, redirects may not
//     leave the upstream's host, and a file whose bytes do not match the
//     published sha256 is never served or stored.
//   - An upstream failure fails closed (502 or 504 with a reason); offline
//     mode serves the cache and nothing else (503 for what is missing).
//
// docs/proxy.md describes the decision levels, the reason phrase and the
// cache for operators.
package index
