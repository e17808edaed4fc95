package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/testpypi"
)

// syncBuffer is a bytes.Buffer safe for the proxy's goroutines.
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

// startProxy runs "airlock proxy" in-process and returns its base URL and a
// function that stops it and returns its exit code.
func startProxy(t *testing.T, args ...string) (string, func() int, *syncBuffer) {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	code := make(chan int, 1)
	all := append([]string{"--data-dir", t.TempDir(), "proxy", "--listen", "127.0.0.1:0", "--addr-file", addrFile}, args...)
	go func() { code <- Main(ctx, all, strings.NewReader(""), io.Discard, stderr) }()
	stop := func() int { cancel(); return <-code }
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil {
			return "http://" + strings.TrimSpace(string(b)), stop, stderr
		}
		select {
		case c := <-code:
			t.Fatalf("airlock proxy exited %d:\n%s", c, stderr)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("airlock proxy did not start:\n%s", stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProxyCommand(t *testing.T) {
	up := testpypi.New(t)
	up.AddWheels(testpypi.Wheel{Name: "app", Version: "1.0"}, testpypi.Wheel{Name: "app", Version: "2.0b1"})
	up.Add(testpypi.Project{Name: "app", Dists: []testpypi.Dist{testpypi.Sdist{Name: "app", Version: "1.0"}.Dist()}})
	t.Setenv("AIRLOCK_UPSTREAM", up.URL())
	base, stop, stderr := startProxy(t, "--no-prereleases")
	req, _ := http.NewRequest("GET", base+"/simple/app/", nil)
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != 200 || !strings.Contains(page, `"filename":"app-1.0-py3-none-any.whl"`) ||
		!strings.Contains(page, `"rule":"prerelease"`) || !strings.Contains(page, `"rule":"sdist"`) {
		t.Errorf("page through airlock proxy: %s\n%s", resp.Status, page)
	}
	if code := stop(); code != ExitOK {
		t.Errorf("exit code after interrupt = %d, want 0", code)
	}
	if !strings.Contains(stderr.String(), "airlock proxy: serving http://127.0.0.1:") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestProxyCommandListenFailure(t *testing.T) {
	base, stop, _ := startProxy(t, "--upstream", "http://127.0.0.1:9/simple/")
	defer stop()
	var stderr bytes.Buffer
	code := Main(context.Background(), []string{"--data-dir", t.TempDir(), "proxy", "--listen", strings.TrimPrefix(base, "http://")},
		strings.NewReader(""), io.Discard, &stderr)
	if code != ExitFailed || !strings.Contains(stderr.String(), "address already in use") {
		t.Errorf("second proxy on a used port: exit %d, %s", code, stderr.String())
	}
}

// TestProxyCommandRequiresTokensBeyondLoopback: listening beyond loopback,
// the proxy needs the server's tokens, with the proxy scope, sent as pip
// sends them (basic authentication, the token as the password).
func TestProxyCommandRequiresTokensBeyondLoopback(t *testing.T) {
	up := testpypi.New(t)
	up.AddWheels(testpypi.Wheel{Name: "app", Version: "1.0"})
	db := filepath.Join(t.TempDir(), "airlock.db")
	create := func(name, scopes string) string {
		var out, errb bytes.Buffer
		args := []string{"--data-dir", t.TempDir(), "token", "create", "--database", db, "--name", name, "--scopes", scopes}
		if code := Main(context.Background(), args, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("token create: %d %s", code, errb.String())
		}
		return strings.TrimSpace(out.String())
	}
	pipToken, agentToken := create("pip", "proxy"), create("agent", "check")
	base, stop, stderr := startProxy(t, "--upstream", up.URL(), "--listen", "0.0.0.0:0", "--database", db)
	defer stop()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	page := "http://127.0.0.1:" + port + "/simple/app/"
	get := func(token string) *http.Response {
		req, _ := http.NewRequest("GET", page, nil)
		if token != "" {
			req.SetBasicAuth("__token__", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get(""); r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("no token: %s %q", r.Status, r.Header.Get("WWW-Authenticate"))
	}
	if r := get(agentToken); r.StatusCode != http.StatusForbidden {
		t.Errorf("a token without the proxy scope: %s", r.Status)
	}
	if r := get(pipToken); r.StatusCode != http.StatusOK {
		t.Errorf("a proxy token: %s\n%s", r.Status, stderr)
	}
	if !strings.Contains(stderr.String(), "tokens with the proxy scope required") {
		t.Errorf("stderr does not say tokens are required:\n%s", stderr)
	}
}
