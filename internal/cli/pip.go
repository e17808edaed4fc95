package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/pep508"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/reqfile"
)

// pipOptions are airlock's own options of airlock pip. They come before
// pip's command line, and none of them is a pip option or an abbreviation
// of one, so the two never mix.
type pipOptions struct {
	env      string
	upstream string
	offline  bool
	policy   policyFlags
	help     bool
}

// pipCommands are pip 23's commands, so that a command airlock pip does
// not carry out is named as pip's and refused with a reason.
var pipCommands = []string{
	"install", "download", "uninstall", "freeze", "inspect", "list", "show", "check", "config", "search",
	"cache", "index", "wheel", "hash", "completion", "debug", "help",
}

// pipRefusals say why airlock pip does not carry out a pip command.
var pipRefusals = map[string]string{
	"uninstall":  "airlock environments change only through vetted installs; to start again, remove and recreate the environment (airlock env rm NAME; airlock env create NAME)",
	"download":   "airlock fetches and inspects packages itself; install them instead (airlock pip install ...)",
	"wheel":      "airlock installs vetted wheels only and never builds packages",
	"config":     "pip's configuration is not used: airlock decides where packages come from",
	"cache":      "airlock keeps its own verified artifact cache",
	"index":      "airlock decides which index is used; ask for a version with install NAME==VERSION",
	"search":     "pip search no longer works against PyPI",
	"inspect":    "use list, freeze or show, or airlock env show NAME",
	"check":      "every airlock install already runs pip check before it is kept",
	"hash":       "airlock checks the sha256 of every file it installs",
	"debug":      "there is no pip to debug: airlock carries out install, list, freeze and show",
	"completion": "there is no shell completion for airlock pip",
}

func (a *app) pipCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "pip [--env NAME] [airlock options] COMMAND [pip options and arguments]",
		Short: "A pip for agent shells: vetted installs into an airlock environment",
		Long: `airlock pip takes pip's own command line and carries it out through airlock,
so that it can stand in for pip wherever an agent shell runs pip (see
docs/integrations.md for the pip and pip3 shims and python -m pip).

  install   is read exactly as pip 23 reads it (requirements, -r and -c
            files, every option) and carried out as a vetted install into
            the current environment, like 'airlock install'. Options pip
            accepts but airlock refuses (--index-url, --target, --user,
            --no-binary, ...) are reported as findings with the reason, and
            nothing is installed. Options that only tune pip (-U, -q, -v,
            --no-cache-dir, ...) are accepted and noted.
  list      lists the environment's lock (--format columns, freeze or json).
  freeze    prints the lock as name==version lines.
  show      shows locked packages; exits 1 when one is not installed.

Every other pip command is refused with the reason, exit code 2.

The environment is --env NAME, else $AIRLOCK_ENV; it must exist (airlock env
create NAME). airlock's own options come before pip's command line:
--env NAME, --upstream URL (else $AIRLOCK_UPSTREAM), --offline, --policy FILE,
--advisories PATH, --data-dir DIR.

Exit codes as 'airlock check' and 'airlock install': 0 installed (or
nothing to do), 1 something denied, 3 something needs review, 2 a usage
error (no environment, a command line pip would refuse, a refused pip
command), 4 the install could not be carried out. Nothing is changed
unless the exit code is 0.`,
		Example: `  AIRLOCK_ENV=job-42 airlock pip install -r requirements.txt
  airlock pip --env job-42 install 'requests>=2.31' numpy
  airlock pip --env job-42 freeze
  python -m pip install pandas   # with the shim package first on PYTHONPATH`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, rest, err := a.pipPrefix(args)
			if err != nil {
				return err
			}
			if opts.help {
				return cmd.Help()
			}
			if err := a.setup(); err != nil {
				return err
			}
			return a.runPip(cmd.Context(), cmd, opts, rest)
		},
	}
}

// pipPrefix reads airlock's options from the front of args (cobra's flag
// parsing is off: pip's options must reach pip's parser untouched). The
// global --data-dir and --log-level may also stand there, since cobra
// leaves them in args for a command without flag parsing.
func (a *app) pipPrefix(args []string) (pipOptions, []string, error) {
	var o pipOptions
	for len(args) > 0 {
		arg := args[0]
		name, value, hasValue := strings.Cut(arg, "=")
		takesValue := true
		var dst *string
		switch name {
		case "-h", "--help", "help":
			o.help = true
			return o, nil, nil
		case "--offline":
			if hasValue {
				return o, nil, usageErrorf("--offline takes no value")
			}
			o.offline, takesValue = true, false
		case "--env":
			dst = &o.env
		case "--upstream":
			dst = &o.upstream
		case "--policy":
			dst = &o.policy.policyFile
		case "--data-dir":
			dst = &a.dataDirFlag
		case "--log-level":
			dst = &a.logLevel
		case "--advisories":
			dst = new(string)
		default:
			return o, args, nil
		}
		args = args[1:]
		if !takesValue {
			continue
		}
		if !hasValue {
			if len(args) == 0 {
				return o, nil, usageErrorf("%s needs a value", name)
			}
			value, args = args[0], args[1:]
		}
		*dst = value
		if name == "--advisories" {
			o.policy.advisories = append(o.policy.advisories, value)
		}
	}
	return o, args, nil
}

func (a *app) runPip(ctx context.Context, cmd *cobra.Command, o pipOptions, args []string) error {
	if len(args) == 0 {
		return usageErrorf("pip: no command; airlock pip carries out install, list, freeze and show (airlock pip --help)")
	}
	if len(args) == 1 && (args[0] == "-V" || args[0] == "--version") {
		fmt.Fprintf(a.stdout, "airlock pip %s: vetted installs into airlock environments (pip's command line as pip 23 reads it)\n", version())
		return nil
	}
	argv := append([]string{"pip"}, args...)
	cwd, err := os.Getwd()
	if err != nil {
		return withCode(ExitFailed, err)
	}
	// A first pass finds the command and the files named on the command
	// line, without reading any.
	entries, err := reqfile.ParseCommandLine(argv, nil)
	if cmd, ok := pipCommandOf(argv, err); ok && cmd != "install" {
		return a.pipOther(o, argv, cmd)
	}
	if err != nil {
		return usageErrorf("pip install: %v; nothing was installed", err)
	}
	var top []string
	for _, e := range entries {
		if e.Include != nil && !e.Include.URL {
			top = append(top, e.Include.Resolved)
		}
	}
	// The second pass reads them: a file named on the command line, and
	// includes below its directory (as airlock install reads -r files).
	entries, err = reqfile.ParseCommandLine(argv, &reqfile.Config{Open: commandLineOpener(cwd, top)})
	if err != nil {
		return usageErrorf("pip install: %v; nothing was installed", err)
	}
	asked := false
	for _, e := range entries {
		if e.Kind == reqfile.KindOption && e.Option != nil && e.Option.Name == "--help" {
			return cmd.Help() // pip install --help prints help and does nothing
		}
		if (e.Kind == reqfile.KindRequirement && !e.Constraint) || e.Kind == reqfile.KindEditable {
			asked = true
		}
	}
	if !asked {
		// pip's own words for this.
		return usageErrorf("pip install: you must give at least one requirement to install; nothing was installed")
	}
	name, err := a.pipEnvName(o)
	if err != nil {
		return err
	}
	e, err := a.openEnv(name)
	if err != nil {
		return err
	}
	inst, closeInst, err := a.newInstaller(ctx, &o.policy, o.upstream, o.offline)
	if err != nil {
		return err
	}
	defer closeInst()
	res, err := inst.Install(ctx, e, env.Request{Inputs: []policy.Input{{Entries: entries, BaseDir: cwd}}, Actor: "cli"})
	if err != nil {
		return installError(name, err)
	}
	writeInstall(a.stdout, a.stderr, res, useColor(a.stdout, a.getenv))
	switch res.Outcome {
	case env.Installed:
		parts := make([]string, 0, len(res.Installed))
		for _, p := range res.Installed {
			parts = append(parts, p.Name+"-"+p.Version)
		}
		// pip's own last line, which agents and their tools look for.
		fmt.Fprintf(a.stdout, "Successfully installed %s\n", strings.Join(parts, " "))
		return nil
	case env.Unchanged:
		return nil
	case env.Failed:
		return withCode(ExitFailed, fmt.Errorf("install into %s failed; nothing was changed: %s", name, res.Error))
	}
	fmt.Fprintf(a.stderr, "ERROR: airlock refused the install into %s; nothing was installed: %s\n", name, refusalSummary(res))
	return withCode(exitFor(res.Action()), nil)
}

// refusalSummary puts the findings that stopped an install on one line,
// the way an agent reads pip's last error line.
func refusalSummary(res *env.Result) string {
	var parts []string
	for _, f := range res.Findings() {
		if f.Action == policy.Allow {
			continue
		}
		s := fmt.Sprintf("%s: %s", f.Rule, oneLine(f.Message))
		if f.Suggestion != "" {
			s += " (suggestion: " + oneLine(f.Suggestion) + ")"
		}
		if !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "see the findings above"
	}
	return strings.Join(parts, "; ")
}

// pipCommandOf returns the pip command of argv when the first parse
// failed because it is not install: the error's position is the command's
// argument.
func pipCommandOf(argv []string, err error) (string, bool) {
	if err == nil {
		return "install", true
	}
	var re *reqfile.Error
	if !errors.As(err, &re) || !errors.Is(err, reqfile.ErrNotPipInstall) {
		return "", false
	}
	i := re.Pos.Arg
	if i <= 0 || i >= len(argv) || !slices.Contains(pipCommands, argv[i]) {
		return "", false
	}
	return argv[i], true
}

// pipEnvName returns the environment airlock pip works on.
func (a *app) pipEnvName(o pipOptions) (string, error) {
	if o.env != "" {
		return o.env, nil
	}
	if e := a.getenv("AIRLOCK_ENV"); e != "" {
		return e, nil
	}
	return "", usageErrorf("pip: no airlock environment: set AIRLOCK_ENV or give --env NAME before pip's command line (create one with: airlock env create NAME); nothing was installed")
}

// commandLineOpener reads the -r and -c files of a pip command line:
// exactly the files the command line names (relative to cwd, as pip
// reads them), and files they include from below their own directory.
func commandLineOpener(cwd string, top []string) reqfile.OpenFunc {
	return func(name string) (io.ReadCloser, error) {
		if slices.Contains(top, name) {
			p := name
			if !filepath.IsAbs(p) {
				p = cwd + string(filepath.Separator) + p // not cleaned: the kernel resolves it as pip's open does
			}
			return os.Open(p)
		}
		// An include is opened as written, below the directory of one of
		// the named files (includeOpener refuses whatever leaves it).
		for _, t := range top {
			f, err := includeOpener(filepath.Dir(t))(name)
			if !errors.Is(err, fs.ErrPermission) {
				return f, err
			}
		}
		return nil, fmt.Errorf("%s: airlock reads only the files the command line names and files below their directories", name)
	}
}

// newInstaller builds the vetted-install pipeline as airlock install
// does: the policy, the upstream (or the cache alone), the artifact cache
// and the bwrap sandbox. The returned function closes the cache.
func (a *app) newInstaller(ctx context.Context, pf *policyFlags, upstream string, offline bool) (*env.Installer, func(), error) {
	v, err := a.loadPolicy(pf)
	if err != nil {
		return nil, nil, err
	}
	data, err := a.dataDir()
	if err != nil {
		return nil, nil, withCode(ExitFailed, err)
	}
	ups, _, err := a.upstreams(upstream, nil, offline, "airlock-pip")
	if err != nil {
		return nil, nil, err
	}
	store, _, err := a.openCache("", cache.Options{})
	if err != nil {
		return nil, nil, err
	}
	insp, err := env.PackageInspection(v.policy.Config())
	if err != nil {
		store.Close()
		return nil, nil, usageError{err}
	}
	runner, err := a.runner(ctx, runFlags{driver: "bwrap"})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	inst, err := env.NewInstaller(ctx, env.Options{
		Runner:    runner,
		Upstreams: ups,
		Offline:   offline,
		Cache:     store,
		// What the policy refuses at the proxy, pip does not see while it
		// resolves, so it resolves to allowed versions; every resolved
		// release is then vetted as an install candidate anyway.
		Judge:    index.PolicyFilters(v.policy, false),
		Policy:   vettingPolicy{v},
		Inspect:  insp,
		Audit:    env.NewFileAuditor(filepath.Join(data, "audit", "install.jsonl")),
		Progress: func(msg string) { fmt.Fprintf(a.stderr, "airlock: %s\n", msg) },
		Logger:   a.logger.With("component", "pip"),
	})
	if err != nil {
		store.Close()
		return nil, nil, withCode(ExitFailed, err)
	}
	return inst, func() { store.Close() }, nil
}

// pipOther carries out list, freeze and show from the environment's lock,
// and refuses every other pip command with the reason.
func (a *app) pipOther(o pipOptions, argv []string, cmd string) error {
	why, refused := pipRefusals[cmd]
	if refused || !slices.Contains([]string{"list", "freeze", "show"}, cmd) {
		if why == "" {
			why = "airlock pip carries out install, list, freeze and show"
		}
		return usageErrorf("pip %s is not available through airlock: %s", cmd, why)
	}
	var rest []string
	for i, a := range argv {
		if a == cmd {
			rest = argv[i+1:]
			break
		}
	}
	name, err := a.pipEnvName(o)
	if err != nil {
		return err
	}
	e, err := a.openEnv(name)
	if err != nil {
		return err
	}
	lock, err := e.Lock()
	if err != nil {
		return withCode(ExitFailed, err)
	}
	switch cmd {
	case "freeze":
		for _, p := range lock.Packages {
			fmt.Fprintf(a.stdout, "%s==%s\n", p.Name, p.Version)
		}
		return nil
	case "show":
		return a.pipShow(lock, e.Venv(), rest)
	}
	return a.pipList(lock, rest)
}

// pipList prints the lock as pip list does, in its columns, freeze or
// json format.
func (a *app) pipList(lock *env.Lock, args []string) error {
	format := "columns"
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--format" && i+1 < len(args):
			format = args[i+1]
			i++
		case strings.HasPrefix(arg, "--format="):
			format = strings.TrimPrefix(arg, "--format=")
		case arg == "-o" || arg == "--outdated" || arg == "-u" || arg == "--uptodate":
			return usageErrorf("pip list %s is not available through airlock: it asks the index; airlock installs what its policy allows, newest first", arg)
		case strings.HasPrefix(arg, "-"):
			// -l, --local, --not-required, -v and the like change
			// nothing for a lock.
		default:
			return usageErrorf("pip list: unexpected argument %q", arg)
		}
	}
	switch format {
	case "freeze":
		for _, p := range lock.Packages {
			fmt.Fprintf(a.stdout, "%s==%s\n", p.Name, p.Version)
		}
	case "json":
		type item struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		}
		items := make([]item, 0, len(lock.Packages))
		for _, p := range lock.Packages {
			items = append(items, item{p.Name, p.Version})
		}
		data, err := json.Marshal(items)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s\n", data)
	case "columns":
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 1, ' ', 0)
		fmt.Fprintln(tw, "Package\tVersion")
		fmt.Fprintln(tw, "-------\t-------")
		for _, p := range lock.Packages {
			fmt.Fprintf(tw, "%s\t%s\n", p.Name, p.Version)
		}
		return tw.Flush()
	default:
		return usageErrorf("pip list --format: %q is not columns, freeze or json", format)
	}
	return nil
}

// pipShow prints locked packages as pip show does, with why airlock
// installed each; like pip, it exits 1 when one is not installed.
func (a *app) pipShow(lock *env.Lock, venv string, args []string) error {
	var names []string
	for _, arg := range args {
		if !strings.HasPrefix(arg, "-") {
			names = append(names, arg)
		}
	}
	if len(names) == 0 {
		return usageErrorf("pip show: name the packages to show")
	}
	var missing []string
	shown := 0
	for _, n := range names {
		p := lock.Find(pep508.Normalize(n))
		if p == nil {
			missing = append(missing, oneLine(n))
			continue
		}
		if shown > 0 {
			fmt.Fprintln(a.stdout, "---")
		}
		shown++
		// The file name is the upstream's: untrusted, as in airlock env show.
		fmt.Fprintf(a.stdout, "Name: %s\nVersion: %s\nLocation: %s\nInstaller: airlock\nFile: %s\nSHA256: %s\nWhy: %s\n",
			p.Name, p.Version, venv, oneLine(p.Filename), p.SHA256, oneLine(p.Reason()))
	}
	if len(missing) > 0 {
		fmt.Fprintf(a.stderr, "WARNING: Package(s) not found: %s\n", strings.Join(missing, ", "))
		return withCode(ExitDenied, nil)
	}
	return nil
}
