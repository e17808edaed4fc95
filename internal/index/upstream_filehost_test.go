package index

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestOpenOnlyFromFileHosts: a page can name any URL, but the client only
// fetches from the index's host and its configured file hosts, so an
// upstream cannot make the proxy probe internal addresses.
func TestOpenOnlyFromFileHosts(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "wheel bytes")
	}))
	defer other.Close()
	index := httptest.NewServer(http.NotFoundHandler())
	defer index.Close()
	otherHost := strings.TrimPrefix(other.URL, "http://")

	c, err := NewClient(index.URL+"/simple/", ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{other.URL + "/x-1.0-py3-none-any.whl", "file:///etc/passwd", "gopher://" + otherHost + "/x"} {
		if _, _, err := c.Open(context.Background(), u); err == nil || !strings.Contains(err.Error(), "neither the index's nor one of its file hosts") {
			t.Errorf("Open(%q) = %v, want a refusal", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the other host was contacted %d times", n)
	}

	c, err = NewClient(index.URL+"/simple/", ClientOptions{FileHosts: []string{otherHost}})
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := c.Open(context.Background(), other.URL+"/x-1.0-py3-none-any.whl")
	if err != nil {
		t.Fatalf("Open from a configured file host: %v", err)
	}
	body.Close()

	for in, want := range map[string]string{
		"https://pypi.org/simple/":      "files.pythonhosted.org",
		"https://test.pypi.org/simple/": "test-files.pythonhosted.org",
		"https://mirror.example/simple": "",
	} {
		got := strings.Join(DefaultFileHosts(in), ",")
		if got != want {
			t.Errorf("DefaultFileHosts(%q) = %q, want %q", in, got, want)
		}
	}
}
