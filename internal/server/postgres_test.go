package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/server"
	"github.com/airlock-dev/airlock/internal/store"
	"github.com/airlock-dev/airlock/internal/store/pgtest"
)

// TestPostgres runs the server on a real Postgres (Debian's postgresql,
// started by pgtest): concurrent checks all audited, a review approved,
// and a revocation by another process's store seen by a second replica.
func TestPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	url := pg.NewDatabase(t)
	open := func() store.Store {
		st, err := store.Open(context.Background(), url, nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	pol := withPolicy(t, "version: 1\nrules:\n  typosquat: review\n")
	ts := startServer(t, open(), url, pol)
	agent := ts.token("agent", store.Scopes(store.ScopeCheck), time.Time{})

	var wg sync.WaitGroup
	var mu sync.Mutex
	answered := map[string]bool{}
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				r := do(t, "POST", ts.url+"/v1/check", agent, map[string]any{"requirements": []string{fmt.Sprintf("pkg-%d-%d==1.0", c, i)}})
				if r.status == 200 {
					mu.Lock()
					answered[r.header.Get("X-Request-Id")] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	evs := events(t, ts.url, ts.admin, "action=check&actor=agent")
	if len(answered) != 80 || len(evs) != 80 {
		t.Fatalf("%d answered, %d events; want 80", len(answered), len(evs))
	}
	for _, e := range evs {
		if !answered[e.RequestID] {
			t.Errorf("event %d for request %q, which was not answered", e.ID, e.RequestID)
		}
	}

	// A review, approved on one replica, applies on another.
	r := do(t, "POST", ts.url+"/v1/check", agent, map[string]any{"requirements": []string{"reqeusts==2.31.0"}})
	id := r.header.Get("Airlock-Reviews")
	if id == "" {
		t.Fatalf("no review: %s", r.body)
	}
	if r := do(t, "POST", ts.url+"/v1/reviews/"+id+"/approve", ts.admin, map[string]any{"reason": "vetted fork"}); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	ts2 := startServer(t, open(), url, pol, func(o *server.Options) { o.RefreshInterval = time.Hour })
	var rep policy.Report
	do(t, "POST", ts2.url+"/v1/check", agent, map[string]any{"requirements": []string{"reqeusts==2.31.0"}}).json(t, &rep)
	if rep.Action() != policy.Allow {
		t.Errorf("second replica: %v", rep.Action())
	}

	// A token revoked through another connection is refused by both.
	other := open()
	defer other.Close()
	if err := other.RevokeToken(context.Background(), "agent", time.Time{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(server.TokenCacheTTL + 50*time.Millisecond)
	for _, u := range []string{ts.url, ts2.url} {
		if r := do(t, "POST", u+"/v1/check", agent, map[string]any{"requirements": []string{"requests==2.31.0"}}); r.status != 401 {
			t.Errorf("%s after revocation: %d", u, r.status)
		}
	}
}
