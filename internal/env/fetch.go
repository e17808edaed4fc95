package env

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/policy"
)

// fetchParallel bounds the files fetched and inspected at once.
const fetchParallel = 4

// fetchAndInspect fetches each node's file through the judged proxy into
// the artifact cache (which verifies its sha256 while it streams in),
// copies it into the staging's vetted directory (verifying the sha256
// again, on the bytes pip will read), inspects that copy, and decides the
// release again with the inspection's findings. res.Releases[i] is
// updated for nodes[i].
func (in *Installer) fetchAndInspect(ctx context.Context, e *Env, nodes []*Node, rq *request, installed map[string]pep440.Version, st *staging, res *Result) error {
	owned, err := readInstalledFiles(e.Venv())
	if err != nil {
		return err
	}
	// A release that replaces an installed one may overwrite that one's
	// files.
	replaced := map[string]bool{}
	for _, n := range nodes {
		replaced[n.Name] = true
	}
	files := installedFiles{}
	for p, owner := range owned {
		if !replaced[owner] {
			files[p] = owner
		}
	}
	opts := in.opts.Inspect
	opts.Installed = files
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchParallel)
	for i, n := range nodes {
		g.Go(func() error {
			findings, refused, err := in.fetchOne(gctx, n, st, opts)
			if err != nil {
				return err
			}
			var d policy.Decision
			if refused != nil {
				d = policy.Decision{Action: policy.Deny, Findings: []policy.Finding{*refused}}
			} else {
				f := &policy.File{Filename: n.Filename, SHA256: n.SHA256, UploadTime: n.UploadTime, Yanked: n.Yanked, Inspection: findings}
				d = in.hashCheck(n, rq, in.opts.Policy.Decide(in.candidate(n, nodes, rq, installed, f)))
			}
			res.Releases[i].Decision = d
			return nil
		})
	}
	return g.Wait()
}

// fetchOne makes one node's file vetted: fetched, verified, copied and
// inspected. refused is set when the proxy refused the download.
func (in *Installer) fetchOne(ctx context.Context, n *Node, st *staging, opts inspect.Options) (findings []policy.ArtifactFinding, refused *policy.Finding, err error) {
	// A HEAD request makes the proxy judge the file again and fill the
	// cache without sending the body anywhere.
	req, _ := http.NewRequestWithContext(ctx, http.MethodHead, "http://airlock"+n.URLPath, nil)
	w := newBufferWriter()
	in.steer.ServeHTTP(w, req)
	switch {
	case w.code == http.StatusForbidden:
		reason := strings.TrimPrefix(w.hdr.Get("X-Airlock-Reason"), "airlock: ")
		return nil, &policy.Finding{Rule: policy.RuleDenied, Action: policy.Deny, Message: reason, Path: n.Path}, nil
	case w.code != http.StatusOK:
		reason := strings.TrimPrefix(w.hdr.Get("X-Airlock-Reason"), "airlock: ")
		if reason == "" {
			reason = http.StatusText(w.code)
		}
		return nil, nil, fmt.Errorf("fetching %s: the proxy answered HTTP %d: %s", n.Filename, w.code, reason)
	}
	src, err := in.opts.Cache.Open(n.SHA256)
	if err != nil {
		return nil, nil, fmt.Errorf("fetching %s: %w", n.Filename, err)
	}
	defer src.Close()
	dst := filepath.Join(st.wheels(), n.Filename)
	if err := copyVerified(dst, src, n.SHA256); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", n.Filename, err)
	}
	f, err := os.Open(dst)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	rep, err := inspect.Artifact(ctx, f, fi.Size(), n.Filename, inspectionFor(opts, n.Name))
	if err != nil {
		return nil, nil, fmt.Errorf("inspecting %s: %w", n.Filename, err)
	}
	return artifactFindings(rep.Findings), nil, nil
}

// artifactFindings converts inspection findings for the policy.
func artifactFindings(fs []inspect.Finding) []policy.ArtifactFinding {
	var out []policy.ArtifactFinding
	for _, f := range fs {
		if f.Action == inspect.ActionOff {
			continue
		}
		out = append(out, policy.ArtifactFinding{
			ID:      f.Rule.ID + " " + f.Rule.Name,
			Path:    f.Path,
			Message: f.Message,
			Deny:    f.Action == inspect.ActionDeny,
		})
	}
	return out
}

// copyVerified copies src to a new file dst and fails, removing dst, when
// the copy's sha256 is not want.
func copyVerified(dst string, src io.Reader, want string) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), src)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && hex.EncodeToString(h.Sum(nil)) != want {
		err = errors.New("the cached file does not match its sha256")
	}
	if err != nil {
		os.Remove(dst)
		return err
	}
	return os.Chmod(dst, 0o644)
}
