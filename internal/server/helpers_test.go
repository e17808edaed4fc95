package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/cli"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/sandbox"
	"github.com/airlock-dev/airlock/internal/server"
	"github.com/airlock-dev/airlock/internal/store"
)

// cliEnv makes the test binary run airlock's CLI instead of the tests: the
// subprocess tests start `airlock serve` and `airlock token revoke` this
// way, without building the binary.
const cliEnv = "AIRLOCK_SERVER_TEST_CLI"

// TestMain lets the test binary serve as airlock's binary: as the CLI (for
// subprocess tests) and as the forwarder inside proxy-mode sandboxes.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == sandbox.ForwardCommand {
		os.Exit(sandbox.ForwardMain(os.Args[2:]))
	}
	if os.Getenv(cliEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// airlockCmd returns a command that runs airlock's CLI with args.
func airlockCmd(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), cliEnv+"=1", "AIRLOCK_UPSTREAM=http://127.0.0.1:9/simple/")
	return cmd
}

// testServer is a server on loopback with a SQLite store of its own.
type testServer struct {
	t     testing.TB
	srv   *server.Server
	st    store.Store
	url   string
	dbDSN string
	hs    *http.Server
	logs  *syncBuffer
	// admin holds every scope.
	admin string
}

type serverOpt func(*server.Options)

func withPolicy(t *testing.T, yaml string) serverOpt {
	cfg, err := policy.Parse("policy.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	return func(o *server.Options) { o.Policy = cfg }
}

func withLimits(l server.Limits) serverOpt {
	return func(o *server.Options) { o.Limits = l }
}

// newTestServer starts a server in-process on 127.0.0.1:0.
func newTestServer(t testing.TB, opts ...serverOpt) *testServer {
	t.Helper()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "airlock.db")
	st, err := store.Open(context.Background(), dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, st, dsn, opts...)
}

func startServer(t testing.TB, st store.Store, dsn string, opts ...serverOpt) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	o := server.Options{
		Store:  st,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Limits: server.Limits{Rate: -1},
	}
	for _, fn := range opts {
		fn(&o)
	}
	srv, err := server.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	ts := &testServer{t: t, srv: srv, st: st, url: "http://" + ln.Addr().String(), dbDSN: dsn, hs: hs, logs: logs}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		srv.Shutdown()
		st.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	// The first server on a store has "admin"; a second one sharing it
	// gets "admin2", and so on.
	for i := 1; ; i++ {
		name := "admin"
		if i > 1 {
			name += strconv.Itoa(i)
		}
		_, secret, err := store.IssueToken(context.Background(), st, store.Token{Name: name, Scopes: store.AllScopes})
		if errors.Is(err, store.ErrExists) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ts.admin = secret.String()
		return ts
	}
}

// token issues a token and returns its secret.
func (ts *testServer) token(name string, scopes store.Scopes, expires time.Time) string {
	ts.t.Helper()
	_, secret, err := store.IssueToken(context.Background(), ts.st, store.Token{Name: name, Scopes: scopes, Expires: expires})
	if err != nil {
		ts.t.Fatal(err)
	}
	return secret.String()
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// apiErr decodes an error answer.
func (r response) apiErr(t testing.TB) (code, message, requestID string) {
	t.Helper()
	var e struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	r.json(t, &e)
	if e.Error.Code == "" || e.Error.RequestID == "" {
		t.Fatalf("not an error answer: %s", r.body)
	}
	return e.Error.Code, e.Error.Message, e.Error.RequestID
}

var client = &http.Client{Timeout: 2 * time.Minute}

// do sends a request with a bearer token ("" for none). A string body is
// sent as is, anything else as JSON.
func do(t testing.TB, method, url, token string, body any, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: data}
	checkAgainstDoc(t, method, url, r)
	return r
}

// events reads every audit event matching query, following the cursors.
func events(t testing.TB, base, token, query string) []store.Event {
	t.Helper()
	var all []store.Event
	cursor := ""
	for {
		u := base + "/v1/audit?limit=1000"
		if query != "" {
			u += "&" + query
		}
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		r := do(t, "GET", u, token, nil)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", u, r.status, r.body)
		}
		var page struct {
			Events     []store.Event `json:"events"`
			NextCursor string        `json:"next_cursor"`
		}
		r.json(t, &page)
		all = append(all, page.Events...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes (the log).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
