// Package storetest is the conformance suite for [store.Store]
// implementations: [Run] checks the behaviour the interface documents, so
// that SQLite and Postgres behave alike, and [Bench] measures the operations
// the server puts on every request's path.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/store"
)

// NewDB returns the path or URL of a new, empty database for [store.Open].
// Each call must return a different database.
type NewDB func(t testing.TB) string

// base is the suite's clock: a fixed time with nanoseconds, which the store
// must truncate to microseconds.
var base = time.Date(2026, 11, 3, 10, 0, 0, 123456789, time.UTC)

// Run runs the conformance suite, each subtest on a fresh database.
func Run(t *testing.T, newDB NewDB) {
	tests := []struct {
		name string
		f    func(t *testing.T, newDB NewDB)
	}{
		{"TokenCreateAndAuthenticate", testTokenCreateAndAuthenticate},
		{"TokenDuplicate", testTokenDuplicate},
		{"TokenInvalid", testTokenInvalid},
		{"TokenExpiry", testTokenExpiry},
		{"TokenRevoke", testTokenRevoke},
		{"TokenRevokeSeenByOtherHandle", testTokenRevokeSeenByOtherHandle},
		{"TokenList", testTokenList},
		{"TokenTouch", testTokenTouch},
		{"FirstToken", testFirstToken},
		{"FirstTokenConcurrent", testFirstTokenConcurrent},
		{"AuditAppendAndRead", testAuditAppendAndRead},
		{"AuditFilters", testAuditFilters},
		{"AuditPagination", testAuditPagination},
		{"AuditPaginationStable", testAuditPaginationStable},
		{"AuditConcurrentAppends", testAuditConcurrentAppends},
		{"AuditInvalid", testAuditInvalid},
		{"AuditDefaultLimit", testAuditDefaultLimit},
		{"EnvironmentLifecycle", testEnvironmentLifecycle},
		{"EnvironmentConcurrentUpdate", testEnvironmentConcurrentUpdate},
		{"ReviewApprove", testReviewApprove},
		{"ReviewReject", testReviewReject},
		{"ReviewConcurrentDecisions", testReviewConcurrentDecisions},
		{"ExceptionInvalid", testExceptionInvalid},
		{"ConcurrentOpen", testConcurrentOpen},
		{"Reopen", testReopen},
		{"Closed", testClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.f(t, newDB) })
	}
}

// open opens dsn and closes the store when t ends.
func open(t testing.TB, dsn string) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func fresh(t testing.TB, newDB NewDB) store.Store { return open(t, newDB(t)) }

func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want one matching %v", what, err, target)
	}
}

func must[T any](t testing.TB, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func us(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// Tokens.

func issue(t testing.TB, s store.TokenStore, name string, scopes store.Scopes, created, expires time.Time) (store.Token, store.Secret) {
	t.Helper()
	tok, secret, err := store.IssueToken(context.Background(), s, store.Token{Name: name, Scopes: scopes, Created: created, Expires: expires})
	if err != nil {
		t.Fatalf("IssueToken(%q): %v", name, err)
	}
	return tok, secret
}

func testTokenCreateAndAuthenticate(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	scopes := store.Scopes(store.ScopeCheck | store.ScopeProxy)
	issued, secret := issue(t, s, "ci", scopes, base, time.Time{})
	want := store.Token{Name: "ci", Scopes: scopes, Hash: secret.Hash(), Created: us(base)}
	if !reflect.DeepEqual(issued, want) {
		t.Errorf("IssueToken returned %+v, want %+v", issued, want)
	}
	got := must[store.Token](t, "TokenByHash")(s.TokenByHash(ctx, secret.Hash()))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TokenByHash = %+v, want %+v", got, want)
	}
	auth := must[store.Token](t, "Authenticate")(store.Authenticate(ctx, s, secret.String(), base.Add(time.Hour)))
	if !reflect.DeepEqual(auth, want) {
		t.Errorf("Authenticate = %+v, want %+v", auth, want)
	}
	_, err := store.Authenticate(ctx, s, store.NewSecret().String(), base)
	wantErr(t, "Authenticate(another secret)", err, store.ErrTokenUnknown)
	wantErr(t, "Authenticate(another secret)", err, store.ErrUnauthenticated)
	damaged := []byte(secret.String())
	damaged[10] = map[bool]byte{true: 'b', false: 'a'}[damaged[10] == 'a']
	_, err = store.Authenticate(ctx, s, string(damaged), base)
	wantErr(t, "Authenticate(damaged secret)", err, store.ErrTokenMalformed)
	_, err = s.TokenByHash(ctx, store.NewSecret().Hash())
	wantErr(t, "TokenByHash(unknown)", err, store.ErrNotFound)
}

func testTokenDuplicate(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	_, secret := issue(t, s, "ci", store.AllScopes, base, time.Time{})
	_, _, err := store.IssueToken(ctx, s, store.Token{Name: "ci", Scopes: store.Scopes(store.ScopeCheck)})
	wantErr(t, "IssueToken(same name)", err, store.ErrExists)
	err = s.CreateToken(ctx, store.Token{Name: "other", Scopes: store.Scopes(store.ScopeCheck), Hash: secret.Hash()})
	wantErr(t, "CreateToken(same hash)", err, store.ErrExists)
	toks := must[[]store.Token](t, "Tokens")(s.Tokens(ctx))
	if len(toks) != 1 || toks[0].Scopes != store.AllScopes {
		t.Errorf("after refused duplicates, Tokens = %+v, want the first token only", toks)
	}
}

func testTokenInvalid(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	h := store.NewSecret().Hash()
	for _, tok := range []store.Token{
		{Name: "", Scopes: store.AllScopes, Hash: h},
		{Name: "Upper", Scopes: store.AllScopes, Hash: h},
		{Name: "with space", Scopes: store.AllScopes, Hash: h},
		{Name: "-dash", Scopes: store.AllScopes, Hash: h},
		{Name: "ok", Scopes: 0, Hash: h},
		{Name: "ok", Scopes: store.AllScopes},
		{Name: "ok", Scopes: store.AllScopes, Hash: h, Created: base, Expires: base.Add(-time.Second)},
	} {
		err := s.CreateToken(ctx, tok)
		wantErr(t, fmt.Sprintf("CreateToken(%+v)", tok), err, store.ErrInvalid)
	}
	if toks := must[[]store.Token](t, "Tokens")(s.Tokens(ctx)); len(toks) != 0 {
		t.Errorf("invalid tokens were stored: %+v", toks)
	}
}

func testTokenExpiry(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	tok, secret := issue(t, s, "short", store.AllScopes, base, base.Add(time.Hour))
	if !tok.Expires.Equal(us(base.Add(time.Hour))) {
		t.Errorf("Expires = %v, want %v", tok.Expires, us(base.Add(time.Hour)))
	}
	if _, err := store.Authenticate(ctx, s, secret.String(), base.Add(59*time.Minute)); err != nil {
		t.Errorf("Authenticate before expiry: %v", err)
	}
	_, err := store.Authenticate(ctx, s, secret.String(), base.Add(time.Hour))
	wantErr(t, "Authenticate at expiry", err, store.ErrTokenExpired)
	wantErr(t, "Authenticate at expiry", err, store.ErrUnauthenticated)
}

func testTokenRevoke(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	_, secret := issue(t, s, "agent", store.AllScopes, base, time.Time{})
	issue(t, s, "other", store.AllScopes, base, time.Time{})
	noErr(t, "RevokeToken", s.RevokeToken(ctx, "agent", base.Add(time.Minute)))
	_, err := store.Authenticate(ctx, s, secret.String(), base.Add(2*time.Minute))
	wantErr(t, "Authenticate(revoked)", err, store.ErrTokenRevoked)
	wantErr(t, "Authenticate(revoked)", err, store.ErrUnauthenticated)
	noErr(t, "RevokeToken again", s.RevokeToken(ctx, "agent", base.Add(time.Hour)))
	got := must[store.Token](t, "TokenByHash")(s.TokenByHash(ctx, secret.Hash()))
	if !got.Revoked.Equal(us(base.Add(time.Minute))) {
		t.Errorf("after revoking twice, Revoked = %v, want the first time %v", got.Revoked, us(base.Add(time.Minute)))
	}
	wantErr(t, "RevokeToken(unknown)", s.RevokeToken(ctx, "nobody", base), store.ErrNotFound)
	wantErr(t, "RevokeToken(impossible name)", s.RevokeToken(ctx, "a\x00\xff", base), store.ErrNotFound)
	for _, tok := range must[[]store.Token](t, "Tokens")(s.Tokens(ctx)) {
		if got := tok.IsRevoked(); got != (tok.Name == "agent") {
			t.Errorf("token %q: IsRevoked = %v", tok.Name, got)
		}
	}
}

// testTokenRevokeSeenByOtherHandle is the CLI revoking while the server
// runs: two handles on one database, no caching between them.
func testTokenRevokeSeenByOtherHandle(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	dsn := newDB(t)
	server, cli := open(t, dsn), open(t, dsn)
	_, secret := issue(t, cli, "agent", store.AllScopes, base, time.Time{})
	if _, err := store.Authenticate(ctx, server, secret.String(), base); err != nil {
		t.Fatalf("server: Authenticate(token the CLI created): %v", err)
	}
	noErr(t, "cli: RevokeToken", cli.RevokeToken(ctx, "agent", time.Time{}))
	_, err := store.Authenticate(ctx, server, secret.String(), base)
	wantErr(t, "server: Authenticate after the CLI revoked it", err, store.ErrTokenRevoked)
}

func testTokenList(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	if toks := must[[]store.Token](t, "Tokens")(s.Tokens(ctx)); len(toks) != 0 {
		t.Errorf("Tokens on an empty store = %+v", toks)
	}
	for _, name := range []string{"zeta", "alpha", "mid.dle_1"} {
		issue(t, s, name, store.Scopes(store.ScopeRun), base, time.Time{})
	}
	var names []string
	for _, tok := range must[[]store.Token](t, "Tokens")(s.Tokens(ctx)) {
		names = append(names, tok.Name)
		b, err := json.Marshal(tok)
		noErr(t, "json.Marshal(token)", err)
		var m map[string]any
		noErr(t, "json.Unmarshal", json.Unmarshal(b, &m))
		for k := range m {
			if !slices.Contains([]string{"name", "scopes", "created"}, k) {
				t.Errorf("token %q as JSON has field %q: %s", tok.Name, k, b)
			}
		}
	}
	if want := []string{"alpha", "mid.dle_1", "zeta"}; !slices.Equal(names, want) {
		t.Errorf("Tokens names = %q, want %q", names, want)
	}
}

func testTokenTouch(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	dsn := newDB(t)
	s := open(t, dsn)
	_, secret := issue(t, s, "agent", store.AllScopes, base, time.Time{})
	lastUsed := func(s store.Store) time.Time {
		return must[store.Token](t, "TokenByHash")(s.TokenByHash(ctx, secret.Hash())).LastUsed
	}
	t1 := base.Add(time.Hour)
	noErr(t, "TouchToken", s.TouchToken(ctx, "agent", t1))
	if got := lastUsed(s); !got.Equal(us(t1)) {
		t.Errorf("LastUsed = %v, want %v", got, us(t1))
	}
	noErr(t, "TouchToken", s.TouchToken(ctx, "agent", t1.Add(10*time.Second)))
	if got := lastUsed(s); !got.Equal(us(t1)) {
		t.Errorf("a use within LastUsedResolution was written: LastUsed = %v, want %v", got, us(t1))
	}
	// Another process (no memory of what this one wrote) is held back by
	// the stored time too.
	other := open(t, dsn)
	noErr(t, "TouchToken", other.TouchToken(ctx, "agent", t1.Add(20*time.Second)))
	if got := lastUsed(s); !got.Equal(us(t1)) {
		t.Errorf("a use within LastUsedResolution was written by a second handle: LastUsed = %v, want %v", got, us(t1))
	}
	t2 := t1.Add(store.LastUsedResolution + time.Second)
	noErr(t, "TouchToken", s.TouchToken(ctx, "agent", t2))
	if got := lastUsed(s); !got.Equal(us(t2)) {
		t.Errorf("LastUsed = %v, want %v", got, us(t2))
	}
	noErr(t, "TouchToken(unknown)", s.TouchToken(ctx, "nobody", t2))
}

func testFirstToken(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	tok, secret, err := store.EnsureAdminToken(ctx, s, base)
	noErr(t, "EnsureAdminToken", err)
	if tok.Name != store.AdminTokenName || tok.Scopes != store.AllScopes || !tok.Expires.IsZero() || secret == "" {
		t.Fatalf("EnsureAdminToken on an empty store = %+v, %q; want an admin token with every scope", tok, secret)
	}
	if _, err := store.Authenticate(ctx, s, secret.String(), base); err != nil {
		t.Errorf("Authenticate(admin secret): %v", err)
	}
	tok, secret, err = store.EnsureAdminToken(ctx, s, base)
	if err != nil || secret != "" || tok.Name != "" {
		t.Errorf("EnsureAdminToken a second time = %+v, %q, %v; want nothing", tok, secret, err)
	}
	// Revoked tokens still count: the first-start token is made once.
	noErr(t, "RevokeToken", s.RevokeToken(ctx, store.AdminTokenName, base))
	if _, secret, err := store.EnsureAdminToken(ctx, s, base); err != nil || secret != "" {
		t.Errorf("EnsureAdminToken after revoking the only token = %q, %v; want nothing", secret, err)
	}

	s2 := fresh(t, newDB)
	issue(t, s2, "ci", store.Scopes(store.ScopeCheck), base, time.Time{})
	if _, secret, err := store.EnsureAdminToken(ctx, s2, base); err != nil || secret != "" {
		t.Errorf("EnsureAdminToken with a token present = %q, %v; want nothing", secret, err)
	}
}

// testFirstTokenConcurrent starts several "servers" (separate handles) at
// once on an empty database: exactly one creates the admin token.
func testFirstTokenConcurrent(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	dsn := newDB(t)
	const n = 6
	handles := make([]store.Store, n)
	for i := range handles {
		handles[i] = open(t, dsn)
	}
	var wg sync.WaitGroup
	secrets := make([]store.Secret, n)
	errs := make([]error, n)
	for i, h := range handles {
		wg.Go(func() { _, secrets[i], errs[i] = store.EnsureAdminToken(ctx, h, base) })
	}
	wg.Wait()
	made := 0
	for i := range n {
		noErr(t, "EnsureAdminToken", errs[i])
		if secrets[i] != "" {
			made++
		}
	}
	if made != 1 {
		t.Errorf("%d concurrent EnsureAdminToken calls created %d tokens, want 1", n, made)
	}
	if toks := must[[]store.Token](t, "Tokens")(handles[0].Tokens(ctx)); len(toks) != 1 {
		t.Errorf("Tokens = %+v, want one", toks)
	}
}

// Audit log.

func appendEvent(t testing.TB, s store.AuditLog, e store.Event) store.Event {
	t.Helper()
	got, err := s.Append(context.Background(), e)
	if err != nil {
		t.Fatalf("Append(%+v): %v", e, err)
	}
	return got
}

func ids(evs []store.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func testAuditAppendAndRead(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	in := []store.Event{
		{Time: base, Actor: "ci", Action: store.ActionCheck, Decision: store.DecisionAllow, Subject: "requests==2.31.0",
			Findings: json.RawMessage(`[]`), RequestID: "req-1"},
		{Time: base.Add(time.Second), Actor: "ci", Action: store.ActionCheck, Decision: store.DecisionDeny, Subject: "reqeusts",
			Findings: json.RawMessage(`[ {"rule": "typosquat",  "message":"similar to \"requests\""} ]`), Extra: json.RawMessage(`{"ip":"127.0.0.1"}`)},
		{Actor: "cli", Action: store.ActionTokenCreate, Subject: "ci", Extra: json.RawMessage(`{"scopes":["check"]}`)},
		{Time: base.Add(3 * time.Second), Actor: "ci", Action: "custom-action", Decision: store.DecisionReview, Subject: "ünïcode ✓"},
	}
	var appended []store.Event
	before := time.Now().Add(-time.Second)
	for _, e := range in {
		got := appendEvent(t, s, e)
		if got.ID <= 0 || len(appended) > 0 && got.ID <= appended[len(appended)-1].ID {
			t.Errorf("Append returned ID %d after %v: IDs must increase", got.ID, ids(appended))
		}
		appended = append(appended, got)
	}
	if tm := appended[2].Time; tm.Before(before) || tm.After(time.Now().Add(time.Second)) || tm.Location() != time.UTC {
		t.Errorf("an event appended without a time got %v, want now in UTC", tm)
	}
	if !appended[0].Time.Equal(us(base)) {
		t.Errorf("Append returned time %v, want %v (microseconds)", appended[0].Time, us(base))
	}
	p := must[store.AuditPage](t, "Events")(s.Events(ctx, store.AuditQuery{}))
	if !p.Next.IsZero() {
		t.Errorf("Events: Next = %q on the only page", p.Next)
	}
	want := slices.Clone(appended)
	slices.Reverse(want)
	if !reflect.DeepEqual(p.Events, want) {
		t.Errorf("Events (newest first) =\n%+v\nwant\n%+v", p.Events, want)
	}
	// Documents come back byte for byte.
	if got := string(p.Events[2].Findings); got != string(in[1].Findings) {
		t.Errorf("findings = %s, want %s", got, in[1].Findings)
	}
}

func testAuditFilters(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	type ev struct {
		actor    string
		action   store.Action
		decision store.Decision
		minute   int
	}
	var all []store.Event
	for _, e := range []ev{
		{"ci", store.ActionCheck, store.DecisionAllow, 0},
		{"ci", store.ActionCheck, store.DecisionDeny, 1},
		{"agent", store.ActionInstall, store.DecisionDeny, 2},
		{"agent", store.ActionCheck, store.DecisionReview, 3},
		{"cli", store.ActionTokenCreate, store.DecisionNone, 4},
		{"ci", store.ActionRun, store.DecisionAllow, 5},
	} {
		all = append(all, appendEvent(t, s, store.Event{Time: base.Add(time.Duration(e.minute) * time.Minute),
			Actor: e.actor, Action: e.action, Decision: e.decision, Subject: "x"}))
	}
	pick := func(idx ...int) []int64 {
		var out []int64
		for _, i := range slices.Backward(idx) {
			out = append(out, all[i].ID)
		}
		return out
	}
	for _, tt := range []struct {
		q    store.AuditQuery
		want []int64
	}{
		{store.AuditQuery{Actor: "ci"}, pick(0, 1, 5)},
		{store.AuditQuery{Actor: "nobody"}, nil},
		{store.AuditQuery{Action: store.ActionCheck}, pick(0, 1, 3)},
		{store.AuditQuery{Decision: store.DecisionDeny}, pick(1, 2)},
		{store.AuditQuery{Since: base.Add(3 * time.Minute)}, pick(3, 4, 5)},
		{store.AuditQuery{Since: base.Add(150 * time.Second)}, pick(3, 4, 5)},
		{store.AuditQuery{Actor: "ci", Decision: store.DecisionAllow}, pick(0, 5)},
		{store.AuditQuery{Actor: "ci", Action: store.ActionCheck, Since: base.Add(time.Minute)}, pick(1)},
		{store.AuditQuery{Actor: "agent", Decision: store.DecisionAllow}, nil},
	} {
		p := must[store.AuditPage](t, "Events")(s.Events(ctx, tt.q))
		if got := ids(p.Events); !slices.Equal(got, tt.want) {
			t.Errorf("Events(%+v) IDs = %v, want %v", tt.q, got, tt.want)
		}
		if p.Events == nil {
			t.Errorf("Events(%+v).Events is nil, want an empty slice (it is JSON)", tt.q)
		}
	}
}

// readAll follows the cursors from q and returns every page.
func readAll(t testing.TB, s store.AuditLog, q store.AuditQuery) [][]store.Event {
	t.Helper()
	var pages [][]store.Event
	for {
		p := must[store.AuditPage](t, "Events")(s.Events(context.Background(), q))
		pages = append(pages, p.Events)
		if p.Next.IsZero() {
			return pages
		}
		// The cursor travels as text.
		text := must[[]byte](t, "Cursor.MarshalText")(p.Next.MarshalText())
		noErr(t, "Cursor.UnmarshalText", q.Cursor.UnmarshalText(text))
		if len(pages) > 1000 {
			t.Fatal("pagination does not end")
		}
	}
}

func testAuditPagination(t *testing.T, newDB NewDB) {
	s := fresh(t, newDB)
	var want []int64
	for i := range 25 {
		actor := "a"
		if i%2 == 1 {
			actor = "b"
		}
		e := appendEvent(t, s, store.Event{Actor: actor, Action: store.ActionCheck, Subject: fmt.Sprint(i)})
		want = append(want, e.ID)
	}
	slices.Reverse(want)
	for _, tt := range []struct {
		q     store.AuditQuery
		sizes []int
		want  []int64
	}{
		{store.AuditQuery{Limit: 10}, []int{10, 10, 5}, want},
		{store.AuditQuery{Limit: 5}, []int{5, 5, 5, 5, 5}, want},
		{store.AuditQuery{Limit: 25}, []int{25}, want},
		{store.AuditQuery{Limit: 100}, []int{25}, want},
		{store.AuditQuery{Limit: 4, Actor: "a"}, []int{4, 4, 4, 1}, everyOther(want, 0)},
	} {
		pages := readAll(t, s, tt.q)
		var sizes []int
		var got []int64
		for _, p := range pages {
			sizes = append(sizes, len(p))
			got = append(got, ids(p)...)
		}
		if !slices.Equal(sizes, tt.sizes) || !slices.Equal(got, tt.want) {
			t.Errorf("paging %+v: page sizes %v, IDs %v; want %v, %v", tt.q, sizes, got, tt.sizes, tt.want)
		}
	}
}

// everyOther returns the elements of ids at odd or even positions from the
// end (the events were appended alternating between two actors).
func everyOther(ids []int64, parity int) []int64 {
	var out []int64
	n := len(ids)
	for i, id := range ids {
		if (n-1-i)%2 == parity {
			out = append(out, id)
		}
	}
	return out
}

func testAuditPaginationStable(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	var old []int64
	for i := range 30 {
		old = append(old, appendEvent(t, s, store.Event{Actor: "a", Action: store.ActionCheck, Subject: fmt.Sprint(i)}).ID)
	}
	slices.Reverse(old)
	q := store.AuditQuery{Limit: 10}
	p1 := must[store.AuditPage](t, "Events")(s.Events(ctx, q))
	// New events arrive between pages.
	for i := range 15 {
		appendEvent(t, s, store.Event{Actor: "a", Action: store.ActionCheck, Subject: fmt.Sprint("new", i)})
	}
	got := ids(p1.Events)
	q.Cursor = p1.Next
	for !q.Cursor.IsZero() {
		p := must[store.AuditPage](t, "Events")(s.Events(ctx, q))
		got = append(got, ids(p.Events)...)
		q.Cursor = p.Next
	}
	if !slices.Equal(got, old) {
		t.Errorf("pages read while appending: IDs %v, want %v", got, old)
	}
}

func testAuditConcurrentAppends(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	const workers, each = 64, 20
	var wg sync.WaitGroup
	results := make([][]store.Event, workers)
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e, err := s.Append(ctx, store.Event{Actor: fmt.Sprintf("w%d", w), Action: store.ActionCheck,
					Decision: store.DecisionAllow, Subject: fmt.Sprint(i), RequestID: fmt.Sprintf("%d-%d", w, i)})
				if err != nil {
					errs <- err
					return
				}
				results[w] = append(results[w], e)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Append: %v", err)
	}
	byID := map[int64]store.Event{}
	for w, evs := range results {
		for i, e := range evs {
			if i > 0 && e.ID <= evs[i-1].ID {
				t.Errorf("worker %d: ID %d after %d: one goroutine's appends must get increasing IDs", w, e.ID, evs[i-1].ID)
			}
			if _, dup := byID[e.ID]; dup {
				t.Errorf("ID %d returned twice", e.ID)
			}
			byID[e.ID] = e
		}
	}
	var stored []store.Event
	for _, p := range readAll(t, s, store.AuditQuery{Limit: store.MaxAuditLimit}) {
		stored = append(stored, p...)
	}
	if len(stored) != workers*each {
		t.Errorf("%d events stored, want %d", len(stored), workers*each)
	}
	for _, e := range stored {
		if want, ok := byID[e.ID]; !ok || !reflect.DeepEqual(e, want) {
			t.Errorf("stored event %+v, appended %+v", e, want)
		}
	}
}

func testAuditInvalid(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	ok := store.Event{Actor: "ci", Action: store.ActionCheck}
	big := make([]byte, store.MaxDocumentSize+1)
	for i := range big {
		big[i] = ' '
	}
	big[0], big[len(big)-1] = '"', '"'
	for _, tt := range []struct {
		what string
		edit func(*store.Event)
	}{
		{"no actor", func(e *store.Event) { e.Actor = "" }},
		{"actor with a newline", func(e *store.Event) { e.Actor = "a\nb" }},
		{"no action", func(e *store.Event) { e.Action = "" }},
		{"bad action", func(e *store.Event) { e.Action = "Check Now" }},
		{"bad decision", func(e *store.Event) { e.Decision = "maybe" }},
		{"findings not JSON", func(e *store.Event) { e.Findings = json.RawMessage(`{"a":`) }},
		{"extra not JSON", func(e *store.Event) { e.Extra = json.RawMessage(`nope`) }},
		{"findings not UTF-8", func(e *store.Event) { e.Findings = json.RawMessage("[\"\xff\"]") }},
		{"subject not UTF-8", func(e *store.Event) { e.Subject = "\xff" }},
		{"subject with NUL", func(e *store.Event) { e.Subject = "a\x00b" }},
		{"findings too large", func(e *store.Event) { e.Findings = big }},
		{"subject too long", func(e *store.Event) { e.Subject = string(make([]byte, store.MaxTextLength+1)) }},
	} {
		e := ok
		tt.edit(&e)
		_, err := s.Append(ctx, e)
		wantErr(t, "Append("+tt.what+")", err, store.ErrInvalid)
	}
	p := must[store.AuditPage](t, "Events")(s.Events(ctx, store.AuditQuery{}))
	if len(p.Events) != 0 {
		t.Errorf("invalid events were stored: %+v", p.Events)
	}
	for _, text := range []string{"x", "AAAAAAAAAAA", "AAAAAAAAAAE=", "not a cursor!", "-----------"} {
		if _, err := store.ParseCursor(text); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ParseCursor(%q) error %v, want one matching ErrInvalid", text, err)
		}
	}
}

func testAuditDefaultLimit(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	var wg sync.WaitGroup
	for i := range store.DefaultAuditLimit + 1 {
		wg.Go(func() { appendEvent(t, s, store.Event{Actor: "a", Action: store.ActionRun, Subject: fmt.Sprint(i)}) })
	}
	wg.Wait()
	p := must[store.AuditPage](t, "Events")(s.Events(ctx, store.AuditQuery{}))
	if len(p.Events) != store.DefaultAuditLimit || p.Next.IsZero() {
		t.Errorf("Events with no limit: %d events, next %q; want %d and a cursor", len(p.Events), p.Next, store.DefaultAuditLimit)
	}
	p = must[store.AuditPage](t, "Events")(s.Events(ctx, store.AuditQuery{Limit: store.MaxAuditLimit * 10}))
	if len(p.Events) != store.DefaultAuditLimit+1 || !p.Next.IsZero() {
		t.Errorf("Events with a huge limit: %d events, next %q; want all %d", len(p.Events), p.Next, store.DefaultAuditLimit+1)
	}
}

// Environments.

func testEnvironmentLifecycle(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	created := must[store.Environment](t, "CreateEnvironment")(s.CreateEnvironment(ctx, store.Environment{
		Name: "job-1", Python: "/usr/bin/python3", Created: base}))
	want := store.Environment{Name: "job-1", Python: "/usr/bin/python3", Created: us(base), Updated: us(base), Version: 1}
	if !reflect.DeepEqual(created, want) {
		t.Errorf("CreateEnvironment = %+v, want %+v", created, want)
	}
	if got := must[store.Environment](t, "Environment")(s.Environment(ctx, "job-1")); !reflect.DeepEqual(got, want) {
		t.Errorf("Environment = %+v, want %+v", got, want)
	}
	_, err := s.CreateEnvironment(ctx, store.Environment{Name: "job-1", Python: "/other"})
	wantErr(t, "CreateEnvironment(duplicate)", err, store.ErrExists)
	_, err = s.Environment(ctx, "missing")
	wantErr(t, "Environment(missing)", err, store.ErrNotFound)
	_, err = s.Environment(ctx, "a\x00\xff")
	wantErr(t, "Environment(impossible name)", err, store.ErrNotFound)
	wantErr(t, "DeleteEnvironment(impossible name)", s.DeleteEnvironment(ctx, "\xff"), store.ErrNotFound)
	_, err = s.CreateEnvironment(ctx, store.Environment{Name: "", Python: "/usr/bin/python3"})
	wantErr(t, "CreateEnvironment(no name)", err, store.ErrInvalid)
	_, err = s.CreateEnvironment(ctx, store.Environment{Name: "x", Python: "/usr/bin/python3", Lock: json.RawMessage(`{`)})
	wantErr(t, "CreateEnvironment(bad lock)", err, store.ErrInvalid)
	must[store.Environment](t, "CreateEnvironment")(s.CreateEnvironment(ctx, store.Environment{
		Name: "a-first", Python: "/usr/bin/python3", Lock: json.RawMessage(`{"packages":{}}`)}))

	envs := must[[]store.Environment](t, "Environments")(s.Environments(ctx))
	if len(envs) != 2 || envs[0].Name != "a-first" || envs[1].Name != "job-1" {
		t.Errorf("Environments = %+v, want a-first then job-1", envs)
	}

	lock := json.RawMessage(`{ "packages": {"requests": "2.31.0"},  "v": 1 }`)
	upd := created
	upd.Lock, upd.Updated = lock, base.Add(time.Hour)
	v2 := must[store.Environment](t, "UpdateEnvironment")(s.UpdateEnvironment(ctx, upd))
	if v2.Version != 2 || string(v2.Lock) != string(lock) || !v2.Updated.Equal(us(base.Add(time.Hour))) || !v2.Created.Equal(us(base)) {
		t.Errorf("UpdateEnvironment = %+v, want version 2 with the new lock", v2)
	}
	if got := must[store.Environment](t, "Environment")(s.Environment(ctx, "job-1")); !reflect.DeepEqual(got, v2) {
		t.Errorf("Environment after update = %+v, want %+v", got, v2)
	}
	// A writer still holding version 1 loses.
	stale := created
	stale.Lock = json.RawMessage(`{"stale":true}`)
	_, err = s.UpdateEnvironment(ctx, stale)
	wantErr(t, "UpdateEnvironment(stale version)", err, store.ErrConflict)
	if got := must[store.Environment](t, "Environment")(s.Environment(ctx, "job-1")); string(got.Lock) != string(lock) {
		t.Errorf("a stale update changed the lock to %s", got.Lock)
	}
	_, err = s.UpdateEnvironment(ctx, store.Environment{Name: "missing", Python: "/p", Version: 1})
	wantErr(t, "UpdateEnvironment(missing)", err, store.ErrNotFound)

	noErr(t, "DeleteEnvironment", s.DeleteEnvironment(ctx, "job-1"))
	_, err = s.Environment(ctx, "job-1")
	wantErr(t, "Environment(deleted)", err, store.ErrNotFound)
	wantErr(t, "DeleteEnvironment(again)", s.DeleteEnvironment(ctx, "job-1"), store.ErrNotFound)
	// The name can be used again.
	must[store.Environment](t, "CreateEnvironment")(s.CreateEnvironment(ctx, store.Environment{Name: "job-1", Python: "/usr/bin/python3"}))
}

func testEnvironmentConcurrentUpdate(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	dsn := newDB(t)
	s := open(t, dsn)
	e := must[store.Environment](t, "CreateEnvironment")(s.CreateEnvironment(ctx, store.Environment{Name: "shared", Python: "/usr/bin/python3"}))
	handles := []store.Store{s, open(t, dsn)}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			u := e
			u.Lock = json.RawMessage(fmt.Sprintf(`{"writer":%d}`, i))
			_, errs[i] = handles[i%2].UpdateEnvironment(ctx, u)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("concurrent UpdateEnvironment: %v, want nil or ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d updates from the same version succeeded, want 1", won, n)
	}
	if got := must[store.Environment](t, "Environment")(s.Environment(ctx, "shared")); got.Version != 2 {
		t.Errorf("version after the race = %d, want 2", got.Version)
	}
}

// Reviews and exceptions.

func newReview(t testing.TB, s store.Store, subject string) store.Review {
	t.Helper()
	ev := appendEvent(t, s, store.Event{Actor: "agent", Action: store.ActionCheck, Decision: store.DecisionReview, Subject: subject})
	r, err := s.CreateReview(context.Background(), store.Review{Subject: subject, Requester: "agent", Created: base,
		EventID: ev.ID, Findings: json.RawMessage(`[{"rule":"sdist"}]`)})
	if err != nil {
		t.Fatalf("CreateReview: %v", err)
	}
	return r
}

func exception(project string) store.Exception {
	return store.Exception{Project: project, Specifier: "==1.0", Rule: "sdist", Reason: "vendored, audited by hand",
		Expires: base.Add(30 * 24 * time.Hour), ApprovedBy: "admin", Created: base.Add(time.Hour)}
}

func testReviewApprove(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	r := newReview(t, s, "legacy-pkg==1.0")
	if r.ID <= 0 || r.State != store.ReviewPending || !r.Created.Equal(us(base)) || r.EventID <= 0 {
		t.Errorf("CreateReview = %+v, want a pending review with an ID", r)
	}
	if got := must[store.Review](t, "Review")(s.Review(ctx, r.ID)); !reflect.DeepEqual(got, r) {
		t.Errorf("Review = %+v, want %+v", got, r)
	}
	other := newReview(t, s, "other==2.0")
	pending := must[[]store.Review](t, "Reviews")(s.Reviews(ctx, store.ReviewPending))
	if got := []int64{pending[0].ID, pending[1].ID}; len(pending) != 2 || !slices.Equal(got, []int64{r.ID, other.ID}) {
		t.Errorf("pending reviews = %+v, want both, oldest first", pending)
	}

	x := must[store.Exception](t, "ApproveReview")(s.ApproveReview(ctx, r.ID, exception("legacy-pkg")))
	wantX := exception("legacy-pkg")
	wantX.ID, wantX.ReviewID, wantX.Expires, wantX.Created = x.ID, r.ID, us(wantX.Expires), us(wantX.Created)
	if x.ID <= 0 || !reflect.DeepEqual(x, wantX) {
		t.Errorf("ApproveReview = %+v, want %+v", x, wantX)
	}
	got := must[store.Review](t, "Review")(s.Review(ctx, r.ID))
	if got.State != store.ReviewApproved || got.DecidedBy != "admin" || !got.Decided.Equal(us(base.Add(time.Hour))) || got.Note != wantX.Reason {
		t.Errorf("approved review = %+v", got)
	}
	xs := must[[]store.Exception](t, "Exceptions")(s.Exceptions(ctx))
	if len(xs) != 1 || !reflect.DeepEqual(xs[0], x) {
		t.Errorf("Exceptions = %+v, want [%+v]", xs, x)
	}
	if !x.Expired(x.Expires) || x.Expired(x.Expires.Add(-time.Second)) {
		t.Errorf("Exception.Expired is wrong around %v", x.Expires)
	}

	_, err := s.ApproveReview(ctx, r.ID, exception("legacy-pkg"))
	wantErr(t, "ApproveReview(approved)", err, store.ErrConflict)
	_, err = s.RejectReview(ctx, r.ID, "admin", "changed my mind", time.Time{})
	wantErr(t, "RejectReview(approved)", err, store.ErrConflict)
	_, err = s.ApproveReview(ctx, 999999, exception("x"))
	wantErr(t, "ApproveReview(missing)", err, store.ErrNotFound)
	_, err = s.Review(ctx, 999999)
	wantErr(t, "Review(missing)", err, store.ErrNotFound)
	if xs := must[[]store.Exception](t, "Exceptions")(s.Exceptions(ctx)); len(xs) != 1 {
		t.Errorf("refused approvals created exceptions: %+v", xs)
	}
	approved := must[[]store.Review](t, "Reviews")(s.Reviews(ctx, store.ReviewApproved))
	if len(approved) != 1 || approved[0].ID != r.ID {
		t.Errorf("approved reviews = %+v", approved)
	}
	if all := must[[]store.Review](t, "Reviews")(s.Reviews(ctx, "")); len(all) != 2 {
		t.Errorf("all reviews = %+v, want 2", all)
	}
	_, err = s.Reviews(ctx, "bogus")
	wantErr(t, "Reviews(bogus state)", err, store.ErrInvalid)

	noErr(t, "DeleteException", s.DeleteException(ctx, x.ID))
	if xs := must[[]store.Exception](t, "Exceptions")(s.Exceptions(ctx)); len(xs) != 0 {
		t.Errorf("Exceptions after delete = %+v", xs)
	}
	wantErr(t, "DeleteException(again)", s.DeleteException(ctx, x.ID), store.ErrNotFound)
}

func testReviewReject(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	r := newReview(t, s, "sketchy==0.1")
	got := must[store.Review](t, "RejectReview")(s.RejectReview(ctx, r.ID, "admin", "no sdists", base.Add(time.Minute)))
	if got.State != store.ReviewRejected || got.DecidedBy != "admin" || got.Note != "no sdists" || !got.Decided.Equal(us(base.Add(time.Minute))) {
		t.Errorf("RejectReview = %+v", got)
	}
	if again := must[store.Review](t, "Review")(s.Review(ctx, r.ID)); !reflect.DeepEqual(again, got) {
		t.Errorf("Review = %+v, want %+v", again, got)
	}
	_, err := s.ApproveReview(ctx, r.ID, exception("sketchy"))
	wantErr(t, "ApproveReview(rejected)", err, store.ErrConflict)
	_, err = s.RejectReview(ctx, r.ID, "admin", "", time.Time{})
	wantErr(t, "RejectReview(rejected)", err, store.ErrConflict)
	_, err = s.RejectReview(ctx, 424242, "admin", "", time.Time{})
	wantErr(t, "RejectReview(missing)", err, store.ErrNotFound)
	if p := must[[]store.Review](t, "Reviews")(s.Reviews(ctx, store.ReviewPending)); len(p) != 0 {
		t.Errorf("pending reviews after rejection = %+v", p)
	}
	if xs := must[[]store.Exception](t, "Exceptions")(s.Exceptions(ctx)); len(xs) != 0 {
		t.Errorf("a rejection created exceptions: %+v", xs)
	}
}

// testReviewConcurrentDecisions has two admins decide the same review at
// once: one wins, the other gets ErrConflict, and at most one exception
// exists.
func testReviewConcurrentDecisions(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	dsn := newDB(t)
	s := open(t, dsn)
	r := newReview(t, s, "racy==1.0")
	handles := []store.Store{s, open(t, dsn)}
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				_, errs[i] = handles[i%2].ApproveReview(ctx, r.ID, exception("racy"))
			} else {
				_, errs[i] = handles[i%2].RejectReview(ctx, r.ID, "admin2", "no", time.Time{})
			}
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("concurrent decision: %v, want nil or ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d decisions on one review succeeded, want 1", won, n)
	}
	final := must[store.Review](t, "Review")(s.Review(ctx, r.ID))
	xs := must[[]store.Exception](t, "Exceptions")(s.Exceptions(ctx))
	if wantX := map[store.ReviewState]int{store.ReviewApproved: 1, store.ReviewRejected: 0}[final.State]; len(xs) != wantX {
		t.Errorf("review ended %s with %d exceptions", final.State, len(xs))
	}
}

func testExceptionInvalid(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s := fresh(t, newDB)
	r := newReview(t, s, "pkg==1.0")
	for _, tt := range []struct {
		what string
		edit func(*store.Exception)
	}{
		{"no expiry", func(x *store.Exception) { x.Expires = time.Time{} }},
		{"expiry before creation", func(x *store.Exception) { x.Expires = x.Created.Add(-time.Second) }},
		{"no reason", func(x *store.Exception) { x.Reason = "" }},
		{"no project", func(x *store.Exception) { x.Project = "" }},
		{"no rule", func(x *store.Exception) { x.Rule = "" }},
		{"no approver", func(x *store.Exception) { x.ApprovedBy = "" }},
	} {
		x := exception("pkg")
		tt.edit(&x)
		_, err := s.ApproveReview(ctx, r.ID, x)
		wantErr(t, "ApproveReview("+tt.what+")", err, store.ErrInvalid)
	}
	if got := must[store.Review](t, "Review")(s.Review(ctx, r.ID)); got.State != store.ReviewPending {
		t.Errorf("refused approvals changed the review to %s", got.State)
	}
	_, err := s.CreateReview(ctx, store.Review{Subject: "", Requester: "a"})
	wantErr(t, "CreateReview(no subject)", err, store.ErrInvalid)
	_, err = s.CreateReview(ctx, store.Review{Subject: "x", Requester: ""})
	wantErr(t, "CreateReview(no requester)", err, store.ErrInvalid)
}

// Lifecycle.

// testConcurrentOpen starts several processes' worth of handles on a new
// database at once: migrations must run once, and nobody may fail.
func testConcurrentOpen(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	dsn := newDB(t)
	const n = 4
	var wg sync.WaitGroup
	stores := make([]store.Store, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = store.Open(ctx, dsn, nil) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("concurrent Open %d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { stores[i].Close() })
		issue(t, stores[i], fmt.Sprintf("t%d", i), store.AllScopes, base, time.Time{})
	}
}

func testReopen(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	dsn := newDB(t)
	s, err := store.Open(ctx, dsn, nil)
	noErr(t, "Open", err)
	_, secret := issue(t, s, "kept", store.AllScopes, base, time.Time{})
	ev := appendEvent(t, s, store.Event{Actor: "kept", Action: store.ActionCheck})
	noErr(t, "Close", s.Close())
	s = open(t, dsn)
	if _, err := store.Authenticate(ctx, s, secret.String(), base); err != nil {
		t.Errorf("after reopening, Authenticate: %v", err)
	}
	p := must[store.AuditPage](t, "Events")(s.Events(ctx, store.AuditQuery{}))
	if len(p.Events) != 1 || p.Events[0].ID != ev.ID {
		t.Errorf("after reopening, Events = %+v, want [%+v]", p.Events, ev)
	}
	next := appendEvent(t, s, store.Event{Actor: "kept", Action: store.ActionCheck})
	if next.ID <= ev.ID {
		t.Errorf("after reopening, Append gave ID %d after %d", next.ID, ev.ID)
	}
}

func testClosed(t *testing.T, newDB NewDB) {
	ctx := context.Background()
	s, err := store.Open(ctx, newDB(t), nil)
	noErr(t, "Open", err)
	noErr(t, "Ping", s.Ping(ctx))
	noErr(t, "Close", s.Close())
	wantErr(t, "Ping after Close", s.Ping(ctx), store.ErrClosed)
	_, err = s.Append(ctx, store.Event{Actor: "a", Action: store.ActionCheck})
	wantErr(t, "Append after Close", err, store.ErrClosed)
	_, err = s.TokenByHash(ctx, store.NewSecret().Hash())
	wantErr(t, "TokenByHash after Close", err, store.ErrClosed)
	_, err = s.Events(ctx, store.AuditQuery{})
	wantErr(t, "Events after Close", err, store.ErrClosed)
}
