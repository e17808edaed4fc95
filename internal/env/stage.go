package env

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/pep508"
	"github.com/airlock-dev/airlock/internal/sandbox"
)

// staging is an install's private copy of an environment's current
// directory, plus the vetted wheels. The install sandbox mounts the copy's
// venv at the environment's own venv path, so pip writes the scripts'
// shebangs for where the venv will live; the copy is swapped in only when
// everything succeeded.
//
//	<env>/.staging-<id>/current/venv     the venv being installed into
//	<env>/.staging-<id>/current/lock.json
//	<env>/.staging-<id>/vetted/wheels/   the vetted wheels (read-only inside)
//	<env>/.staging-<id>/vetted/install.txt
//	<env>/.staging-<id>/work/            the sandbox's work directory
type staging struct {
	dir string
	// skel is the venv's skeleton before the install (see skeleton).
	skel map[string]string
}

func (st *staging) current() string  { return filepath.Join(st.dir, currentDir) }
func (st *staging) venv() string     { return filepath.Join(st.dir, currentDir, venvDir) }
func (st *staging) lockPath() string { return filepath.Join(st.dir, currentDir, lockName) }
func (st *staging) vetted() string   { return filepath.Join(st.dir, "vetted") }
func (st *staging) wheels() string   { return filepath.Join(st.dir, "vetted", wheelsName) }
func (st *staging) work() string     { return filepath.Join(st.dir, "work") }

// stage copies e's current directory into a new staging directory. The
// caller holds e's lock, so any other staging directory is the leftover of
// an install that died, and is removed first.
func (in *Installer) stage(e *Env) (*staging, error) {
	if ents, err := os.ReadDir(e.dir); err == nil {
		for _, d := range ents {
			if strings.HasPrefix(d.Name(), stagingPrefix) {
				_ = removeTree(filepath.Join(e.dir, d.Name()))
			}
		}
	}
	st := &staging{dir: filepath.Join(e.dir, stagingPrefix+newInstallID())}
	if err := os.Mkdir(st.dir, 0o755); err != nil {
		return nil, fmt.Errorf("staging: %w", err)
	}
	if err := copyTree(filepath.Join(e.dir, currentDir), st.current()); err != nil {
		st.remove()
		return nil, fmt.Errorf("staging a copy of the environment: %w", err)
	}
	var err error
	if st.skel, err = skeleton(st.venv()); err != nil {
		st.remove()
		return nil, fmt.Errorf("staging: %w", err)
	}
	for _, d := range []string{st.vetted(), st.wheels(), st.work()} {
		if err := os.Mkdir(d, 0o755); err != nil {
			st.remove()
			return nil, fmt.Errorf("staging: %w", err)
		}
		if err := os.Chmod(d, 0o755); err != nil { // whatever the umask
			st.remove()
			return nil, fmt.Errorf("staging: %w", err)
		}
	}
	return st, nil
}

// remove deletes the staging directory (after a swap, the old current
// directory is in it).
func (st *staging) remove() { _ = removeTree(st.dir) }

// installStaged installs the vetted wheels into the staged venv in a
// sandbox without network, then runs pip check on the result.
func (in *Installer) installStaged(ctx context.Context, e *Env, nodes []*Node, st *staging) error {
	var b strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&b, "%s==%s --hash=sha256:%s\n", n.Name, n.Version, n.SHA256)
	}
	if err := os.WriteFile(filepath.Join(st.vetted(), installName), []byte(b.String()), 0o644); err != nil {
		return err
	}
	root := os.Geteuid() == 0
	if root {
		// The sandbox runs as the owner of its work directory: lend it,
		// and the staged venv, to the sandbox user.
		if err := chownTree(st.venv(), in.uid, in.gid); err != nil {
			return fmt.Errorf("staging: %w", err)
		}
		if err := os.Chown(st.work(), in.uid, in.gid); err != nil {
			return fmt.Errorf("staging: %w", err)
		}
	}
	spec := sandbox.Spec{
		Argv:    installArgv(e.Python(), in.runner),
		Env:     pipEnv(true),
		WorkDir: st.work(),
		Files:   []sandbox.File{{Name: driverName, Data: []byte(installDriver)}},
		Binds: []sandbox.Bind{
			{Src: st.venv(), Dst: e.Venv(), Writable: true},
			{Src: st.vetted(), Dst: vettedInside},
		},
		Limits: in.opts.Limits,
	}
	_, err := runPip(ctx, in.opts.Runner, "install", spec)
	if root {
		// Everything goes back to root, set-id bits cleared, whatever
		// the sandbox user made.
		if cerr := chownTree(st.venv(), os.Geteuid(), os.Getegid()); cerr != nil && err == nil {
			err = fmt.Errorf("staging: %w", cerr)
		}
	}
	var pe *PipError
	if errors.As(err, &pe) && pe.Why == "" && pe.Result.ExitCode == checkFailed {
		out := pe.Result.Stdout
		if i := strings.LastIndex(out, checkMarker); i >= 0 {
			out = out[i+len(checkMarker):]
		}
		return fmt.Errorf("pip check found broken requirements after the install; nothing was changed:\n%s", tailLines(out, 20))
	}
	return err
}

// verify checks that the staged venv holds exactly the distributions the
// new lock lists, at those versions; that the files of the ones this
// install put there (installed) match their RECORD; and that the venv's
// skeleton is untouched: what pip did is what was vetted.
func (st *staging) verify(l *Lock, installed []string) error {
	got, err := installedDists(st.venv())
	if err != nil {
		return err
	}
	var problems []string
	skel, err := skeleton(st.venv())
	if err != nil {
		return err
	}
	for name, was := range st.skel {
		if skel[name] != was {
			problems = append(problems, "the venv's own "+name+" was changed")
		}
	}
	for name := range skel {
		if _, ok := st.skel[name]; !ok {
			problems = append(problems, "the venv's bin/"+name+" was added")
		}
	}
	for _, p := range l.Packages {
		d, ok := got[p.Name]
		if !ok {
			problems = append(problems, p.Name+" "+p.Version+" is missing")
			continue
		}
		if want, _ := pep440.Parse(p.Version); pep440.Compare(d.version, want) != 0 {
			problems = append(problems, fmt.Sprintf("%s is %s, not %s", p.Name, d.version, p.Version))
		}
		if slices.Contains(installed, p.Name) {
			problems = append(problems, checkRecord(st.venv(), d)...)
		}
		delete(got, p.Name)
	}
	for name, d := range got {
		problems = append(problems, fmt.Sprintf("%s %s was not vetted", name, d.version))
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("the installed environment does not match what was vetted (%s); nothing was changed", strings.Join(problems, "; "))
	}
	return nil
}

// skeleton returns the files that make a directory a venv — pyvenv.cfg,
// the lib64 link, and the interpreter links and activation scripts in
// bin/ — with their content's sha256 or their link's target. Wheels may
// install files at the venv's root (the .data/data scheme) and into bin/,
// so an install must be checked not to have changed or added any of them:
// a rewritten pyvenv.cfg or bin/python changes what every later run
// executes.
func skeleton(venv string) (map[string]string, error) {
	names := []string{"pyvenv.cfg", "lib64"}
	ents, err := os.ReadDir(filepath.Join(venv, "bin"))
	if err != nil {
		return nil, err
	}
	for _, d := range ents {
		n := d.Name()
		if n == "python" || n == "python3" || strings.HasPrefix(n, "python3.") || strings.HasPrefix(n, "activate") || n == "Activate.ps1" {
			names = append(names, "bin/"+n)
		}
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		p := filepath.Join(venv, n)
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out[n] = "missing"
		case err != nil:
			return nil, err
		case fi.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return nil, err
			}
			out[n] = "-> " + link
		case fi.Mode().IsRegular():
			sum, err := fileSHA256(p)
			if err != nil {
				return nil, err
			}
			out[n] = fi.Mode().String() + " " + sum
		default:
			out[n] = fi.Mode().String()
		}
	}
	return out, nil
}

// maxMetadataHeader bounds what is read of an installed METADATA file to
// find its Name and Version.
const maxMetadataHeader = 1 << 20

// installedDist is a distribution installed in a venv.
type installedDist struct {
	version pep440.Version
	// site is its site-packages directory, distInfo its .dist-info.
	site, distInfo string
}

// installedDists reads the name and version of every distribution in the
// venv's site-packages from its .dist-info/METADATA.
func installedDists(venv string) (map[string]installedDist, error) {
	sites, err := sitePackages(venv)
	if err != nil {
		return nil, err
	}
	out := map[string]installedDist{}
	for _, site := range sites {
		ents, err := os.ReadDir(site)
		if err != nil {
			return nil, err
		}
		for _, d := range ents {
			if !d.IsDir() || !strings.HasSuffix(d.Name(), ".dist-info") {
				continue
			}
			name, version, err := readMetadataHeader(filepath.Join(site, d.Name(), "METADATA"))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d.Name(), err)
			}
			v, err := pep440.Parse(version)
			if err != nil || !pep508.ValidName(name) {
				return nil, fmt.Errorf("%s: bad name or version in METADATA", d.Name())
			}
			n := pep508.Normalize(name)
			if _, dup := out[n]; dup {
				return nil, fmt.Errorf("%s is installed twice", n)
			}
			out[n] = installedDist{version: v, site: site, distInfo: filepath.Join(site, d.Name())}
		}
	}
	return out, nil
}

// checkRecord checks every file a distribution's RECORD lists with a
// sha256 against the file on disk. A file two wheels of one install both
// ship is written twice, and the first one's RECORD then no longer
// matches: pip neither notices nor minds.
func checkRecord(venv string, d installedDist) []string {
	f, err := os.Open(filepath.Join(d.distInfo, "RECORD"))
	if err != nil {
		return []string{filepath.Base(d.distInfo) + " has no readable RECORD"}
	}
	defer f.Close()
	var problems []string
	sc := bufio.NewScanner(io.LimitReader(f, maxRecordSize))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) < 2 || !strings.HasPrefix(fields[1], "sha256=") {
			continue // RECORD itself, and the .pyc files pip compiled
		}
		rel := strings.Trim(fields[0], `"`)
		p := filepath.Join(d.site, filepath.FromSlash(rel))
		if r, err := filepath.Rel(venv, p); err != nil || !filepath.IsLocal(r) {
			problems = append(problems, rel+" lies outside the venv")
			continue
		}
		got, err := recordHash(p)
		if err != nil || got != fields[1] {
			problems = append(problems, rel+" does not match "+filepath.Base(d.distInfo)+"/RECORD (another wheel overwrote it?)")
		}
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, filepath.Base(d.distInfo)+"/RECORD: "+err.Error())
	}
	return problems
}

// recordHash returns a file's hash in RECORD form: "sha256=" and the
// unpadded URL-safe base64 of the digest.
func recordHash(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256=" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)), nil
}

// sitePackages returns the venv's site-packages directories.
func sitePackages(venv string) ([]string, error) {
	dirs, err := filepath.Glob(filepath.Join(venv, "lib", "python3*", "site-packages"))
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%s has no lib/python3*/site-packages", venv)
	}
	return dirs, nil
}

// readMetadataHeader returns the Name and Version fields of a METADATA
// file (RFC 822 style headers, which end at the first empty line).
func readMetadataHeader(path string) (name, version string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxMetadataHeader))
	sc.Buffer(make([]byte, 64<<10), maxMetadataHeader)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "name":
			if name == "" {
				name = strings.TrimSpace(v)
			}
		case "version":
			if version == "" {
				version = strings.TrimSpace(v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	if name == "" || version == "" {
		return "", "", errors.New("METADATA has no Name or Version")
	}
	return name, version, nil
}

// installedFiles maps files in site-packages (relative, with forward
// slashes) to the installed distribution that owns them, from each
// distribution's RECORD, for the inspection's overwrite check.
type installedFiles map[string]string

// Owner implements inspect.InstalledFiles.
func (f installedFiles) Owner(path string) (string, bool) {
	p, ok := f[path]
	return p, ok
}

// maxRecordSize bounds an installed RECORD file.
const maxRecordSize = 64 << 20

// readInstalledFiles builds the file index of a venv.
func readInstalledFiles(venv string) (installedFiles, error) {
	sites, err := sitePackages(venv)
	if err != nil {
		return nil, err
	}
	out := installedFiles{}
	for _, site := range sites {
		ents, err := os.ReadDir(site)
		if err != nil {
			return nil, err
		}
		for _, d := range ents {
			if !d.IsDir() || !strings.HasSuffix(d.Name(), ".dist-info") {
				continue
			}
			dir := filepath.Join(site, d.Name())
			name, _, err := readMetadataHeader(filepath.Join(dir, "METADATA"))
			if err != nil {
				continue
			}
			owner := pep508.Normalize(name)
			f, err := os.Open(filepath.Join(dir, "RECORD"))
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(io.LimitReader(f, maxRecordSize))
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				p, _, _ := strings.Cut(sc.Text(), ",")
				p = strings.Trim(p, `"`)
				if p == "" || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "/") {
					continue
				}
				out[p] = owner
			}
			f.Close()
		}
	}
	return out, nil
}
