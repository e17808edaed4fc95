package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/airlock-dev/airlock/internal/server"
)

// Every answer a test reads through do is checked against the OpenAPI
// document: its status must be documented for the operation, and a JSON
// body must validate against the documented schema. So the document
// cannot drift from what the server does.

type docOperation struct {
	path     string
	re       *regexp.Regexp
	method   string
	statuses map[string]bool // documented statuses
}

var (
	docOnce   sync.Once
	docOps    []docOperation
	docErr    error
	schemaMu  sync.Mutex
	compiler  *jsonschema.Compiler
	compiled  = map[string]*jsonschema.Schema{}
	docParsed map[string]any
)

func loadDoc() {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if docErr = json.Unmarshal(server.OpenAPI(), &doc); docErr != nil {
		return
	}
	for p, item := range doc.Paths {
		pat := regexp.QuoteMeta(p)
		pat = regexp.MustCompile(`\\\{[a-z0-9_]+\\\}`).ReplaceAllString(pat, `[^/]+`)
		re := regexp.MustCompile("^" + pat + "$")
		for m, raw := range item {
			if m == "parameters" {
				continue
			}
			var op struct {
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if docErr = json.Unmarshal(raw, &op); docErr != nil {
				return
			}
			st := map[string]bool{}
			for code := range op.Responses {
				st[code] = true
			}
			docOps = append(docOps, docOperation{path: p, re: re, method: strings.ToUpper(m), statuses: st})
		}
	}
	var parsed any
	parsed, docErr = jsonschema.UnmarshalJSON(bytes.NewReader(server.OpenAPI()))
	if docErr != nil {
		return
	}
	docParsed, _ = parsed.(map[string]any)
	compiler = jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020)
	compiler.AssertFormat()
	docErr = compiler.AddResource("openapi.json", parsed)
}

// pointerEscape escapes a JSON pointer token.
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// schemaAt compiles the schema at the JSON pointer ptr of the document.
func schemaAt(ptr string) (*jsonschema.Schema, error) {
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := compiled[ptr]; ok {
		return s, nil
	}
	s, err := compiler.Compile("openapi.json#" + ptr)
	if err != nil {
		return nil, err
	}
	compiled[ptr] = s
	return s, nil
}

// hasJSONContent reports whether the document gives the response a JSON
// body schema.
func hasJSONContent(path, method, status string) bool {
	node := any(docParsed)
	for _, k := range []string{"paths", path, strings.ToLower(method), "responses", status, "content", "application/json", "schema"} {
		m, ok := node.(map[string]any)
		if !ok {
			return false
		}
		if node, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

// checkAgainstDoc checks one answer against the document.
func checkAgainstDoc(t testing.TB, method, rawURL string, r response) {
	t.Helper()
	docOnce.Do(loadDoc)
	if docErr != nil {
		t.Fatalf("openapi.json: %v", docErr)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	m := method
	if m == "HEAD" {
		m = "GET"
	}
	var op *docOperation
	pathMatched := false
	for i := range docOps {
		if docOps[i].re.MatchString(u.Path) {
			pathMatched = true
			if docOps[i].method == m {
				op = &docOps[i]
				break
			}
		}
	}
	status := fmt.Sprint(r.status)
	ct := r.header.Get("Content-Type")
	if op == nil {
		// Not an API operation: a JSON 404, or a 405 for a known path.
		want := "404"
		if pathMatched {
			want = "405"
		}
		if status != want {
			t.Errorf("%s %s: status %s for an undocumented operation, want %s", method, u.Path, status, want)
		}
		validateJSON(t, method, u.Path, "/components/schemas/Error", r)
		return
	}
	if !op.statuses[status] {
		t.Errorf("%s %s: status %s is not documented for %s %s: %s", method, u.Path, status, op.method, op.path, r.body)
		return
	}
	if !strings.HasPrefix(ct, "application/json") || len(r.body) == 0 {
		if hasJSONContent(op.path, op.method, status) && r.status != 204 {
			t.Errorf("%s %s: %s answer with Content-Type %q, documented as JSON", method, u.Path, status, ct)
		}
		return
	}
	if !hasJSONContent(op.path, op.method, status) {
		return
	}
	ptr := "/paths/" + pointerEscape(op.path) + "/" + strings.ToLower(op.method) + "/responses/" + status + "/content/application~1json/schema"
	validateJSON(t, method, u.Path, ptr, r)
}

func validateJSON(t testing.TB, method, path, ptr string, r response) {
	t.Helper()
	sch, err := schemaAt(ptr)
	if err != nil {
		t.Fatalf("compiling %s: %v", ptr, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Errorf("%s %s: %d answer is not JSON: %v: %s", method, path, r.status, err, r.body)
		return
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s %s: the %d answer does not match openapi.json (%s): %v\n%s", method, path, r.status, ptr, err, r.body)
	}
}

// TestSchemaCheckCatchesDrift: the document check is not vacuous.
func TestSchemaCheckCatchesDrift(t *testing.T) {
	ft := &fakeT{}
	checkAgainstDoc(ft, "POST", "http://x/v1/check", response{status: 200, header: jsonHeader(), body: []byte(`{"results": [], "summary": {"allow": 0}, "notes": []}`)})
	if !ft.failed {
		t.Errorf("a report without summary.deny passed")
	}
	ft = &fakeT{}
	checkAgainstDoc(ft, "POST", "http://x/v1/check", response{status: 418, header: jsonHeader(), body: []byte(`{}`)})
	if !ft.failed {
		t.Errorf("an undocumented status passed")
	}
	ft = &fakeT{}
	checkAgainstDoc(ft, "GET", "http://x/v1/audit", response{status: 200, header: jsonHeader(), body: []byte(`{"events": [], "next_cursor": ""}`)})
	if ft.failed {
		t.Errorf("a valid audit page failed")
	}
}

func jsonHeader() map[string][]string {
	return map[string][]string{"Content-Type": {"application/json"}}
}

// fakeT records failures instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()                   {}
func (f *fakeT) Errorf(string, ...any)     { f.failed = true }
func (f *fakeT) Fatalf(s string, a ...any) { panic(fmt.Sprintf(s, a...)) }
