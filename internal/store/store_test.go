package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/store"
	"github.com/airlock-dev/airlock/internal/store/pgtest"
	"github.com/airlock-dev/airlock/internal/store/storetest"
)

// Child processes. When helperEnv is set, the test binary runs appender
// (the child of TestAppendSurvivesKill: it appends forever and prints each ID
// once Append has returned); when openerEnv is set, it runs opener (the
// child of TestOpenFromProcesses).
const (
	helperEnv = "AIRLOCK_STORE_APPENDER_DSN"
	openerEnv = "AIRLOCK_STORE_OPENER_DSN"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(helperEnv); dsn != "" {
		os.Exit(appender(dsn))
	}
	if dsn := os.Getenv(openerEnv); dsn != "" {
		os.Exit(opener(dsn))
	}
	os.Exit(m.Run())
}

func sqliteDB(t testing.TB) string { return filepath.Join(t.TempDir(), "airlock.db") }

func TestSQLite(t *testing.T) {
	storetest.Run(t, sqliteDB)
}

// TestSQLiteOddPath runs the suite on a file whose path has the characters
// that mean something in URLs, through the sqlite: form.
func TestSQLiteOddPath(t *testing.T) {
	storetest.Run(t, func(t testing.TB) string {
		dir := filepath.Join(t.TempDir(), "data dir")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		return "sqlite://" + filepath.Join(dir, "a?b#c%25d.db")
	})
}

func TestPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	storetest.Run(t, srv.NewDatabase)
}

func BenchmarkSQLite(b *testing.B) {
	storetest.Bench(b, sqliteDB)
}

func BenchmarkPostgres(b *testing.B) {
	srv := pgtest.Start(b)
	storetest.Bench(b, srv.NewDatabase)
}

// TestAppendSurvivesKill is the server's durability promise: a child process
// appends from many goroutines and prints each ID after Append returns; it
// is killed with SIGKILL mid-stream; every ID it printed must be in the log
// when the database is opened again.
func TestAppendSurvivesKill(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testAppendSurvivesKill(t, sqliteDB(t)) })
	t.Run("Postgres", func(t *testing.T) { testAppendSurvivesKill(t, pgtest.Start(t).NewDatabase(t)) })
}

// killAfter is how many acknowledged appends the parent waits for before
// the kill; appends are still in flight then.
const killAfter = 300

func testAppendSurvivesKill(t *testing.T, dsn string) {
	// Create the schema first, so the child's start-up is quick.
	s, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dsn)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int64]bool{}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		id, err := strconv.ParseInt(sc.Text(), 10, 64)
		if err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		acked[id] = true
		if len(acked) == killAfter && !killed {
			cmd.Process.Kill() // SIGKILL; keep reading what it printed before dying
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d appends without being killed: %v", len(acked), err)
	}

	s, err = store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	stored := map[int64]bool{}
	q := store.AuditQuery{Limit: store.MaxAuditLimit}
	for {
		p, err := s.Events(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Events {
			stored[e.ID] = true
		}
		if q.Cursor = p.Next; q.Cursor.IsZero() {
			break
		}
	}
	lost := 0
	for id := range acked {
		if !stored[id] {
			lost++
		}
	}
	t.Logf("killed after %d acknowledged appends; %d events stored", len(acked), len(stored))
	if lost > 0 {
		t.Errorf("%d of %d acknowledged appends are missing after kill -9", lost, len(acked))
	}
	if _, err := s.Append(context.Background(), store.Event{Actor: "after", Action: store.ActionCheck}); err != nil {
		t.Errorf("Append after recovery: %v", err)
	}
}

// appender is the child process of TestAppendSurvivesKill.
func appender(dsn string) int {
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "appender:", err)
		return 1
	}
	deadline := time.Now().Add(time.Minute) // in case the parent never kills us
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				e, err := s.Append(ctx, store.Event{Actor: "appender", Action: store.ActionCheck,
					Decision: store.DecisionAllow, Subject: fmt.Sprintf("%d/%d", w, i)})
				if err != nil {
					fmt.Fprintln(os.Stderr, "appender:", err)
					return
				}
				// One write(2) per line: the parent sees it even if we
				// are killed right after.
				os.Stdout.WriteString(strconv.FormatInt(e.ID, 10) + "\n")
			}
		})
	}
	wg.Wait()
	return 0
}

// TestOpenFromProcesses starts several processes on a new database at once,
// as when a server and CLI commands start together: every one must open it
// (creating and migrating the schema once) and write to it.
func TestOpenFromProcesses(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testOpenFromProcesses(t, sqliteDB(t)) })
	t.Run("Postgres", func(t *testing.T) { testOpenFromProcesses(t, pgtest.Start(t).NewDatabase(t)) })
}

func testOpenFromProcesses(t *testing.T, dsn string) {
	const n = 4
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^$")
		cmds[i].Env = append(os.Environ(), openerEnv+"="+dsn)
	}
	outs := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("process %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	s, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	toks, err := s.Tokens(context.Background())
	if err != nil || len(toks) != n {
		t.Errorf("after %d processes, Tokens = %d, %v; want %d", n, len(toks), err, n)
	}
}

// opener is the child process of TestOpenFromProcesses.
func opener(dsn string) int {
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "opener:", err)
		return 1
	}
	defer s.Close()
	name := fmt.Sprintf("pid-%d", os.Getpid())
	if _, _, err := store.IssueToken(ctx, s, store.Token{Name: name, Scopes: store.AllScopes}); err != nil {
		fmt.Fprintln(os.Stderr, "opener:", err)
		return 1
	}
	return 0
}
