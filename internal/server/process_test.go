package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/server"
	"github.com/airlock-dev/airlock/internal/store"
)

// serverProcess is `airlock serve` running as a subprocess.
type serverProcess struct {
	cmd    *exec.Cmd
	addr   string
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// startServerProcess starts `airlock serve` on a free loopback port with
// the data directory dir and waits until it listens.
func startServerProcess(t *testing.T, dir string, args ...string) *serverProcess {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := airlockCmd(t, append([]string{"--data-dir", dir, "serve", "--listen", "127.0.0.1:0", "--addr-file", addrFile}, args...)...)
	p := &serverProcess{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("airlock serve (%s) stderr:\n%s", dir, p.stderr.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if data, err := os.ReadFile(addrFile); err == nil && strings.HasSuffix(string(data), "\n") {
			p.addr = strings.TrimSpace(string(data))
			p.url = "http://" + p.addr
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("airlock serve exited: %v\n%s", p.err, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("airlock serve did not start:\n%s", p.stderr.String())
		}
	}
}

// adminSecret is the secret the first start printed on standard output.
func (p *serverProcess) adminSecret(t *testing.T) string {
	t.Helper()
	s := strings.TrimSpace(p.stdout.String())
	if _, err := store.ParseSecret(s); err != nil {
		t.Fatalf("standard output is not one token: %q", s)
	}
	return s
}

// wait waits for the process to exit and returns its exit code.
func (p *serverProcess) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Fatalf("airlock serve did not exit within %s", timeout)
	}
	return p.cmd.ProcessState.ExitCode()
}

// TestServeFirstStart: with no token in the store, the first start prints
// an admin token (alone on standard output) that works; the second start
// prints nothing.
func TestServeFirstStart(t *testing.T) {
	dir := t.TempDir()
	p := startServerProcess(t, dir)
	secret := p.adminSecret(t)
	if !strings.Contains(p.stderr.String(), "shown only this once") {
		t.Errorf("stderr does not explain the token:\n%s", p.stderr.String())
	}
	if r := do(t, "GET", p.url+"/v1/audit?action=token-create", secret, nil); r.status != 200 || !strings.Contains(string(r.body), `"first_start":true`) {
		t.Errorf("audit with the admin token: %d %s", r.status, r.body)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
	p2 := startServerProcess(t, dir)
	if out := p2.stdout.String(); out != "" {
		t.Errorf("second start printed %q", out)
	}
	if r := do(t, "GET", p2.url+"/readyz", "", nil); r.status != 200 {
		t.Errorf("readyz: %d", r.status)
	}
}

// TestRevocationByCLI: a token revoked by `airlock token revoke` in
// another process is refused once the server's token cache entry is older
// than TokenCacheTTL (half a second: well within the promised second).
func TestRevocationByCLI(t *testing.T) {
	ts := newTestServer(t)
	victim := ts.token("victim", store.Scopes(store.ScopeCheck), time.Time{})
	body := map[string]any{"requirements": []string{"requests==2.31.0"}}
	if r := do(t, "POST", ts.url+"/v1/check", victim, body); r.status != 200 {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	out, err := airlockCmd(t, "token", "revoke", "victim", "--database", ts.dbDSN).CombinedOutput()
	if err != nil {
		t.Fatalf("airlock token revoke: %v\n%s", err, out)
	}
	time.Sleep(server.TokenCacheTTL + 50*time.Millisecond)
	r := do(t, "POST", ts.url+"/v1/check", victim, body)
	if r.status != 401 {
		t.Fatalf("after revocation: %d %s", r.status, r.body)
	}
	if _, msg, _ := r.apiErr(t); !strings.Contains(msg, "revoked") {
		t.Errorf("message %q", msg)
	}
	// Other tokens are unaffected.
	if r := do(t, "POST", ts.url+"/v1/check", ts.admin, body); r.status != 200 {
		t.Errorf("admin: %d", r.status)
	}
}

// TestKillDuringLoad: `airlock serve` is killed with SIGKILL while 16
// clients send checks; after a restart, every check that was answered is
// in the audit log.
func TestKillDuringLoad(t *testing.T) {
	dir := t.TempDir()
	p := startServerProcess(t, dir, "--rate-limit", "0")
	secret := p.adminSecret(t)
	const (
		clients  = 16
		killAt   = 400              // answered checks before the kill
		maxWait  = 30 * time.Second // bound on the load phase
		maxTotal = 20000
	)
	var (
		mu      sync.Mutex
		acked   = map[string]bool{}
		sent    atomic.Int64
		killed  atomic.Bool
		wg      sync.WaitGroup
		stopAt  = time.Now().Add(maxWait)
		tr      = &http.Transport{MaxIdleConnsPerHost: clients}
		clientK = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	)
	defer tr.CloseIdleConnections()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stopAt) && sent.Load() < maxTotal; i++ {
				sent.Add(1)
				body := fmt.Sprintf(`{"requirements":["pkg-%d-%d==1.0","requests==2.31.0"]}`, c, i)
				req, _ := http.NewRequest("POST", p.url+"/v1/check", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+secret)
				req.Header.Set("Content-Type", "application/json")
				resp, err := clientK.Do(req)
				if err != nil {
					if killed.Load() {
						return
					}
					continue
				}
				_, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				// Only a complete 200 answer counts as acknowledged.
				if resp.StatusCode == 200 && rerr == nil {
					mu.Lock()
					acked[resp.Header.Get("X-Request-Id")] = true
					n := len(acked)
					mu.Unlock()
					if n >= killAt && killed.CompareAndSwap(false, true) {
						p.cmd.Process.Signal(syscall.SIGKILL)
					}
				}
			}
		}()
	}
	wg.Wait()
	if !killed.Load() {
		t.Fatalf("only %d checks were answered in %s", len(acked), maxWait)
	}
	p.wait(t, 30*time.Second)

	p2 := startServerProcess(t, dir, "--rate-limit", "0")
	logged := map[string]bool{}
	for _, e := range events(t, p2.url, secret, "action=check") {
		logged[e.RequestID] = true
	}
	missing := 0
	for id := range acked {
		if !logged[id] {
			missing++
		}
	}
	t.Logf("sent %d checks, %d answered before and around the kill, %d in the log after the restart", sent.Load(), len(acked), len(logged))
	if missing > 0 {
		t.Errorf("%d answered checks are missing from the audit log", missing)
	}
}

// TestSIGTERMDrains: SIGTERM while a request is in flight (its body half
// sent) stops new connections, lets the request finish with its answer,
// records it, and exits 0.
func TestSIGTERMDrains(t *testing.T) {
	dir := t.TempDir()
	p := startServerProcess(t, dir)
	secret := p.adminSecret(t)
	body := `{"requirements": ["requests==2.31.0", "reqeusts==2.31.0"]}`
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/check HTTP/1.1\r\nHost: airlock\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", secret, len(body))
	half := len(body) / 2
	io.WriteString(conn, body[:half])
	// Let the server read the headers, so that the request is in flight.
	time.Sleep(200 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once the listener closes; the process
	// stays up for the request in flight.
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-p.exited:
		t.Fatalf("the server exited with a request in flight: %v", p.err)
	default:
	}
	io.WriteString(conn, body[half:])
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(data, []byte(`"typosquat"`)) {
		t.Fatalf("answer %d: %s", resp.StatusCode, data)
	}
	rid := resp.Header.Get("X-Request-Id")
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "airlock serve: stopped") {
		t.Errorf("stderr:\n%s", p.stderr.String())
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "airlock.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.Events(context.Background(), store.AuditQuery{Action: store.ActionCheck})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].RequestID != rid || page.Events[0].Decision != store.DecisionDeny {
		b, _ := json.Marshal(page.Events)
		t.Errorf("check events after the drain: %s (answer %s)", b, rid)
	}
}

// TestServeTLS: with --tls-cert and --tls-key the server speaks HTTPS
// only, with the given certificate.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t)
	p := startServerProcess(t, dir, "--tls-cert", certFile, "--tls-key", keyFile)
	secret := p.adminSecret(t)
	if !strings.Contains(p.stderr.String(), "listening on https://") {
		t.Errorf("stderr:\n%s", p.stderr.String())
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("POST", "https://"+p.addr+"/v1/check", strings.NewReader(`{"requirements": ["requests==2.31.0"]}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("HTTPS answer %d, TLS %+v", resp.StatusCode, resp.TLS)
	}
	// Plain HTTP gets nothing useful (Go answers 400 to HTTP on a TLS port).
	if resp, err := http.Get("http://" + p.addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP was served on the TLS port")
		}
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key,
// and returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "airlock test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeReloadsAdvisories: `airlock db import` while the server runs
// replaces the advisory database; the server picks it up at its next
// refresh, without a restart.
func TestServeReloadsAdvisories(t *testing.T) {
	dir := t.TempDir()
	p := startServerProcess(t, dir, "--refresh-interval", "100ms")
	secret := p.adminSecret(t)
	check := func() policy.Report {
		var rep policy.Report
		do(t, "POST", p.url+"/v1/check", secret, map[string]any{"requirements": []string{"vulnlib==1.0"}}).json(t, &rep)
		return rep
	}
	if rep := check(); rep.Action() != policy.Allow {
		t.Fatalf("before the import: %v", rep.Action())
	}
	osv := filepath.Join(t.TempDir(), "PYSEC-2099-42.json")
	if err := os.WriteFile(osv, []byte(`{"id": "PYSEC-2099-42", "summary": "vulnlib before 2.0 runs commands",
	  "affected": [{"package": {"ecosystem": "PyPI", "name": "vulnlib"},
	                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := airlockCmd(t, "--data-dir", dir, "db", "import", osv).CombinedOutput(); err != nil {
		t.Fatalf("airlock db import: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if rep := check(); rep.Action() == policy.Deny {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the imported advisory was not picked up")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
