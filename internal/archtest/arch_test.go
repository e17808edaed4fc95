package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/airlock-dev/airlock"

// layers lists, for each internal package, the internal packages it may
// import (DESIGN.md's component list; STYLE.md §1). A package missing from
// this table fails the test, so new packages must take a place here.
var layers = map[string][]string{
	"archtest":  {},
	"pep440":    {},
	"pep508":    {"pep440"},
	"reqfile":   {"pep440", "pep508"},
	"advisory":  {"pep440", "pep508"},
	"typosquat": {"pep508"},
	"feed":      {"pep440", "pep508", "advisory", "typosquat"},
	"policy":    {"pep440", "pep508", "reqfile", "advisory", "typosquat"},
	"inspect":   {"pep440", "pep508"},
	"testpypi":  {"pep440", "pep508"},
	"index":     {"pep440", "pep508", "reqfile", "advisory", "typosquat", "policy", "inspect", "testpypi"},
	"sandbox":   {},
	"env":       {"pep440", "pep508", "reqfile", "advisory", "typosquat", "policy", "inspect", "index", "sandbox", "testpypi"},
	"store":     {"policy"},
	"server":    {"pep440", "pep508", "reqfile", "advisory", "typosquat", "policy", "inspect", "index", "sandbox", "env", "store", "testpypi"},
	"cli":       {"*"},
	// clienttest has only tests (they import cli and testpypi).
	"clienttest": {},
}

// stdlibOnly are the pure leaf packages: standard library only (advisory
// may also use a YAML decoder).
var stdlibOnly = map[string][]string{
	"pep440":    nil,
	"pep508":    nil,
	"reqfile":   nil,
	"typosquat": nil,
	"advisory":  {"github.com/goccy/go-yaml", "github.com/goccy/go-yaml/ast", "github.com/goccy/go-yaml/parser"},
}

type pkg struct {
	ImportPath string
	Doc        string
	Imports    []string
	Name       string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// internalName returns the first path element under internal/ ("index" for
// internal/index/cache), or "" when path is not one of ours.
func internalName(path string) string {
	rest, ok := strings.CutPrefix(path, module+"/internal/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if p.Doc == "" {
			t.Errorf("%s has no package doc comment", p.ImportPath)
		}
	}
}

func TestImportDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		name := internalName(p.ImportPath)
		if name == "" {
			continue
		}
		allowed, ok := layers[name]
		if !ok {
			t.Errorf("internal/%s has no place in archtest's layer table", name)
			continue
		}
		for _, imp := range p.Imports {
			dep := internalName(imp)
			if dep == "" || dep == name {
				continue
			}
			if len(allowed) == 1 && allowed[0] == "*" {
				continue
			}
			if !slices.Contains(allowed, dep) {
				t.Errorf("%s imports internal/%s, which is not below it", p.ImportPath, dep)
			}
		}
	}
}

func TestLeafPackagesUseOnlyStdlib(t *testing.T) {
	for _, p := range listPackages(t) {
		name := internalName(p.ImportPath)
		extra, ok := stdlibOnly[name]
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			if internalName(imp) != "" || isStdlib(imp) || slices.Contains(extra, imp) {
				continue
			}
			t.Errorf("%s imports %s: leaf packages use the standard library only", p.ImportPath, imp)
		}
	}
}

func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
