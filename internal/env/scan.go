package env

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/airlock-dev/airlock/internal/inspect"
	"github.com/airlock-dev/airlock/internal/inspect/pyscan"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/sandbox"
)

// ScanConfig turns the policy's scan section into the scanner's
// configuration. An unknown family or rule id is an error at its position
// in the policy file.
func ScanConfig(cfg *policy.Config) (inspect.Config, error) {
	var c inspect.Config
	for _, s := range cfg.Scan.Settings {
		if err := c.Set(s.Name, scanAction(s.Action)); err != nil {
			return c, &policy.Error{Source: cfg.Source, Pos: s.Pos, Msg: "scan: " + err.Error()}
		}
	}
	return c, nil
}

func scanAction(a policy.RuleAction) inspect.Action {
	switch a {
	case policy.RuleDeny:
		return inspect.ActionDeny
	case policy.RuleReview:
		return inspect.ActionReview
	}
	return inspect.ActionOff
}

// packageSourceBaseline is what the install pipeline's scan of package
// sources turns off unless the policy's scan section names it: process
// execution (the exec family), long encoded constants (AL303) and files
// too large to scan (AL901) are everyday library code, and sending each
// such package to review would make the review meaningless. Everything
// that signals an attack (runtime installs, decode-then-exec,
// exfiltration, persistence, indirect calls) keeps its action.
var packageSourceBaseline = inspect.Config{
	Families: map[inspect.Family]inspect.Action{inspect.FamilyExec: inspect.ActionOff},
	Rules:    map[string]inspect.Action{"AL303": inspect.ActionOff, "AL901": inspect.ActionOff},
}

// PackageInspection returns the artifact inspection options of the install
// pipeline: the structural checks of every wheel, and the scan of every
// Python source in it, configured by the policy's scan section over
// [packageSourceBaseline].
func PackageInspection(cfg *policy.Config) (inspect.Options, error) {
	sc, err := ScanConfig(cfg)
	if err != nil {
		return inspect.Options{}, err
	}
	c := inspect.Config{Families: map[inspect.Family]inspect.Action{}, Rules: map[string]inspect.Action{}}
	for f, a := range packageSourceBaseline.Families {
		c.Families[f] = a
	}
	for r, a := range packageSourceBaseline.Rules {
		c.Rules[r] = a
	}
	for f, a := range sc.Families {
		c.Families[f] = a
	}
	for r, a := range sc.Rules {
		c.Rules[r] = a
	}
	return inspect.Options{Config: c, Sources: pyscan.New()}, nil
}

// installerTools are the projects whose own sources do installer work:
// they call pip's entry points and write .pth files by design, so the
// source scan would refuse them. Their structure, hashes and advisories
// are still checked, and a request for them directly is the policy's
// installer-pin rule.
var installerTools = map[string]bool{"pip": true, "setuptools": true, "wheel": true}

// inspectionFor returns the inspection options for one project's artifact:
// opts, without the source scan for the installer's own projects.
func inspectionFor(opts inspect.Options, project string) inspect.Options {
	if installerTools[project] {
		opts.Sources = nil
	}
	return opts
}

// Source is one file of code about to run.
type Source struct {
	Name string
	Data []byte
}

// ScanBeforeRun scans code about to run in a sandbox (Python files and
// notebooks) when the policy's scan section sets before_run, and returns
// the findings with the policy's actions (none otherwise) and their
// verdict. The caller refuses the run on a deny verdict and, where nobody
// has approved it, on review.
func ScanBeforeRun(ctx context.Context, cfg *policy.Config, files []Source) ([]inspect.Finding, inspect.Action, error) {
	if !cfg.Scan.BeforeRun || len(files) == 0 {
		return nil, inspect.ActionOff, nil
	}
	sc, err := ScanConfig(cfg)
	if err != nil {
		return nil, inspect.ActionOff, err
	}
	s := pyscan.New()
	var all []inspect.Finding
	for _, f := range files {
		fs, err := s.ScanFile(ctx, f.Name, f.Data)
		if err != nil {
			return nil, inspect.ActionOff, fmt.Errorf("scanning %s: %w", f.Name, err)
		}
		all = append(all, fs...)
	}
	all = sc.Apply(all)
	return all, inspect.Verdict(all), nil
}

// RunSources collects the code a sandboxed command is about to run, for
// [ScanBeforeRun], each file once:
//
//   - the Python files and notebooks among files, the files placed in the
//     work directory;
//   - when argv runs a Python interpreter (its base name holds "python"),
//     the code of its -c option however it is written (-c CODE, -cCODE, or
//     ending a cluster of flags such as -Ic CODE), and its script, whatever
//     the script's name: Python runs any file it is given;
//   - the other arguments that name Python files or notebooks.
//
// A file argv names that is not among files is read with read, given the
// name relative to the work directory ([sandbox.WorkPath] inside the
// sandbox) when it is in it, else as written; read reports found=false
// when there is no such file, and a nil read reads nothing. read's errors
// are returned: code that cannot be read cannot be scanned, and must not
// run.
func RunSources(argv []string, files []sandbox.File, read func(name string) (data []byte, found bool, err error)) ([]Source, error) {
	var out []Source
	placed := map[string][]byte{}
	seen := map[string]bool{}
	for _, f := range files {
		name := path.Clean(f.Name)
		placed[name] = f.Data
		if isCode(name) && !seen[name] {
			seen[name] = true
			out = append(out, Source{Name: f.Name, Data: f.Data})
		}
	}
	var named []string
	if len(argv) > 0 && strings.Contains(path.Base(argv[0]), "python") {
		code, hasCode, script := pythonProgram(argv)
		if hasCode {
			out = append(out, Source{Name: "<python -c>", Data: []byte(code)})
		}
		if script != "" {
			named = append(named, script)
		}
	}
	for i, arg := range argv {
		if i > 0 && isCode(arg) {
			named = append(named, arg)
		}
	}
	for _, name := range named {
		key := workRel(name)
		if seen[key] {
			continue
		}
		seen[key] = true
		if data, ok := placed[key]; ok {
			out = append(out, Source{Name: name, Data: data})
			continue
		}
		if read == nil {
			continue
		}
		data, found, err := read(key)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		if found {
			out = append(out, Source{Name: name, Data: data})
		}
	}
	return out, nil
}

// isCode reports whether name is a Python file or a notebook.
func isCode(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".py" || ext == ".ipynb"
}

// workRel returns name cleaned, and relative to the work directory when
// it is in it, as the files placed there are named.
func workRel(name string) string {
	name = path.Clean(name)
	if rel, ok := strings.CutPrefix(name, sandbox.WorkPath+"/"); ok {
		return rel
	}
	return name
}

// pythonProgram returns what a Python command line (argv[0] the
// interpreter) runs, reading its options as CPython does: the code of -c
// (hasCode), or the script, the first argument that is not an option;
// neither for -m, standard input ("-") or no program at all. The options
// -c, -m, -W and -X take a value, written in the same argument or the
// next; -c and -m end the options.
func pythonProgram(argv []string) (code string, hasCode bool, script string) {
	for i := 1; i < len(argv); i++ {
		arg := argv[i]
		switch {
		case arg == "--":
			if i+1 < len(argv) && argv[i+1] != "-" {
				return "", false, argv[i+1]
			}
			return "", false, ""
		case arg == "-":
			return "", false, ""
		case !strings.HasPrefix(arg, "-"):
			return "", false, arg
		case strings.HasPrefix(arg, "--"):
			if arg == "--check-hash-based-pycs" {
				i++ // its value
			}
			continue
		}
		for j := 1; j < len(arg); j++ {
			opt := arg[j]
			if !strings.ContainsRune("cmWX", rune(opt)) {
				continue
			}
			value := arg[j+1:]
			if value == "" {
				if i+1 >= len(argv) {
					return "", false, ""
				}
				i++
				value = argv[i]
			}
			switch opt {
			case 'c':
				return value, true, ""
			case 'm':
				return "", false, ""
			}
			break // the rest of arg was the value
		}
	}
	return "", false, ""
}
