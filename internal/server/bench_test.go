package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkCheck is POST /v1/check with two requirements through the
// server's handler (no network), each audit event committed to SQLite
// before the answer, from many goroutines as in scripts/bench/server.sh.
func BenchmarkCheck(b *testing.B) {
	ts := newTestServer(b)
	body := `{"requirements": ["requests==2.31.0", "numpy==1.26.4"]}`
	h := ts.srv.Handler()
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/v1/check", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+ts.admin)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
