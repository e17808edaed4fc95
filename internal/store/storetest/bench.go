package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/store"
)

// AppendClients is how many goroutines append at once in [Bench]: the
// server's benchmark runs 64 concurrent clients, each request audited.
const AppendClients = 64

// Bench runs the store benchmarks on a fresh database each:
//
//   - AuditAppend: [AppendClients] goroutines appending a check event the
//     size of a real one (two requirements and their findings). ns/op is the
//     inverse of throughput; p99-ms is the latency one request waits for
//     its commit.
//   - TokenLookup: [store.Authenticate] from parallel goroutines, the
//     read on every request's path.
func Bench(b *testing.B, newDB NewDB) {
	b.Run("AuditAppend", func(b *testing.B) { benchAppend(b, fresh(b, newDB)) })
	b.Run("TokenLookup", func(b *testing.B) { benchLookup(b, fresh(b, newDB)) })
}

// benchEvent is an event like the ones POST /v1/check records.
var benchEvent = store.Event{
	Actor:    "agent-7",
	Action:   store.ActionCheck,
	Decision: store.DecisionDeny,
	Subject:  "requests==2.31.0\nreqeusts==2.31.0",
	Findings: json.RawMessage(`[{"requirement":"reqeusts==2.31.0","decision":"deny","rule":"typosquat",` +
		`"message":"reqeusts is one edit away from the popular project requests","suggestion":"did you mean \"requests\"?"}]`),
	RequestID: "01JC7Z3Q8W9K2M4N6P8R0T2V4X",
}

func benchAppend(b *testing.B, s store.Store) {
	ctx := context.Background()
	b.SetParallelism((AppendClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	var mu sync.Mutex
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			if _, err := s.Append(ctx, benchEvent); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	reportLatency(b, lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	p99 := lat[min(len(lat)-1, len(lat)*99/100)]
	b.ReportMetric(float64(p99)/float64(time.Millisecond), "p99-ms")
}

func benchLookup(b *testing.B, s store.Store) {
	ctx := context.Background()
	var secrets []store.Secret
	for i := range 100 {
		_, secret := issue(b, s, fmt.Sprintf("agent-%d", i), store.AllScopes, time.Now(), time.Time{})
		secrets = append(secrets, secret)
	}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if _, err := store.Authenticate(ctx, s, secrets[i%len(secrets)].String(), now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
