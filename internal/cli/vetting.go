package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/airlock-dev/airlock/internal/feed"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/reqfile"
	"github.com/airlock-dev/airlock/internal/typosquat"
)

// staleAdvisories is the age after which a local advisory database earns a
// note: OSV publishes new PyPI advisories every day.
const staleAdvisories = 7 * 24 * time.Hour

// policyFlags are the flags of every command that makes decisions.
type policyFlags struct {
	policyFile string
	advisories []string
}

func (f *policyFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.policyFile, "policy", "", "policy file (default $AIRLOCK_POLICY, else the embedded default policy)")
	fs.StringArrayVar(&f.advisories, "advisories", nil, "OSV records to use instead of the local database: a directory, a zip or a file (repeatable)")
}

// vetting is a policy with the notes about the data it was built from.
type vetting struct {
	policy *policy.Policy
	notes  []string
}

// loadPolicy builds the policy: the policy file (--policy, $AIRLOCK_POLICY,
// or the embedded default), the advisory data (--advisories, else the
// local database, else none, which every answer then notes) and the
// popular-name list (the refreshed one in the data directory, else the
// embedded one). A bad policy file or unreadable data is a usage error.
func (a *app) loadPolicy(f *policyFlags) (*vetting, error) {
	cfg, pdata, notes, err := a.policyInputs(f)
	if err != nil {
		return nil, err
	}
	p, err := policy.New(cfg, pdata)
	if err != nil {
		return nil, usageError{err}
	}
	return &vetting{policy: p, notes: notes}, nil
}

// policyInputs reads what loadPolicy builds the policy from: the policy
// file, the data snapshots and the notes about them. airlock serve builds
// its policies from these itself (it rebuilds them as exceptions change).
func (a *app) policyInputs(f *policyFlags) (*policy.Config, policy.Data, []string, error) {
	cfg, err := a.policyConfig(f.policyFile)
	if err != nil {
		return nil, policy.Data{}, nil, err
	}
	pdata, notes, err := a.policyData(f)
	if err != nil {
		return nil, policy.Data{}, nil, err
	}
	return cfg, pdata, notes, nil
}

// policyData reads the data snapshots a policy decides with, and the
// notes about them: the advisory data (--advisories, else the local
// database, else none) and the popular-name list (the data directory's,
// else the embedded one).
func (a *app) policyData(f *policyFlags) (policy.Data, []string, error) {
	var (
		pdata policy.Data
		notes []string
	)
	dir, err := a.dataDir()
	if err != nil {
		return pdata, nil, err
	}
	if len(f.advisories) > 0 {
		ix, err := feed.OpenPaths(f.advisories)
		if err != nil {
			return pdata, nil, usageErrorf("--advisories: %v", err)
		}
		pdata.Advisories = ix
	} else {
		ix, st, err := feed.LoadAdvisories(dir)
		switch {
		case errors.Is(err, feed.ErrNoDatabase):
		case err != nil:
			return pdata, nil, withCode(ExitFailed, fmt.Errorf("advisory database: %w (run `airlock db update` to replace it)", err))
		default:
			pdata.Advisories = ix
			if age := time.Since(st.Checked()); age > staleAdvisories {
				notes = append(notes, fmt.Sprintf("the advisory database was last updated %d days ago; run `airlock db update`", int(age.Hours()/24)))
			}
		}
	}
	entries, _, err := feed.LoadPopular(dir)
	switch {
	case errors.Is(err, feed.ErrNoDatabase):
	case err != nil:
		return pdata, nil, withCode(ExitFailed, fmt.Errorf("popular-name list: %w (run `airlock db update` to replace it)", err))
	default:
		pdata.Popular = typosquat.New(entries, typosquat.Options{})
	}
	return pdata, notes, nil
}

// policyConfig reads the policy file: path, else $AIRLOCK_POLICY, else the
// embedded default. A file that cannot be read or parsed is a usage error.
func (a *app) policyConfig(path string) (*policy.Config, error) {
	if path == "" {
		path = a.getenv("AIRLOCK_POLICY")
	}
	if path == "" {
		return policy.Default(), nil
	}
	data, err := readFileLimited(path, policy.MaxPolicySize)
	if err != nil {
		return nil, usageErrorf("policy: %v", err)
	}
	cfg, err := policy.Parse(path, data)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// allNotes returns what the policy's answers cannot cover (no advisory
// data, expired exceptions) and the notes about the data (a stale
// advisory database).
func (v *vetting) allNotes() []string {
	return append(v.policy.Notes(), v.notes...)
}

// check decides the request and adds the data notes to the report.
func (v *vetting) check(opts policy.CheckOptions, inputs ...policy.Input) policy.Report {
	rep := v.policy.Check(opts, inputs...)
	rep.Notes = append(rep.Notes, v.notes...)
	return rep
}

func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// requestInput is what a check or install is asked about: requirements
// files (-r, "-" for standard input) and requirement arguments.
type requestInput struct {
	files []string
	args  []string
}

// readRequest parses the request's files and arguments as pip would,
// leniently: every problem becomes an entry the policy denies. A file that
// cannot be read at all is a usage error. Includes are read only from
// below the including file's directory (through os.Root, so symbolic links
// cannot leave it either).
func (a *app) readRequest(in requestInput) ([]policy.Input, error) {
	var parts []policy.Input
	for _, name := range in.files {
		var data []byte
		var err error
		base := filepath.Dir(name)
		if name == "-" {
			data, err = io.ReadAll(io.LimitReader(a.stdin, reqfile.MaxFileSize+1))
			base = "."
			name = "<stdin>"
		} else {
			data, err = readFileLimited(name, reqfile.MaxFileSize)
		}
		if err != nil {
			return nil, usageErrorf("-r %s: %v", name, err)
		}
		cfg := &reqfile.Config{Open: includeOpener(base)}
		parts = append(parts, policy.Input{Entries: reqfile.ParseLax(name, data, cfg), BaseDir: base})
	}
	if len(in.args) > 0 {
		// Each argument is one line of a requirements file, so it is
		// read exactly as pip reads a line (a newline inside an argument
		// makes two lines, as it would in a file).
		text, err := reqfile.JoinLines(in.args)
		if err != nil {
			return nil, usageErrorf("requirement argument %v; give several lines with -r FILE", strings.TrimPrefix(err.Error(), "item "))
		}
		parts = append(parts, policy.Input{Entries: reqfile.ParseLax("<arguments>", []byte(text), nil)})
	}
	return parts, nil
}

// includeOpener opens -r/-c includes below base only.
//
// name is what pip opens: the including file's directory as written, then
// the include's path, not cleaned. The kernel resolves ".." after a
// symbolic link to the parent of the link's target, so name is never
// cleaned before it is opened: "sub/../x.txt", with "sub" a link that
// leads out of base, is not base's x.txt. The first leading part of name
// that stands for base is opened as the root (as written, so the kernel
// resolves it as it does for pip) and the rest below it, where os.Root
// refuses whatever leaves it.
func includeOpener(base string) reqfile.OpenFunc {
	return func(name string) (io.ReadCloser, error) {
		denied := &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		rel, err := filepath.Rel(base, name)
		if err != nil || !filepath.IsLocal(rel) {
			return nil, denied
		}
		dir, raw, ok := splitBase(base, name)
		if !ok {
			return nil, denied
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		// O_NONBLOCK: opening a named pipe for reading would otherwise
		// wait for a writer. Only regular files are read.
		f, err := root.OpenFile(raw, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return nil, err
		}
		if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
			f.Close()
			return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("not a regular file")}
		}
		return f, nil
	}
}

// splitBase splits name, as written, into its first leading part that
// names the directory base (both made absolute and cleaned) and the rest,
// neither of them cleaned.
func splitBase(base, name string) (dir, rest string, ok bool) {
	want, err := filepath.Abs(base)
	if err != nil {
		return "", "", false
	}
	same := func(d string) bool {
		a, err := filepath.Abs(d)
		return err == nil && a == want
	}
	if !filepath.IsAbs(name) && same(".") {
		return ".", name, true
	}
	for i := range len(name) {
		if name[i] != '/' || i == 0 {
			continue
		}
		if same(name[:i]) {
			rest := strings.TrimLeft(name[i:], "/")
			return name[:i], rest, rest != ""
		}
	}
	if strings.HasPrefix(name, "/") && want == "/" {
		rest := strings.TrimLeft(name, "/")
		return "/", rest, rest != ""
	}
	return "", "", false
}
