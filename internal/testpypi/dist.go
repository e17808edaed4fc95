package testpypi

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Normalize returns name in PEP 503 normal form: lower case, with every run
// of "-", "_" and "." replaced by a single "-".
func Normalize(name string) string {
	return strings.ToLower(separators.ReplaceAllString(name, "-"))
}

var separators = regexp.MustCompile(`[-_.]+`)

// escape returns name as it appears in wheel and sdist file names (the
// binary distribution format's escaping): normalised, with "_" for "-".
func escape(name string) string {
	return strings.ReplaceAll(Normalize(name), "-", "_")
}

// fixedTime is the modification time of every archive member, so that a
// build is reproducible byte for byte.
var fixedTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Wheel describes a wheel to build. Only Name and Version are required; with
// no Files, the wheel holds one package, <name>/__init__.py, that sets
// __version__.
type Wheel struct {
	Name    string
	Version string
	// Deps are Requires-Dist lines, e.g. "dep-a>=1.0" or
	// `extra-b; extra == "x"`.
	Deps []string
	// RequiresPython is the Requires-Python metadata field (and the index's
	// data-requires-python), e.g. ">=3.8".
	RequiresPython string
	// Extras are Provides-Extra lines.
	Extras []string
	// Files are the wheel's own files by archive path, e.g.
	// "pkg/__init__.py" or "evil.pth" (a top-level .pth file).
	Files map[string]string
	// ConsoleScripts become entry_points.txt's [console_scripts] section:
	// script name to "module:function".
	ConsoleScripts map[string]string
	// Scripts are data scripts, installed into the environment's bin
	// directory: file name to content (a "#!python" first line is rewritten
	// by the installer).
	Scripts map[string]string
	// Tag is the compatibility tag; the default is "py3-none-any".
	Tag string
	// Summary is the Summary metadata field.
	Summary string
}

// Sdist describes a source distribution to build. Only Name and Version are
// required. Its setup.py is a working setuptools script that first writes
// Canary (when set), so a test can prove it never ran.
type Sdist struct {
	Name           string
	Version        string
	Deps           []string
	RequiresPython string
	// Files are extra files under the sdist's top directory, e.g.
	// "pkg/__init__.py".
	Files map[string]string
	// Canary is an absolute path that setup.py writes when it runs.
	Canary string
	// NoPyproject leaves out pyproject.toml (a legacy setup.py-only sdist).
	NoPyproject bool
	// Zip builds a .zip sdist instead of .tar.gz.
	Zip bool
}

// Filename returns the wheel's file name.
func (w Wheel) Filename() string {
	tag := w.Tag
	if tag == "" {
		tag = "py3-none-any"
	}
	return fmt.Sprintf("%s-%s-%s.whl", escape(w.Name), w.Version, tag)
}

// Metadata returns the wheel's METADATA file (Metadata-Version 2.1), which is
// also what the index serves as its PEP 658 metadata file.
func (w Wheel) Metadata() []byte {
	return metadata(w.Name, w.Version, w.Summary, w.RequiresPython, w.Deps, w.Extras)
}

func metadata(name, version, summary, requiresPython string, deps, extras []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)
	if summary == "" {
		summary = "test package " + name
	}
	fmt.Fprintf(&b, "Summary: %s\n", summary)
	if requiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", requiresPython)
	}
	for _, e := range extras {
		fmt.Fprintf(&b, "Provides-Extra: %s\n", e)
	}
	for _, d := range deps {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", d)
	}
	return b.Bytes()
}

// Build returns the wheel's bytes and file name. The archive holds the files,
// data scripts, and a .dist-info directory with METADATA, WHEEL,
// entry_points.txt (when there are console scripts) and a RECORD whose
// sha256 hashes and sizes are correct.
func (w Wheel) Build() ([]byte, string) {
	if w.Name == "" || w.Version == "" {
		panic("testpypi: a Wheel needs a Name and a Version")
	}
	pkg := escape(w.Name)
	distInfo := fmt.Sprintf("%s-%s.dist-info", pkg, w.Version)
	dataDir := fmt.Sprintf("%s-%s.data", pkg, w.Version)
	files := w.Files
	if len(files) == 0 {
		files = map[string]string{pkg + "/__init__.py": fmt.Sprintf("__version__ = %q\n", w.Version)}
	}
	type member struct{ name, data string }
	var members []member
	for _, name := range sortedKeys(files) {
		members = append(members, member{name, files[name]})
	}
	for _, name := range sortedKeys(w.Scripts) {
		members = append(members, member{dataDir + "/scripts/" + name, w.Scripts[name]})
	}
	members = append(members, member{distInfo + "/METADATA", string(w.Metadata())})
	tag := w.Tag
	if tag == "" {
		tag = "py3-none-any"
	}
	members = append(members, member{distInfo + "/WHEEL",
		"Wheel-Version: 1.0\nGenerator: airlock-testpypi\nRoot-Is-Purelib: true\nTag: " + tag + "\n"})
	if len(w.ConsoleScripts) > 0 {
		var ep strings.Builder
		ep.WriteString("[console_scripts]\n")
		for _, name := range sortedKeys(w.ConsoleScripts) {
			fmt.Fprintf(&ep, "%s = %s\n", name, w.ConsoleScripts[name])
		}
		members = append(members, member{distInfo + "/entry_points.txt", ep.String()})
	}
	var record strings.Builder
	for _, m := range members {
		fmt.Fprintf(&record, "%s,%s,%d\n", m.name, RecordHash([]byte(m.data)), len(m.data))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", distInfo)
	members = append(members, member{distInfo + "/RECORD", record.String()})

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		hdr := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: fixedTime}
		if strings.Contains(m.name, ".data/scripts/") {
			hdr.SetMode(0o755)
		} else {
			hdr.SetMode(0o644)
		}
		f, err := zw.CreateHeader(hdr)
		if err != nil {
			panic(err)
		}
		if _, err := f.Write([]byte(m.data)); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes(), w.Filename()
}

// RecordHash returns the RECORD form of data's hash: "sha256=" and the
// unpadded URL-safe base64 of the digest.
func RecordHash(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// Dist builds the wheel and returns it ready to [Server.Add], with its PEP
// 658 metadata file and Requires-Python.
func (w Wheel) Dist() Dist {
	data, name := w.Build()
	return Dist{Filename: name, Data: data, Metadata: w.Metadata(), RequiresPython: w.RequiresPython}
}

// Filename returns the sdist's file name.
func (s Sdist) Filename() string {
	ext := ".tar.gz"
	if s.Zip {
		ext = ".zip"
	}
	return fmt.Sprintf("%s-%s%s", escape(s.Name), s.Version, ext)
}

// SetupPy returns the sdist's setup.py: it writes the canary file (when
// Canary is set) and then calls setuptools.setup.
func (s Sdist) SetupPy() string {
	var b strings.Builder
	if s.Canary != "" {
		fmt.Fprintf(&b, "with open(%q, \"w\") as f:\n    f.write(\"setup.py ran\\n\")\n", s.Canary)
	}
	pkg := escape(s.Name)
	deps := make([]string, len(s.Deps))
	for i, d := range s.Deps {
		deps[i] = fmt.Sprintf("%q", d)
	}
	fmt.Fprintf(&b, "from setuptools import setup\nsetup(name=%q, version=%q, packages=[%q], install_requires=[%s]",
		s.Name, s.Version, pkg, strings.Join(deps, ", "))
	if s.RequiresPython != "" {
		fmt.Fprintf(&b, ", python_requires=%q", s.RequiresPython)
	}
	b.WriteString(")\n")
	return b.String()
}

// Build returns the sdist's bytes and file name: a .tar.gz (or .zip) with a
// top directory <name>-<version>/ holding PKG-INFO, setup.py, pyproject.toml
// (unless NoPyproject), the package's __init__.py and the extra files.
func (s Sdist) Build() ([]byte, string) {
	if s.Name == "" || s.Version == "" {
		panic("testpypi: an Sdist needs a Name and a Version")
	}
	pkg := escape(s.Name)
	top := fmt.Sprintf("%s-%s/", pkg, s.Version)
	files := map[string]string{
		"PKG-INFO":           string(metadata(s.Name, s.Version, "", s.RequiresPython, s.Deps, nil)),
		"setup.py":           s.SetupPy(),
		pkg + "/__init__.py": fmt.Sprintf("__version__ = %q\n", s.Version),
	}
	if !s.NoPyproject {
		files["pyproject.toml"] = "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n"
	}
	for k, v := range s.Files {
		files[k] = v
	}
	var buf bytes.Buffer
	if s.Zip {
		zw := zip.NewWriter(&buf)
		for _, name := range sortedKeys(files) {
			f, err := zw.CreateHeader(&zip.FileHeader{Name: top + name, Method: zip.Deflate, Modified: fixedTime})
			if err != nil {
				panic(err)
			}
			f.Write([]byte(files[name]))
		}
		if err := zw.Close(); err != nil {
			panic(err)
		}
		return buf.Bytes(), s.Filename()
	}
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	gz.ModTime = fixedTime
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, name := range sortedKeys(files) {
		full := top + name
		for i := range len(full) {
			if full[i] == '/' && !dirs[full[:i+1]] {
				dirs[full[:i+1]] = true
				tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: full[:i+1], Mode: 0o755, ModTime: fixedTime, Format: tar.FormatPAX})
			}
		}
		data := files[name]
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: full, Mode: 0o644, Size: int64(len(data)), ModTime: fixedTime, Format: tar.FormatPAX}); err != nil {
			panic(err)
		}
		tw.Write([]byte(data))
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	if err := gz.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes(), s.Filename()
}

// Dist builds the sdist and returns it ready to [Server.Add]. Sdists get no
// PEP 658 metadata file, as on PyPI for most of them.
func (s Sdist) Dist() Dist {
	data, name := s.Build()
	return Dist{Filename: name, Data: data, RequiresPython: s.RequiresPython}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
