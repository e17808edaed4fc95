package server

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/policy"
)

// FuzzRequestBody feeds arbitrary bodies to the decoding and parsing a
// check or install does: they must never panic, and a body is either
// refused with a client error or decided entry by entry.
func FuzzRequestBody(f *testing.F) {
	for _, s := range []string{
		`{"requirements": ["requests==2.31.0", "numpy==1.26.4"]}`,
		`{"text": "-r other.txt\n--index-url https://x\nreqeusts\n"}`,
		`{"requirements": ["a @ file:///etc/passwd", "b[x]; python_version<'3'", "--pre"]}`,
		`{"text": "a \\\n==1.0 # comment\n${HOME}\n"}`,
		`{"requirements": []}`, `{}`, `[]`, `null`, `{"requirements": "x"}`, `{"text": 5}`,
		`{"requirements": ["x"]} trailing`, "", "{", "\x00",
	} {
		f.Add([]byte(s))
	}
	pol, err := policy.New(policy.Default(), policy.Data{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/check", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req requirementsRequest
		if err := decodeJSON(r, &req); err != nil {
			if ae := asAPIError(err); ae.Status != http.StatusBadRequest {
				t.Fatalf("decoding %q: %d %v", body, ae.Status, err)
			}
			return
		}
		inputs, _, err := req.inputs()
		if err != nil {
			if ae := asAPIError(err); ae.Status != http.StatusBadRequest {
				t.Fatalf("inputs of %q: %d %v", body, ae.Status, err)
			}
			return
		}
		rep := pol.Check(policy.CheckOptions{}, inputs...)
		if n := rep.Summary.Allow + rep.Summary.Deny + rep.Summary.Review; n != len(rep.Results) {
			t.Fatalf("summary counts %d of %d results", n, len(rep.Results))
		}
		if _, err := reportFindings(&rep); err != nil {
			t.Fatalf("findings of %q: %v", body, err)
		}
	})
}

// FuzzCredential: any Authorization header is read without panicking, and
// a well-formed one yields its secret.
func FuzzCredential(f *testing.F) {
	for _, s := range []string{"Bearer alk_x", "bearer  alk_y ", "Basic " + base64.StdEncoding.EncodeToString([]byte("__token__:alk_z")),
		"Basic " + base64.StdEncoding.EncodeToString([]byte("alk_z:")), "Basic !!!", "Token x", "", "Basic", "Bearer"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{h}
		secret, present := credential(r)
		if h == "" && present {
			t.Fatalf("an empty header is a credential")
		}
		if rest, ok := strings.CutPrefix(h, "Bearer "); ok && secret != strings.TrimSpace(rest) {
			t.Fatalf("Bearer %q read as %q", rest, secret)
		}
	})
}

// FuzzParseRawResponse: the start of a raw response that the package
// index writes (status line, X-Airlock-Reason) is read back exactly, and
// any other bytes are read without panicking.
func FuzzParseRawResponse(f *testing.F) {
	f.Add(403, "airlock: demo-0.9.tar.gz is a source distribution", []byte("HTTP/1.1 403 x\r\n\r\n"))
	f.Add(502, "", []byte(""))
	f.Add(200, "\r\nX: y", []byte("HTTP/1.1\r\nX-Airlock-Reason:\r\n"))
	f.Fuzz(func(t *testing.T, code int, reason string, raw []byte) {
		parseRawResponse(raw)
		if code < 100 || code > 999 {
			return
		}
		phrase := index.ReasonPhrase(reason)
		p := fmt.Sprintf("HTTP/1.1 %03d %s\r\nDate: now\r\nX-Airlock-Reason: %s\r\nContent-Length: 0\r\n\r\n", code, phrase, phrase)
		status, got := parseRawResponse([]byte(p))
		if status != code || got != strings.TrimSpace(phrase) {
			t.Fatalf("parseRawResponse(%q) = %d, %q; want %d, %q", p, status, got, code, phrase)
		}
	})
}
