package env

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/simple"
	"github.com/airlock-dev/airlock/internal/pep508"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/sandbox"
)

// proxyPort is the loopback port pip reaches the proxy on inside the
// resolve sandbox.
const proxyPort = sandbox.DefaultProxyPort

// resolve runs pip's resolver in a sandbox against h, served in-process
// through the sandbox's proxy forwarder, and returns the checked closure:
// the releases pip would install, each checked against h's project page
// (the file is listed there with that sha256).
func (in *Installer) resolve(ctx context.Context, e *Env, rq *request, h *index.Handler) ([]*Node, error) {
	ml := NewMemListener()
	srv := &http.Server{
		// pip asks for JSON pages, where pip 23.0 ignores PEP 658 metadata
		// files (it wants the key PEP 714 retired), so it downloads each
		// candidate wheel to read its metadata: into the verified cache,
		// where step 4 finds it. Serving it HTML instead, where pip 23.0
		// does use metadata files, would trip pip's check that a metadata
		// file's Name is spelt exactly as the requirement (pip issue
		// 11847): "Django" for "django" fails.
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(in.opts.Logger.Handler(), slog.LevelDebug),
	}
	go srv.Serve(ml)
	defer srv.Close()

	files := []sandbox.File{{Name: requirementsName, Data: []byte(strings.Join(rq.lines, "\n") + "\n")}}
	if len(rq.constraints) > 0 {
		files = append(files, sandbox.File{Name: constraintsName, Data: []byte(strings.Join(rq.constraints, "\n") + "\n")})
	}
	spec := sandbox.Spec{
		Argv:   resolveArgv(e.Python(), in.runner, proxyPort, len(rq.constraints) > 0, rq.pre),
		Env:    pipEnv(false),
		Files:  files,
		Binds:  []sandbox.Bind{{Src: e.Venv(), Dst: e.Venv()}},
		Net:    sandbox.Network{Mode: sandbox.NetProxy, Port: proxyPort, Dial: ml.Dial},
		Limits: in.opts.Limits,
	}
	res, err := runPip(ctx, in.opts.Runner, "resolve", spec)
	if err != nil {
		return nil, err
	}
	nodes, _, err := parseReport([]byte(res.Stdout), "127.0.0.1:"+strconv.Itoa(proxyPort))
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if err := in.crossCheck(ctx, h, n); err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

// crossCheck makes sure the proxy lists n's file with n's sha256 (pip's
// report comes out of the sandbox and is not believed on its own word),
// and takes the file's upload time and yanked flag from the page.
func (in *Installer) crossCheck(ctx context.Context, h http.Handler, n *Node) error {
	code, body := getPage(ctx, h, n.Name)
	if code != http.StatusOK {
		return reportErrorf("%s: the proxy's page answers HTTP %d", n.Name, code)
	}
	base, _ := url.Parse("http://airlock/simple/" + n.Name + "/")
	proj, err := simple.ParseJSON(body, base)
	if err != nil {
		return reportErrorf("%s: the proxy's page: %v", n.Name, err)
	}
	for _, f := range proj.Files {
		if f.Filename == n.Filename && f.SHA256() == n.SHA256 {
			n.UploadTime, n.Yanked = f.UploadTime, f.Yanked
			return nil
		}
	}
	return reportErrorf("%s: %s with sha256 %s is not on the proxy's page", n.Name, n.Filename, n.SHA256)
}

// pip's messages that explain a failed resolution.
var (
	// pip 23 prints a refused download as
	// "HTTP error 403 Client Error: airlock: <reason> for url: <url>".
	http403RE = regexp.MustCompile(`HTTP error 403 Client Error: airlock: (.*?) for url: (\S+)`)
	// "ERROR: No matching distribution found for <requirement>"
	noMatchRE = regexp.MustCompile(`No matching distribution found for (\S+)`)
)

// airlockExt is what the proxy's JSON pages say under "_airlock".
type airlockExt struct {
	Airlock *struct {
		Project *struct {
			Rule   string `json:"rule"`
			Reason string `json:"reason"`
		} `json:"project"`
		Hidden []struct {
			Filename string `json:"filename"`
			Rule     string `json:"rule"`
			Reason   string `json:"reason"`
		} `json:"hidden"`
	} `json:"_airlock"`
}

// RuleNotFound is the finding rule for a requested or required project
// the index does not have. It explains a failed install; it is not a
// policy decision.
const RuleNotFound policy.Rule = "not-found"

// explainFailure turns a failed resolution into a denial when the proxy
// refused what pip needed: a 403 on a download, or a project whose files
// the proxy hid. The findings go into res.Resolution and the install is
// denied. Any other failure is returned as it is (the install failed).
func (in *Installer) explainFailure(ctx context.Context, rerr error, res *Result) error {
	pe, ok := rerr.(*PipError)
	if !ok {
		return rerr
	}
	out := pe.Result.Stderr + "\n" + pe.Result.Stdout
	var findings []policy.Finding
	seen := map[string]bool{}
	add := func(f policy.Finding) {
		if k := string(f.Rule) + "\x00" + f.Message; !seen[k] {
			seen[k] = true
			findings = append(findings, f)
		}
	}
	for _, m := range http403RE.FindAllStringSubmatch(out, -1) {
		add(policy.Finding{Rule: policy.RuleDenied, Action: policy.Deny, Message: m[1]})
	}
	for _, m := range noMatchRE.FindAllStringSubmatch(out, -1) {
		name := reqName(m[1])
		if name == "" {
			continue
		}
		// The judged proxy says what the policy refused; the one with
		// only the built-in filters says what they hide (sdists, yanked
		// files) even when the judge lets them through to pip.
		for _, h := range []http.Handler{in.steer, in.explain} {
			code, body := getPage(ctx, h, name)
			if code == http.StatusNotFound {
				add(policy.Finding{Rule: RuleNotFound, Action: policy.Deny, Message: name + ": no project of that name on the index"})
				break
			}
			var ext airlockExt
			if code != http.StatusOK || json.Unmarshal(body, &ext) != nil || ext.Airlock == nil {
				continue
			}
			if p := ext.Airlock.Project; p != nil {
				add(policy.Finding{Rule: policy.Rule(p.Rule), Action: policy.Deny, Message: p.Reason})
			}
			for _, hf := range ext.Airlock.Hidden {
				add(policy.Finding{Rule: policy.Rule(hf.Rule), Action: policy.Deny, Message: hf.Reason})
			}
		}
	}
	if len(findings) == 0 || onlyNotFound(findings) {
		if len(findings) > 0 {
			res.Resolution = findings
		}
		return rerr
	}
	res.Resolution = findings
	res.Outcome = Denied
	return nil
}

func onlyNotFound(fs []policy.Finding) bool {
	return !slices.ContainsFunc(fs, func(f policy.Finding) bool { return f.Rule != RuleNotFound })
}

// reqName returns the PEP 503 name of a requirement string, or "".
func reqName(s string) string {
	r, err := pep508.ParseRequirement(s)
	if err != nil {
		return ""
	}
	return r.CanonicalName()
}

// bufferWriter is an in-memory http.ResponseWriter for in-process requests
// to the proxy.
type bufferWriter struct {
	hdr  http.Header
	code int
	buf  bytes.Buffer
}

func newBufferWriter() *bufferWriter { return &bufferWriter{hdr: http.Header{}, code: http.StatusOK} }

func (w *bufferWriter) Header() http.Header { return w.hdr }
func (w *bufferWriter) WriteHeader(code int) {
	w.code = code
}
func (w *bufferWriter) Write(b []byte) (int, error) {
	if w.buf.Len()+len(b) > simple.MaxPageSize {
		return 0, fmt.Errorf("response larger than %d bytes", simple.MaxPageSize)
	}
	return w.buf.Write(b)
}
