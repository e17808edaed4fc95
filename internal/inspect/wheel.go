package inspect

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"hash"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// recordEntry is one line of a wheel's RECORD.
type recordEntry struct {
	algo   string // "sha256", "sha384", "sha512", or "" when absent
	digest []byte
	size   int64 // -1 when absent
	line   int
}

// newHash returns the hash for a RECORD algorithm, or nil for weak or
// unknown ones (the wheel spec requires sha256 or better).
func newHash(algo string) hash.Hash {
	switch algo {
	case "sha256":
		return sha256.New()
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	}
	return nil
}

// parseRecord reads RECORD. Problems are returned as messages.
func parseRecord(data []byte) (map[string]recordEntry, []string) {
	entries := map[string]recordEntry{}
	var problems []string
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			problems = append(problems, "RECORD is not valid CSV: "+err.Error())
			break
		}
		if len(rec) != 3 {
			problems = append(problems, "RECORD line "+strconv.Itoa(line)+" has "+strconv.Itoa(len(rec))+" fields, not 3")
			continue
		}
		e := recordEntry{size: -1, line: line}
		if rec[1] != "" {
			algo, digest, ok := strings.Cut(rec[1], "=")
			d, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(digest, "="))
			if !ok || err != nil {
				problems = append(problems, "RECORD line "+strconv.Itoa(line)+" has a malformed hash")
				continue
			}
			e.algo, e.digest = algo, d
		}
		if rec[2] != "" {
			n, err := strconv.ParseInt(rec[2], 10, 64)
			if err != nil || n < 0 {
				problems = append(problems, "RECORD line "+strconv.Itoa(line)+" has a malformed size")
				continue
			}
			e.size = n
		}
		if _, dup := entries[rec[0]]; dup {
			problems = append(problems, "RECORD lists "+rec[0]+" twice")
		}
		entries[strings.Clone(rec[0])] = e
	}
	return entries, problems
}

// destination is where a wheel member gets installed.
type destination struct {
	scheme  string // "lib" (site-packages), "scripts", "headers", "data", "meta"
	path    string // relative to the scheme's directory
	viaData bool   // a data-scheme member that lands in site-packages
}

var sitePackagesRE = regexp.MustCompile(`^(?:usr/)?(?:local/)?(?:lib|lib64|Lib)/(?:python[0-9.]*/)?(?:site|dist)-packages/(.+)$`)

// installDest maps a member name to its install location. ok is false for
// an unknown .data scheme.
func installDest(name string) (d destination, ok bool) {
	first, rest, _ := strings.Cut(name, "/")
	switch {
	case strings.HasSuffix(first, ".dist-info"):
		return destination{scheme: "meta", path: rest}, true
	case strings.HasSuffix(first, ".data"):
		scheme, sub, _ := strings.Cut(rest, "/")
		switch scheme {
		case "purelib", "platlib":
			return destination{scheme: "lib", path: sub}, true
		case "scripts", "headers":
			return destination{scheme: scheme, path: sub}, true
		case "data":
			if m := sitePackagesRE.FindStringSubmatch(sub); m != nil {
				return destination{scheme: "lib", path: m[1], viaData: true}, true
			}
			return destination{scheme: "data", path: sub}, true
		}
		return destination{}, false
	}
	return destination{scheme: "lib", path: name}, true
}

// moduleName returns the importable top-level name of a site-packages
// path ("pkg" for pkg/x.py, "mod" for mod.cpython-311-x86_64-linux-gnu.so),
// or "" for files that are not modules (README.md at the top).
func moduleName(p string) string {
	first, rest, dir := strings.Cut(p, "/")
	if dir && rest != "" {
		if strings.HasSuffix(first, ".dist-info") || strings.HasSuffix(first, ".egg-info") || strings.HasSuffix(first, ".data") {
			return ""
		}
		return first
	}
	for _, ext := range []string{".py", ".pyc", ".so", ".pyd"} {
		if strings.HasSuffix(first, ext) {
			base, _, _ := strings.Cut(first, ".")
			return base
		}
	}
	return ""
}

// pthLines splits a .pth file the way site.addpackage reads it (universal
// newlines) and returns its executable lines (starting with "import " or
// "import\t") and the number of path lines.
func pthLines(content []byte) (exec []string, paths int) {
	text := strings.ReplaceAll(strings.ReplaceAll(string(content), "\r\n", "\n"), "\r", "\n")
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "#"), strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "import\t"):
			exec = append(exec, line)
		default:
			paths++
		}
	}
	return exec, paths
}

// entryPointScripts returns the console and GUI script names declared in
// entry_points.txt.
func entryPointScripts(data []byte) []string {
	var names []string
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), MaxMetadataSize)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.TrimSpace(strings.Trim(line, "[]"))
		case section == "console_scripts" || section == "gui_scripts":
			if name, _, ok := strings.Cut(line, "="); ok {
				names = append(names, strings.TrimSpace(name))
			}
		}
	}
	return names
}

// isPython reports whether a member is Python source to scan.
func isPythonSource(name string, content []byte) bool {
	if strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".pyw") {
		return true
	}
	first, _, _ := bytes.Cut(content, []byte("\n"))
	return bytes.HasPrefix(first, []byte("#!")) && bytes.Contains(first, []byte("python"))
}

// wheel inspects a wheel.
func (in *inspection) wheel(ra io.ReaderAt, size int64) error {
	r := readerAt{ra}
	zr, err := in.openZip(r, size)
	if zr == nil || err != nil {
		return err
	}
	project := in.rep.Project

	// Structure: paths, links, duplicates, and where each member goes.
	type member struct {
		f    *zip.File
		dest destination
	}
	var members []member
	seen := map[string]bool{}
	distInfos := map[string]bool{}
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		name := f.Name
		clean, ok := in.screenZipMember(f, seen)
		if !ok {
			continue
		}
		if first, _, _ := strings.Cut(clean, "/"); strings.HasSuffix(first, ".dist-info") {
			distInfos[first] = true
		}
		if f.Mode().IsDir() || strings.HasSuffix(name, "/") {
			continue
		}
		d, ok := installDest(clean)
		if !ok {
			in.add(RuleUnsafePath, name, "the member is in an unknown .data scheme")
			continue
		}
		byName[name] = f
		members = append(members, member{f, d})
	}

	// Metadata.
	var record map[string]recordEntry
	var topLevel map[string]bool
	var scripts []string
	distInfo := ""
	switch len(distInfos) {
	case 0:
		in.add(RuleBadMetadata, "", "the wheel has no .dist-info directory")
	case 1:
		for d := range distInfos {
			distInfo = d
		}
	default:
		in.add(RuleBadMetadata, "", "the wheel has %d .dist-info directories", len(distInfos))
	}
	if distInfo != "" {
		stem := strings.TrimSuffix(distInfo, ".dist-info")
		i := strings.LastIndexByte(stem, '-')
		switch {
		case i < 0:
			in.add(RuleBadMetadata, distInfo, "the .dist-info directory name has no version")
		case project != "" && Normalize(stem[:i]) != project:
			in.add(RuleBadMetadata, distInfo, "the .dist-info directory names project %q, the file name %q", Normalize(stem[:i]), project)
		case in.rep.Version != "" && !sameVersion(stem[i+1:], in.rep.Version):
			in.add(RuleBadMetadata, distInfo, "the .dist-info directory names version %s, the file name %s", stem[i+1:], in.rep.Version)
		}
		read := func(base string) ([]byte, bool, error) {
			f := byName[distInfo+"/"+base]
			if f == nil {
				return nil, false, nil
			}
			if f.UncompressedSize64 > MaxMetadataSize {
				in.add(RuleBadMetadata, f.Name, "%s is larger than %d bytes", base, MaxMetadataSize)
				return nil, false, nil
			}
			content, _, ok, err := in.readZip(f, nil, true)
			return content, ok, err
		}
		wheelMeta, ok, err := read("WHEEL")
		if err != nil {
			return err
		}
		if !ok {
			if !in.rep.Complete {
				return nil
			}
			in.add(RuleBadMetadata, distInfo+"/WHEEL", "the wheel has no WHEEL file")
		} else if v := headerValue(wheelMeta, "Wheel-Version"); !strings.HasPrefix(v, "1.") {
			in.add(RuleBadMetadata, distInfo+"/WHEEL", "unsupported Wheel-Version %q", v)
		}
		recData, ok, err := read("RECORD")
		if err != nil || !in.rep.Complete {
			return err
		}
		if !ok {
			in.add(RuleBadRecord, distInfo+"/RECORD", "the wheel has no RECORD")
		} else {
			var problems []string
			record, problems = parseRecord(recData)
			for _, p := range problems {
				in.add(RuleBadRecord, distInfo+"/RECORD", "%s", p)
			}
		}
		if tl, ok, err := read("top_level.txt"); err != nil || !in.rep.Complete {
			return err
		} else if ok {
			topLevel = map[string]bool{}
			for _, l := range strings.Split(string(tl), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					first, _, _ := strings.Cut(strings.ReplaceAll(l, `\`, "/"), "/")
					topLevel[first] = true
				}
			}
		}
		if ep, ok, err := read("entry_points.txt"); err != nil || !in.rep.Complete {
			return err
		} else if ok {
			scripts = entryPointScripts(ep)
		}
	}
	for _, s := range scripts {
		if shadowsCommand(project, s) {
			in.add(RuleShadowCommand, distInfo+"/entry_points.txt", "declares the console script %q, which shadows the command of that name", s)
		}
	}

	// Content: hashes against RECORD, start-up hooks, shadowing, sources.
	reported := map[string]bool{} // top-level names already reported
	owners := map[string]int{}    // installed projects whose files would be overwritten
	for _, m := range members {
		if err := in.ctx.Err(); err != nil {
			return err
		}
		name := m.f.Name
		base := path.Base(name)
		rec, listed := record[name]
		isRecordFile := m.dest.scheme == "meta" && (m.dest.path == "RECORD" || m.dest.path == "RECORD.jws" || m.dest.path == "RECORD.p7s")
		var h hash.Hash
		switch {
		case isRecordFile || record == nil:
		case !listed:
			in.add(RuleNotInRecord, name, "the file is not listed in RECORD")
		case rec.algo == "":
			in.add(RuleBadRecord, name, "RECORD has no hash for the file")
		default:
			if h = newHash(rec.algo); h == nil {
				in.add(RuleBadRecord, name, "RECORD uses the %q hash for the file; sha256 or better is required", rec.algo)
			}
		}
		lib := m.dest.scheme == "lib"
		top := lib && !strings.Contains(m.dest.path, "/")
		isPth := top && strings.HasSuffix(strings.ToLower(m.dest.path), ".pth")
		keep := isPth || (in.opts.Sources != nil && (lib || m.dest.scheme == "scripts") && m.f.UncompressedSize64 <= MaxMetadataSize &&
			(strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".pyw") || m.dest.scheme == "scripts"))
		content, n, ok, err := in.readZip(m.f, h, keep)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if listed {
			if rec.size >= 0 && rec.size != n {
				in.add(RuleRecordSize, name, "the file is %d bytes; RECORD says %d", n, rec.size)
			}
			if h != nil && !bytes.Equal(h.Sum(nil), rec.digest) {
				in.add(RuleRecordHash, name, "the file's %s differs from RECORD's", rec.algo)
			}
			delete(record, name)
		}

		switch m.dest.scheme {
		case "scripts":
			if shadowsCommand(project, base) {
				in.add(RuleShadowCommand, name, "installs the script %q, which shadows the command of that name", base)
			}
		case "data":
			if dir := path.Dir(m.dest.path); dir == "bin" || dir == "Scripts" || strings.HasSuffix(dir, "/bin") {
				if shadowsCommand(project, base) {
					in.add(RuleShadowCommand, name, "installs %q into the environment's %s directory, shadowing the command of that name", base, dir)
				}
			}
		case "lib":
			if m.dest.viaData {
				in.add(RuleOutsideTopLevel, name, "the data scheme installs the file into site-packages as %s, around the checks on package files", m.dest.path)
			}
			if isPth {
				execLines, paths := pthLines(content)
				if len(execLines) > 0 {
					in.add(RulePthExec, name, "the .pth file has %d import line(s), which run at every Python start: %s", len(execLines), shortLine(execLines[0]))
					if err := in.scanSource(name, []byte(strings.Join(execLines, "\n"))); err != nil {
						return err
					}
				} else {
					in.add(RulePthFile, name, "the .pth file adds %d path(s) to sys.path at every Python start", paths)
				}
			}
			mod := moduleName(m.dest.path)
			switch {
			case mod == "" || reported[mod]:
			case mod == "sitecustomize" || mod == "usercustomize":
				in.add(RuleSitecustomize, name, "installs the %s module, which Python imports at every start", mod)
				reported[mod] = true
			case stdlibModules[mod]:
				in.add(RuleShadowStdlib, name, "installs the top-level module %q, shadowing the standard library's", mod)
				reported[mod] = true
			case toolingModules[mod] != "" && toolingModules[mod] != project:
				in.add(RuleShadowTooling, name, "installs %q, the package of %s", mod, toolingModules[mod])
				reported[mod] = true
			case topLevel != nil && !topLevel[mod]:
				in.add(RuleOutsideTopLevel, name, "installs %q, which is not among the wheel's top-level names (top_level.txt)", mod)
				reported[mod] = true
			}
			if in.opts.Installed != nil {
				if owner, ok := in.opts.Installed.Owner(m.dest.path); ok && owner != project {
					if owners[owner] == 0 {
						in.add(RuleOverwritesInstalled, name, "would overwrite %s, which belongs to the installed %s", m.dest.path, owner)
					}
					owners[owner]++
				}
			}
		}
		if keep && !isPth && isPythonSource(name, content) {
			if err := in.scanSource(name, content); err != nil {
				return err
			}
		}
	}
	if record != nil {
		var missing []string
		for name := range record {
			if !strings.HasSuffix(name, "/") && cleanName(name) != "" && !seen[cleanName(name)] {
				missing = append(missing, name)
			}
		}
		slices.Sort(missing)
		for _, name := range missing {
			in.add(RuleRecordMissingFile, name, "RECORD lists the file, but the wheel does not contain it")
		}
	}
	return nil
}

// headerValue returns the value of an email-style header in data.
func headerValue(data []byte, key string) string {
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), key) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// sameVersion compares versions from file names: equal strings, or equal
// PEP 440 versions.
func sameVersion(a, b string) bool {
	if a == b {
		return true
	}
	va, err1 := pep440.Parse(a)
	vb, err2 := pep440.Parse(b)
	return err1 == nil && err2 == nil && pep440.Compare(va, vb) == 0
}

func shortLine(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return strconv.Quote(s)
}
