package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/airlock-dev/airlock/internal/env"
	"github.com/airlock-dev/airlock/internal/sandbox"
)

func (a *app) envCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Create, list, show and remove isolated environments",
		Long: `Environments are Python virtual environments in the data directory
(<data dir>/envs/NAME), made from a system interpreter under /usr and
without pip of their own. Packages get into them only through
'airlock install', which installs vetted wheels by hash and records each in
the environment's lock; 'airlock run --env NAME' runs code with the
environment's interpreter first on PATH and its venv mounted read-only.
See docs/environments.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.envCreateCommand(), a.envListCommand(), a.envShowCommand(), a.envRmCommand())
	return cmd
}

// envManager returns the manager of the environments in the data
// directory.
func (a *app) envManager() (*env.Manager, error) {
	dir, err := a.dataDir()
	if err != nil {
		return nil, withCode(ExitFailed, err)
	}
	m, err := env.NewManager(filepath.Join(dir, "envs"))
	if err != nil {
		return nil, withCode(ExitFailed, err)
	}
	return m, nil
}

// openEnv opens an existing environment; a missing one or a bad name is a
// usage error.
func (a *app) openEnv(name string) (*env.Env, error) {
	m, err := a.envManager()
	if err != nil {
		return nil, err
	}
	e, err := m.Open(name)
	var ne *env.NameError
	switch {
	case errors.Is(err, env.ErrNotFound):
		return nil, usageErrorf("no environment named %q (create it with: airlock env create %s)", name, name)
	case errors.As(err, &ne):
		return nil, usageError{err}
	case err != nil:
		return nil, withCode(ExitFailed, err)
	}
	return e, nil
}

func (a *app) envCreateCommand() *cobra.Command {
	var python string
	cmd := &cobra.Command{
		Use:   "create NAME [--python PATH]",
		Short: "Create an empty environment",
		Long: `Create an empty environment: a virtual environment without pip, made from
--python (default /usr/bin/python3, else the first python3 under /usr). The
interpreter must be a system one under /usr: sandboxes mount only /usr of
the host's file system. Names are 1 to 64 letters, digits, '.', '_' or '-',
starting with a letter or digit.`,
		Example: `  airlock env create job-42
  airlock env create py311 --python /usr/bin/python3.11`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.envManager()
			if err != nil {
				return err
			}
			start := time.Now()
			e, err := m.Create(cmd.Context(), args[0], env.CreateOptions{Python: python})
			var (
				ne *env.NameError
				pe *env.PythonError
			)
			switch {
			case errors.Is(err, env.ErrExists), errors.As(err, &ne), errors.As(err, &pe):
				return usageError{err}
			case err != nil:
				return withCode(ExitFailed, err)
			}
			lock, err := e.Lock()
			if err != nil {
				return withCode(ExitFailed, err)
			}
			fmt.Fprintf(a.stdout, "created environment %s (Python %s from %s) in %s\n", e.Name(), lock.Python.Version, lock.Python.Path,
				time.Since(start).Round(time.Millisecond))
			fmt.Fprintf(a.stdout, "venv: %s\n", e.Venv())
			return nil
		},
	}
	cmd.Flags().StringVar(&python, "python", "", "system interpreter under /usr (default /usr/bin/python3)")
	return cmd
}

// envSummary is one environment in `airlock env list --format json`.
type envSummary struct {
	Name          string    `json:"name"`
	Python        string    `json:"python"`
	PythonVersion string    `json:"python_version"`
	Packages      int       `json:"packages"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
	Venv          string    `json:"venv"`
}

func (a *app) envListCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the environments",
		Long: `List the environments of the data directory with their interpreter's
version, the number of packages installed and when an install last changed
them. --format json adds the interpreter's path, the creation time and the
venv's path.`,
		Example: `  airlock env list
  airlock env list --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageErrorf("--format: %q is not text or json", format)
			}
			m, err := a.envManager()
			if err != nil {
				return err
			}
			envs, err := m.List()
			if err != nil {
				return withCode(ExitFailed, err)
			}
			list := []envSummary{}
			for _, e := range envs {
				l, err := e.Lock()
				if err != nil {
					fmt.Fprintf(a.stderr, "airlock: environment %s: %v\n", e.Name(), err)
					continue
				}
				list = append(list, envSummary{Name: e.Name(), Python: l.Python.Path, PythonVersion: l.Python.Version,
					Packages: len(l.Packages), Created: l.Created, Updated: l.Updated, Venv: e.Venv()})
			}
			if format == "json" {
				return jsonEncoder(a.stdout).Encode(list)
			}
			if len(list) == 0 {
				fmt.Fprintln(a.stdout, "no environments (create one with: airlock env create NAME)")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPYTHON\tPACKAGES\tUPDATED")
			for _, s := range list {
				updated := "never"
				if !s.Updated.Equal(s.Created) {
					updated = s.Updated.Local().Format(time.DateTime)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Name, s.PythonVersion, s.Packages, updated)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func (a *app) envShowCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an environment's lock: what is installed, from which file, when and why",
		Long: `Show an environment's lock: every installed package with its version, the
wheel it was installed from and that file's sha256, when it was installed
(and by which install), and why: the requirement that asked for it, or the
dependency path that pulled it in. --format json prints the lock file itself
(its format is in docs/environments.md).`,
		Example: `  airlock env show job-42
  airlock env show job-42 --format json > job-42.lock.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErrorf("--format: %q is not text or json", format)
			}
			e, err := a.openEnv(args[0])
			if err != nil {
				return err
			}
			l, err := e.Lock()
			if err != nil {
				return withCode(ExitFailed, err)
			}
			if format == "json" {
				data, err := l.Marshal()
				if err != nil {
					return withCode(ExitFailed, err)
				}
				_, err = a.stdout.Write(data)
				return err
			}
			writeLock(a.stdout, e, l)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json (the lock)")
	return cmd
}

// writeLock prints an environment's lock for a person.
func writeLock(w io.Writer, e *env.Env, l *env.Lock) {
	fmt.Fprintf(w, "environment %s\n", l.Name)
	fmt.Fprintf(w, "  python   %s (%s)\n", l.Python.Path, l.Python.Version)
	fmt.Fprintf(w, "  venv     %s\n", e.Venv())
	fmt.Fprintf(w, "  created  %s\n", l.Created.Format(time.RFC3339))
	if !l.Updated.Equal(l.Created) {
		fmt.Fprintf(w, "  updated  %s\n", l.Updated.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  packages %d\n", len(l.Packages))
	for _, p := range l.Packages {
		fmt.Fprintf(w, "\n%s %s\n", p.Name, p.Version)
		fmt.Fprintf(w, "    why        %s\n", oneLine(p.Reason()))
		fmt.Fprintf(w, "    file       %s\n", oneLine(p.Filename))
		fmt.Fprintf(w, "    sha256     %s\n", p.SHA256)
		fmt.Fprintf(w, "    installed  %s (install %s)\n", p.InstalledAt.Format(time.RFC3339), p.InstallID)
		for _, n := range p.Notes {
			fmt.Fprintf(w, "    note       %s\n", oneLine(n))
		}
	}
}

func (a *app) envRmCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove an environment",
		Long: `Remove an environment and everything installed in it. A removal waits for an
install into the environment to finish.`,
		Example: `  airlock env rm job-42`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.envManager()
			if err != nil {
				return err
			}
			err = m.Remove(cmd.Context(), args[0])
			var ne *env.NameError
			switch {
			case errors.Is(err, env.ErrNotFound):
				return usageErrorf("no environment named %q", args[0])
			case errors.As(err, &ne):
				return usageError{err}
			case err != nil:
				return withCode(ExitFailed, err)
			}
			fmt.Fprintf(a.stdout, "removed environment %s\n", args[0])
			return nil
		},
	}
}

// applyEnv makes a run use the named environment: its venv mounted
// read-only at its own path (its scripts' shebangs hold that path), its
// bin directory first on PATH, VIRTUAL_ENV set, and a FILE.py run with its
// interpreter.
func (a *app) applyEnv(spec *sandbox.Spec, name string) error {
	e, err := a.openEnv(name)
	if err != nil {
		return err
	}
	spec.Binds = append(spec.Binds, sandbox.Bind{Src: e.Venv(), Dst: e.Venv()})
	spec.PathPrefix = append([]string{e.BinDir()}, spec.PathPrefix...)
	spec.Env = append(spec.Env, "VIRTUAL_ENV="+e.Venv())
	if len(spec.Argv) > 0 && spec.Argv[0] == runPython {
		spec.Argv[0] = e.Python()
	}
	return nil
}

// depPath renders a dependency path: "app 1.0 → lib 2.0".
func depPath(p []string) string { return strings.Join(p, " → ") }
