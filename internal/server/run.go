package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/sandbox"
	"github.com/airlock-dev/airlock/internal/store"
)

// Limits on a run request, besides the body size.
const (
	// MaxRunArgs bounds the command's argument count.
	MaxRunArgs = 1024
	// MaxRunFiles bounds the files placed in, and returned from, the work
	// directory.
	MaxRunFiles = 1000
	// MaxRunEnv bounds the extra environment variables.
	MaxRunEnv = 100
	// MaxReturnedBytes bounds the content of the files a run returns; the
	// answer says when files were left out.
	MaxReturnedBytes = 16 << 20
	// MaxRunMemory, MaxRunPids, MaxRunOutput, MaxRunFileSize, MaxRunTmpfs
	// and MaxRunOpenFiles bound the limits a client may ask for.
	MaxRunMemory    = 4 * sandbox.GiB
	MaxRunPids      = 1024
	MaxRunOutput    = 16 * sandbox.MiB
	MaxRunFileSize  = 1 * sandbox.GiB
	MaxRunTmpfs     = 1 * sandbox.GiB
	MaxRunOpenFiles = 4096
	// defaultRunCPUs keeps one agent's run from taking the whole machine,
	// as `airlock run` does.
	defaultRunCPUs = 1.0
)

// runRequest is the body of POST /v1/environments/{name}/run.
type runRequest struct {
	Command     []string          `json:"command"`
	Files       []runFile         `json:"files"`
	Stdin       string            `json:"stdin"`
	Env         map[string]string `json:"env"`
	Limits      runLimits         `json:"limits"`
	ReturnFiles bool              `json:"return_files"`
}

// runFile is a file placed in the work directory before the run, or
// returned from it: exactly one of Content (UTF-8 text) and ContentBase64.
type runFile struct {
	Path          string  `json:"path"`
	Content       *string `json:"content,omitempty"`
	ContentBase64 *string `json:"content_base64,omitempty"`
	Mode          uint32  `json:"mode,omitempty"`
	Size          int64   `json:"size,omitempty"`
}

// runLimits are the limits a client asks for; zero fields take the
// sandbox's defaults.
type runLimits struct {
	TimeoutSeconds float64  `json:"timeout_seconds"`
	CPUSeconds     float64  `json:"cpu_seconds"`
	CPUs           float64  `json:"cpus"`
	Memory         byteSize `json:"memory"`
	Pids           int      `json:"pids"`
	OpenFiles      int      `json:"open_files"`
	FileSize       byteSize `json:"file_size"`
	Output         byteSize `json:"output"`
	Tmpfs          byteSize `json:"tmpfs"`
}

// byteSize is a size in JSON: a number of bytes or a string such as
// "256MiB".
type byteSize sandbox.Bytes

func (b *byteSize) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		v, err := sandbox.ParseBytes(s)
		if err != nil {
			return err
		}
		*b = byteSize(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("want a number of bytes or a size such as \"256MiB\"")
	}
	if n < 0 {
		return errors.New("a size cannot be negative")
	}
	*b = byteSize(n)
	return nil
}

// runAnswer is the answer of a run.
type runAnswer struct {
	Result         sandbox.Result `json:"result"`
	Explanation    string         `json:"explanation,omitempty"`
	Files          []runFile      `json:"files,omitempty"`
	FilesTruncated bool           `json:"files_truncated,omitempty"`
}

// limits checks the asked-for limits against the server's and returns
// the sandbox's.
func (s *Server) runLimits(l runLimits) (sandbox.Limits, error) {
	d := sandbox.DefaultLimits()
	out := sandbox.Limits{Wall: d.Wall, CPUs: defaultRunCPUs}
	if l.TimeoutSeconds < 0 || l.CPUSeconds < 0 || l.CPUs < 0 || l.Pids < 0 || l.OpenFiles < 0 {
		return out, badRequest("limits cannot be negative")
	}
	if l.TimeoutSeconds > 0 {
		out.Wall = time.Duration(l.TimeoutSeconds * float64(time.Second))
	}
	if out.Wall > s.limits.MaxRunWall {
		return out, badRequest("limits.timeout_seconds: at most %g on this server", s.limits.MaxRunWall.Seconds())
	}
	out.CPUTime = time.Duration(l.CPUSeconds * float64(time.Second))
	if l.CPUs > 0 {
		out.CPUs = l.CPUs
	}
	if out.CPUs > float64(runtime.NumCPU()) {
		return out, badRequest("limits.cpus: at most %d on this server", runtime.NumCPU())
	}
	check := func(name string, v, maxV sandbox.Bytes) error {
		if v > maxV {
			return badRequest("limits.%s: at most %s on this server", name, maxV)
		}
		return nil
	}
	for _, c := range []struct {
		name string
		v    byteSize
		max  sandbox.Bytes
		dst  *sandbox.Bytes
	}{
		{"memory", l.Memory, MaxRunMemory, &out.Memory},
		{"file_size", l.FileSize, MaxRunFileSize, &out.FileSize},
		{"output", l.Output, MaxRunOutput, &out.Output},
		{"tmpfs", l.Tmpfs, MaxRunTmpfs, &out.Tmpfs},
	} {
		if err := check(c.name, sandbox.Bytes(c.v), c.max); err != nil {
			return out, err
		}
		*c.dst = sandbox.Bytes(c.v)
	}
	if l.Pids > MaxRunPids {
		return out, badRequest("limits.pids: at most %d on this server", MaxRunPids)
	}
	if l.OpenFiles > MaxRunOpenFiles {
		return out, badRequest("limits.open_files: at most %d on this server", MaxRunOpenFiles)
	}
	out.Pids, out.OpenFiles = l.Pids, l.OpenFiles
	out = out.WithDefaults()
	if err := out.Validate(); err != nil {
		return out, badRequest("limits: %v", err)
	}
	return out, nil
}

// validEnvName reports whether name can be an environment variable's.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// runSpec checks a run request and builds its sandbox spec (without the
// environment and work directory), and the digests of the files placed.
func (s *Server) runSpec(req *runRequest) (sandbox.Spec, map[string][32]byte, error) {
	var spec sandbox.Spec
	switch {
	case len(req.Command) == 0:
		return spec, nil, badRequest("command is required: the program and its arguments, e.g. [\"python\", \"main.py\"]")
	case len(req.Command) > MaxRunArgs:
		return spec, nil, badRequest("command: more than %d arguments", MaxRunArgs)
	case len(req.Files) > MaxRunFiles:
		return spec, nil, badRequest("files: more than %d", MaxRunFiles)
	case len(req.Env) > MaxRunEnv:
		return spec, nil, badRequest("env: more than %d variables", MaxRunEnv)
	}
	for i, a := range req.Command {
		if strings.IndexByte(a, 0) >= 0 {
			return spec, nil, badRequest("command[%d] contains a NUL byte", i)
		}
	}
	if req.Command[0] == "" {
		return spec, nil, badRequest("command[0] is empty")
	}
	limits, err := s.runLimits(req.Limits)
	if err != nil {
		return spec, nil, err
	}
	spec.Argv = req.Command
	spec.Limits = limits
	for k, v := range req.Env {
		if !validEnvName(k) || k == "PATH" || strings.IndexByte(v, 0) >= 0 {
			return spec, nil, badRequest("env %q: want a variable name of letters, digits and '_' (not PATH) and a value without NUL", k)
		}
		spec.Env = append(spec.Env, k+"="+v)
	}
	placed := map[string][32]byte{}
	for i, f := range req.Files {
		p := f.Path
		if p == "" || !filepath.IsLocal(p) || path.Clean(p) != p || strings.IndexByte(p, 0) >= 0 || strings.Contains(p, "\\") {
			return spec, nil, badRequest("files[%d].path %q: want a clean relative path inside the work directory", i, p)
		}
		if _, dup := placed[p]; dup {
			return spec, nil, badRequest("files[%d].path %q is given twice", i, p)
		}
		var data []byte
		switch {
		case f.Content != nil && f.ContentBase64 != nil:
			return spec, nil, badRequest("files[%d]: give content or content_base64, not both", i)
		case f.Content != nil:
			data = []byte(*f.Content)
		case f.ContentBase64 != nil:
			if data, err = base64.StdEncoding.DecodeString(*f.ContentBase64); err != nil {
				return spec, nil, badRequest("files[%d].content_base64 is not base64", i)
			}
		default:
			return spec, nil, badRequest("files[%d]: content or content_base64 is required", i)
		}
		mode := f.Mode & 0o755
		if mode == 0 {
			mode = 0o644
		}
		spec.Files = append(spec.Files, sandbox.File{Name: p, Data: data, Mode: mode | 0o400})
		placed[p] = sha256.Sum256(data)
	}
	if req.Stdin != "" {
		spec.Stdin = strings.NewReader(req.Stdin)
	}
	return spec, placed, nil
}

// handleRun runs a command in a sandbox with the environment's venv.
func (s *Server) handleRun(w http.ResponseWriter, r *http.Request) error {
	tok := tokenFrom(r.Context())
	e, err := s.openEnv(r)
	if err != nil {
		return err
	}
	if s.opts.Runner == nil {
		return unavailable("the sandbox is unavailable on this server", s.opts.RunnerError)
	}
	var req runRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	spec, placed, err := s.runSpec(&req)
	if err != nil {
		return err
	}
	if err := s.scanBeforeRun(r.Context(), e.Name(), req.Command, spec); err != nil {
		return err
	}
	release, err := s.conc.acquire(kindRun, tok.Name)
	if err != nil {
		s.metrics.limited.WithLabelValues("concurrency").Inc()
		return err
	}
	defer release()
	deadline := spec.Limits.Wall + RunGrace
	ctx, cancel := context.WithTimeout(r.Context(), deadline)
	defer cancel()
	extendWrite(w, deadline)

	// The environment's venv, read-only at its own path (its scripts'
	// shebangs hold that path), first on PATH.
	spec.Binds = append(spec.Binds, sandbox.Bind{Src: e.Venv(), Dst: e.Venv()})
	spec.PathPrefix = append([]string{e.BinDir()}, spec.PathPrefix...)
	spec.Env = append(spec.Env, "VIRTUAL_ENV="+e.Venv())
	work, err := os.MkdirTemp(s.opts.RunTempDir, "airlock-run-")
	if err != nil {
		return internal(err)
	}
	defer os.RemoveAll(work)
	spec.WorkDir = work

	res, err := s.opts.Runner.Run(ctx, spec)
	switch {
	case errors.Is(err, sandbox.ErrSpec):
		return &apiError{Status: http.StatusBadRequest, Code: CodeBadRequest, Message: "the run cannot be set up as asked (check the command, files and limits)", Err: err}
	case err != nil:
		return unavailable("the sandbox is unavailable on this server", err)
	}
	ans := runAnswer{Result: res, Explanation: res.Explain(spec.Limits)}
	if req.ReturnFiles {
		files, truncated, err := collectFiles(work, placed)
		if err != nil {
			return internal(err)
		}
		ans.Files, ans.FilesTruncated = files, truncated
	}
	extra, _ := docJSON(map[string]any{"environment": e.Name(), "exit_code": res.ExitCode, "signal": res.Signal,
		"reason": res.Reason, "wall_ms": res.WallMS, "cpu_ms": res.CPUMS, "files_in": len(spec.Files), "files_out": len(ans.Files)})
	if _, err := s.record(r.Context(), store.Event{Action: store.ActionRun, Subject: commandLine(req.Command), Extra: extra}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// collectFiles returns the regular files of the work directory that the
// run created or changed, up to MaxRunFiles and MaxReturnedBytes. It reads
// through an os.Root and skips symbolic links, devices and FIFOs: the
// sandbox wrote this directory, and a link to a host file must not lead
// the server to read it.
func collectFiles(dir string, placed map[string][32]byte) ([]runFile, bool, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, false, err
	}
	defer root.Close()
	var out []runFile
	budget := int64(MaxReturnedBytes)
	truncated := false
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable: skip
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		if len(out) >= MaxRunFiles {
			truncated = true
			return fs.SkipAll
		}
		f, err := root.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		if fi.Size() > budget {
			truncated = true
			return nil
		}
		data, err := io.ReadAll(io.LimitReader(f, budget+1))
		if err != nil || int64(len(data)) > budget {
			truncated = true
			return nil
		}
		if sum, ok := placed[p]; ok && sum == sha256.Sum256(data) {
			return nil // placed by the request and unchanged
		}
		budget -= int64(len(data))
		rf := runFile{Path: p, Mode: uint32(fi.Mode().Perm()), Size: int64(len(data))}
		if utf8.Valid(data) && !bytes.ContainsRune(data, 0) {
			text := string(data)
			rf.Content = &text
		} else {
			b64 := base64.StdEncoding.EncodeToString(data)
			rf.ContentBase64 = &b64
		}
		out = append(out, rf)
		return nil
	})
	return out, truncated, err
}

// commandLine renders argv for the audit log, quoting what a shell would
// split.
func commandLine(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`") {
			parts[i] = strconv.Quote(a)
		} else {
			parts[i] = a
		}
	}
	return strings.Join(parts, " ")
}

// maxScanLines bounds the findings a refused run's message lists; the
// audit log has them all.
const maxScanLines = 10

// scanBeforeRun scans the code a run is about to execute when the policy's
// scan section sets before_run (as `airlock run` does): the Python files
// and notebooks placed in the work directory, the script Python is given
// and `python -c` code ([env.RunSources]). A deny
// or review verdict refuses the run with a 422 whose message lists the
// findings (nobody has approved a review), after recording the refusal.
func (s *Server) scanBeforeRun(ctx context.Context, envName string, argv []string, spec sandbox.Spec) error {
	cfg := s.current().policy.Config()
	if !cfg.Scan.BeforeRun {
		return nil
	}
	// The work directory holds only the files placed there: nothing else
	// is read.
	sources, err := env.RunSources(argv, spec.Files, nil)
	if err != nil {
		return internal(fmt.Errorf("scan before run: %w", err))
	}
	findings, verdict, err := env.ScanBeforeRun(ctx, cfg, sources)
	if err != nil {
		return internal(fmt.Errorf("scan before run: %w", err))
	}
	if verdict != inspect.ActionDeny && verdict != inspect.ActionReview {
		return nil
	}
	decision, why := store.DecisionDeny, "the code failed the policy's scan before run"
	if verdict == inspect.ActionReview {
		decision, why = store.DecisionReview, "the code needs a person's review before it runs (the policy's scan before run)"
	}
	doc, err := docJSON(findings)
	if err != nil {
		return internal(err)
	}
	extra, _ := docJSON(map[string]any{"environment": envName, "refused": "scan"})
	if _, err := s.record(ctx, store.Event{Action: store.ActionRun, Decision: decision, Subject: commandLine(argv), Findings: doc, Extra: extra}); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("run refused: " + why)
	n := 0
	for _, f := range findings {
		if f.Action != inspect.ActionDeny && f.Action != inspect.ActionReview {
			continue
		}
		if n == maxScanLines {
			b.WriteString("; ...")
			break
		}
		b.WriteString("; " + f.String())
		n++
	}
	return errorf(http.StatusUnprocessableEntity, CodeRunRefused, "%s", b.String())
}
