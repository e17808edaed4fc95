// Package bandit runs bandit (PyCQA's Python security linter, Debian
// package "bandit") as a second opinion next to airlock's own scanner and
// turns its report into [inspect.Finding] values: bandit's test ids are kept
// as rule ids (B602, B307, ...), in the "bandit" family, with bandit's
// severities (LOW, MEDIUM, HIGH) mapped to airlock's and the review action
// by default.
//
// bandit is optional: [Find] reports [ErrNotInstalled] with what to install.
// Sources found inside wheels and sdists are handed to bandit as temporary
// copies of the .py files only ([Collector]), bounded by [MaxCopyBytes] and
// removed afterwards; nothing else from an archive touches the disk.
package bandit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/airlock-dev/airlock/internal/inspect"
)

// ErrNotInstalled is returned when no bandit executable is found.
var ErrNotInstalled = errors.New("bandit is not installed (Debian: apt-get install bandit); run without --with-bandit to use airlock's scanner alone")

// Limits on what is handed to bandit.
const (
	// MaxCopyBytes bounds the archive sources copied to disk for one run.
	MaxCopyBytes = 256 << 20
	// maxArgs bounds the files passed on one bandit command line.
	maxArgs = 500
	// maxOutput bounds bandit's JSON report.
	maxOutput = 256 << 20
)

// Find returns the path of the bandit executable on PATH.
func Find() (string, error) {
	p, err := exec.LookPath("bandit")
	if err != nil {
		return "", ErrNotInstalled
	}
	return p, nil
}

// A Source is Python code to scan: a file on disk (Path, Content nil), or a
// member of an archive (Archive, Path inside it, Content).
type Source struct {
	Archive string
	Path    string
	Content []byte
}

// Runner runs bandit.
type Runner struct {
	// Bin is the bandit executable; see Find.
	Bin string
	// MinSeverity drops findings below it; the zero value keeps medium and
	// high (bandit's low findings, such as every assert, are noise for an
	// install gate).
	MinSeverity inspect.Severity
}

// report is bandit's JSON output (bandit 1.6 and later).
type report struct {
	Errors []struct {
		Filename string `json:"filename"`
		Reason   string `json:"reason"`
	} `json:"errors"`
	Results []struct {
		Code       string `json:"code"`
		Filename   string `json:"filename"`
		Confidence string `json:"issue_confidence"`
		Severity   string `json:"issue_severity"`
		Text       string `json:"issue_text"`
		Line       int    `json:"line_number"`
		Column     int    `json:"col_offset"`
		MoreInfo   string `json:"more_info"`
		TestID     string `json:"test_id"`
		TestName   string `json:"test_name"`
	} `json:"results"`
}

var (
	rulesMu sync.Mutex
	rules   = map[string]*inspect.Rule{}
)

// ruleFor returns the rule for a bandit test, made once per test id.
func ruleFor(id, name, sev, info string) *inspect.Rule {
	rulesMu.Lock()
	defer rulesMu.Unlock()
	if r, ok := rules[id]; ok {
		return r
	}
	r := &inspect.Rule{
		ID: id, Name: name, Family: inspect.FamilyBandit, Severity: severity(sev), Action: inspect.ActionReview,
		Summary: "bandit " + id + " (" + name + ")", Help: "See " + info, Engine: "bandit",
	}
	rules[id] = r
	return r
}

// severity maps bandit's severity names.
func severity(s string) inspect.Severity {
	switch strings.ToUpper(s) {
	case "HIGH":
		return inspect.SeverityHigh
	case "MEDIUM":
		return inspect.SeverityMedium
	}
	return inspect.SeverityLow
}

// Scan runs bandit over the sources and returns its findings, located like
// airlock's (Archive and Path).
func (r Runner) Scan(ctx context.Context, sources []Source) ([]inspect.Finding, error) {
	bin := r.Bin
	if bin == "" {
		var err error
		if bin, err = Find(); err != nil {
			return nil, err
		}
	}
	// Files on disk are scanned in place; archive members as copies.
	where := map[string]Source{} // path bandit reports -> source
	var onDisk []string
	var dir string
	copied := 0
	for _, s := range sources {
		if s.Content == nil {
			abs, err := filepath.Abs(s.Path)
			if err != nil {
				return nil, err
			}
			where[abs] = s
			onDisk = append(onDisk, abs)
			continue
		}
		if copied+len(s.Content) > MaxCopyBytes {
			return nil, fmt.Errorf("bandit: the archive sources add up to more than %d bytes", MaxCopyBytes)
		}
		if dir == "" {
			d, err := os.MkdirTemp("", "airlock-bandit-")
			if err != nil {
				return nil, err
			}
			dir = d
			defer os.RemoveAll(dir)
		}
		// Copies get neutral names: member paths come from the archive and
		// are not trusted as file names.
		p := filepath.Join(dir, strconv.Itoa(len(where))+".py")
		if err := os.WriteFile(p, s.Content, 0o600); err != nil {
			return nil, err
		}
		copied += len(s.Content)
		where[p] = s
		onDisk = append(onDisk, p)
	}
	var out []inspect.Finding
	for len(onDisk) > 0 {
		batch := onDisk[:min(len(onDisk), maxArgs)]
		onDisk = onDisk[len(batch):]
		fs, err := r.run(ctx, bin, batch, where)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// run runs bandit once over files.
func (r Runner) run(ctx context.Context, bin string, files []string, where map[string]Source) ([]inspect.Finding, error) {
	args := append([]string{"-f", "json", "-q", "-n", "1", "--"}, files...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &stdout, max: maxOutput}
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 64 << 10}
	err := cmd.Run()
	// bandit exits 1 when it found something; only a missing or
	// unreadable report is a failure.
	var rep report
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if err == nil {
			err = jerr
		}
		return nil, fmt.Errorf("bandit failed: %v: %s", err, msg)
	}
	min := r.MinSeverity
	if min == 0 {
		min = inspect.SeverityMedium
	}
	var out []inspect.Finding
	for _, res := range rep.Results {
		sev := severity(res.Severity)
		if sev < min {
			continue
		}
		src, ok := where[res.Filename]
		if !ok {
			abs, _ := filepath.Abs(res.Filename)
			if src, ok = where[abs]; !ok {
				continue
			}
		}
		rule := ruleFor(res.TestID, res.TestName, res.Severity, res.MoreInfo)
		f := inspect.Finding{
			Rule: rule, Severity: sev, Action: rule.Action, Archive: src.Archive, Path: src.Path,
			Line: res.Line, Message: fmt.Sprintf("%s (bandit, confidence %s)", strings.TrimSpace(res.Text), strings.ToLower(res.Confidence)),
			Snippet: codeLine(res.Code, res.Line),
		}
		if res.Column > 0 {
			f.Column = res.Column + 1
		}
		out = append(out, f)
	}
	return out, nil
}

// codeLine picks line n from bandit's numbered code excerpt.
func codeLine(code string, n int) string {
	prefix := strconv.Itoa(n) + " "
	for _, l := range strings.Split(code, "\n") {
		if s, ok := strings.CutPrefix(l, prefix); ok {
			s = strings.TrimSpace(s)
			if len(s) > 160 {
				s = s[:160] + "…"
			}
			return s
		}
	}
	return ""
}

// limitedBuffer keeps at most max bytes and drops the rest.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Collector is an [inspect.SourceScanner] decorator: it passes every
// source to the wrapped scanner and keeps a copy for bandit. Use one per
// archive (Archive names it in the collected sources). It is safe for
// concurrent use.
type Collector struct {
	Next    inspect.SourceScanner
	Archive string

	mu      sync.Mutex
	bytes   int
	sources []Source
	dropped int
}

// ScanSource implements [inspect.SourceScanner].
func (c *Collector) ScanSource(ctx context.Context, path string, src []byte) ([]inspect.Finding, error) {
	c.mu.Lock()
	if c.bytes+len(src) <= MaxCopyBytes {
		c.sources = append(c.sources, Source{Archive: c.Archive, Path: path, Content: bytes.Clone(src)})
		c.bytes += len(src)
	} else {
		c.dropped++
	}
	c.mu.Unlock()
	if c.Next == nil {
		return nil, nil
	}
	return c.Next.ScanSource(ctx, path, src)
}

// Sources returns the collected sources and how many were left out because
// they went over MaxCopyBytes.
func (c *Collector) Sources() ([]Source, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sources, c.dropped
}
