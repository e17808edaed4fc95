package index

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

// benchHandler returns a handler whose page for "pkg" (files wheels, one
// sdist per version) is already cached.
func benchHandler(b *testing.B, files int, renderTTL time.Duration) *Handler {
	up := testpypi.New(b)
	var dists []testpypi.Dist
	for i := range files {
		dists = append(dists, testpypi.Wheel{Name: "pkg", Version: fmt.Sprintf("1.%d", i), RequiresPython: ">=3.8"}.Dist())
	}
	up.Add(testpypi.Project{Name: "pkg", Dists: dists})
	c, err := NewClient(up.URL(), ClientOptions{})
	if err != nil {
		b.Fatal(err)
	}
	store, err := cache.Open(b.TempDir(), cache.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	h, err := New(Options{Upstreams: &Upstreams{Default: c}, Cache: store, RenderTTL: renderTTL})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkServePage measures a cached project page in JSON, rendered each
// time (render TTL off) and reused (the default).
func BenchmarkServePage(b *testing.B) {
	for _, files := range []int{40, 2000} {
		for _, tc := range []struct {
			name string
			ttl  time.Duration
		}{{"render", -1}, {"reuse", 0}} {
			b.Run(fmt.Sprintf("%s/files=%d", tc.name, files), func(b *testing.B) {
				h := benchHandler(b, files, tc.ttl)
				req := httptest.NewRequest("GET", "/simple/pkg/", nil)
				req.Header.Set("Accept", jsonAccept)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
				b.ReportAllocs()
				for b.Loop() {
					h.ServeHTTP(httptest.NewRecorder(), req)
				}
			})
		}
	}
}
