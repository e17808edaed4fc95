package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/server"
	"github.com/airlock-dev/airlock/internal/store"
)

// operation is one method of one path of the OpenAPI document.
type operation struct {
	method string // upper case
	path   string
	// scopes are the scopes of which a token needs one; nil for none.
	scopes []string
	basic  bool // basic authentication is offered
}

func (op operation) String() string { return op.method + " " + op.path }

// apiOperations reads the operations of the embedded OpenAPI document.
func apiOperations(t *testing.T) []operation {
	t.Helper()
	var doc struct {
		OpenAPI  string                                `json:"openapi"`
		Security []map[string][]string                 `json:"security"`
		Paths    map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(server.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	var ops []operation
	for path, item := range doc.Paths {
		for method, raw := range item {
			switch method {
			case "parameters", "summary", "description":
				continue
			}
			var o struct {
				Security *[]map[string][]string `json:"security"`
			}
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			sec := doc.Security
			if o.Security != nil {
				sec = *o.Security
			}
			op := operation{method: strings.ToUpper(method), path: path}
			for _, req := range sec {
				for scheme, scopes := range req {
					if scheme == "basic" {
						op.basic = true
					}
					for _, s := range scopes {
						if !slices.Contains(op.scopes, s) {
							op.scopes = append(op.scopes, s)
						}
					}
				}
			}
			sort.Strings(op.scopes)
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	return ops
}

// routeOperations lists what the server's routes serve, in the same form.
func routeOperations(s *server.Server) []operation {
	var ops []operation
	for _, rt := range s.Routes() {
		var scopes []string
		for _, sc := range rt.Scopes.List() {
			scopes = append(scopes, sc.String())
		}
		sort.Strings(scopes)
		for _, p := range rt.Paths() {
			ops = append(ops, operation{method: rt.Method, path: p, scopes: scopes, basic: rt.Basic})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	return ops
}

// TestOpenAPIMatchesRoutes fails on any difference between the document
// and the router: a route missing from either, or other scopes.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	ts := newTestServer(t)
	doc := map[string]operation{}
	for _, op := range apiOperations(t) {
		doc[op.String()] = op
	}
	routes := map[string]operation{}
	for _, op := range routeOperations(ts.srv) {
		routes[op.String()] = op
	}
	for k, op := range routes {
		d, ok := doc[k]
		if !ok {
			t.Errorf("route %s is not in openapi.json", k)
			continue
		}
		if !slices.Equal(d.scopes, op.scopes) {
			t.Errorf("%s: openapi.json says scopes %v, the route needs %v", k, d.scopes, op.scopes)
		}
		if d.basic != op.basic {
			t.Errorf("%s: openapi.json offers basic auth: %v, the route: %v", k, d.basic, op.basic)
		}
	}
	for k := range doc {
		if _, ok := routes[k]; !ok {
			t.Errorf("openapi.json documents %s, which no route serves", k)
		}
	}
	// The document the server serves is the embedded one.
	r := do(t, "GET", ts.url+"/v1/openapi.json", "", nil)
	if r.status != 200 || string(r.body) != string(server.OpenAPI()) {
		t.Errorf("GET /v1/openapi.json = %d, %d bytes; want 200 and the embedded document", r.status, len(r.body))
	}
}

// concretePath fills in an OpenAPI path template.
func concretePath(p string) string {
	return strings.NewReplacer("{name}", "no-such-env", "{id}", "999", "{project}", "requests",
		"{sha256}", strings.Repeat("0", 64), "{filename}", "requests-2.31.0-py3-none-any.whl").Replace(p)
}

// TestAuthAndScopes walks every operation of the OpenAPI document: a
// route that needs a token refuses none, a malformed, unknown, expired or
// revoked one with 401 and a challenge, and one without its scope with
// 403; a token with the scope gets past authentication. Routes without a
// token answer without one.
func TestAuthAndScopes(t *testing.T) {
	ts := newTestServer(t)
	revoked := ts.token("revoked", store.AllScopes, time.Time{})
	if err := ts.st.RevokeToken(t.Context(), "revoked", time.Time{}); err != nil {
		t.Fatal(err)
	}
	expired := ts.token("expired", store.AllScopes, time.Now().Add(300*time.Millisecond))
	time.Sleep(400 * time.Millisecond)
	unknown := store.NewSecret().String()
	byScope := map[string]string{}
	for _, sc := range store.AllScopes.List() {
		byScope[sc.String()] = ts.token("only-"+sc.String(), store.Scopes(sc), time.Time{})
	}
	ops := apiOperations(t)
	if len(ops) < 15 {
		t.Fatalf("only %d operations in openapi.json", len(ops))
	}
	for _, op := range ops {
		t.Run(op.method+op.path, func(t *testing.T) {
			url := ts.url + concretePath(op.path)
			var body any
			if op.method == "POST" {
				body = map[string]any{}
			}
			if len(op.scopes) == 0 {
				r := do(t, op.method, url, "", body)
				if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden || r.status == http.StatusNotFound {
					t.Errorf("without a token: %d %s", r.status, r.body)
				}
				return
			}
			for _, c := range []struct {
				name, token string
				header      string
			}{
				{"no token", "", ""},
				{"malformed", "alk_not-a-token", ""},
				{"unknown", unknown, ""},
				{"revoked", revoked, ""},
				{"expired", expired, ""},
				{"wrong scheme", "", "Token " + ts.admin},
			} {
				var r response
				if c.header != "" {
					r = do(t, op.method, url, "", body, "Authorization", c.header)
				} else {
					r = do(t, op.method, url, c.token, body)
				}
				if r.status != http.StatusUnauthorized {
					t.Errorf("%s: status %d, want 401: %s", c.name, r.status, r.body)
					continue
				}
				if code, _, _ := r.apiErr(t); code != "unauthenticated" {
					t.Errorf("%s: code %q", c.name, code)
				}
				want := "Bearer"
				if op.basic {
					want = "Basic"
				}
				if ch := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, want+" ") {
					t.Errorf("%s: WWW-Authenticate %q, want a %s challenge", c.name, ch, want)
				}
			}
			for name, tok := range byScope {
				r := do(t, op.method, url, tok, body)
				has := slices.Contains(op.scopes, name)
				switch {
				case !has && r.status != http.StatusForbidden:
					t.Errorf("scope %s: status %d, want 403: %s", name, r.status, r.body)
				case !has:
					if code, msg, _ := r.apiErr(t); code != "forbidden" || !strings.Contains(msg, op.scopes[0]) {
						t.Errorf("scope %s: %s %q", name, code, msg)
					}
				case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
					t.Errorf("scope %s: status %d, want past authentication: %s", name, r.status, r.body)
				}
			}
			if op.basic {
				// pip's form: the token as the basic-auth password.
				req, _ := http.NewRequest(op.method, url, nil)
				req.SetBasicAuth("__token__", byScope["proxy"])
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
					t.Errorf("basic auth with the proxy token: %d", resp.StatusCode)
				}
				// http://TOKEN@host/: the token as the user name.
				req, _ = http.NewRequest(op.method, url, nil)
				req.SetBasicAuth(byScope["proxy"], "")
				resp, err = client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
					t.Errorf("basic auth with the proxy token as the user name: %d", resp.StatusCode)
				}
				req, _ = http.NewRequest(op.method, url, nil)
				req.SetBasicAuth("__token__", byScope["check"])
				resp, err = client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("basic auth with the check token: %d, want 403", resp.StatusCode)
				}
			}
		})
	}
}
