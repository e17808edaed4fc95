// Package cli implements airlock's subcommands and flags. It is wiring only:
// every decision is made by the packages it calls.
//
// [Main] is the whole program apart from signal handling, so tests can run it
// in-process with their own streams.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// app carries what every subcommand needs: the streams, the environment
// lookup and the global flags. Subcommands receive it when they are built.
type app struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	dataDirFlag string
	logLevel    string
	logger      *slog.Logger
}

// Main runs airlock with args (without the program name) and returns the
// process exit code; see [exitCodes].
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	if msg := err.Error(); msg != "" && !errors.Is(err, errSilent) {
		fmt.Fprintf(stderr, "airlock: %s\n", msg)
	}
	if code == ExitUsage && isCommandLineError(err) {
		path := "airlock"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", path)
	}
	return code
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "airlock",
		Short: "A dependency firewall and sandbox for AI coding agents",
		Long: `airlock stands between AI coding agents and the machine they run on.

It reads every package request exactly as pip would and vets it against a
policy (allow and deny lists, typosquatting, known vulnerabilities, malicious
packages, downgrades, dangerous options); it installs only vetted artifacts,
by hash, into isolated per-job environments; and it runs generated code in a
sandbox whose only network exit is airlock's own filtering package index.

Data lives in $AIRLOCK_HOME, else $XDG_DATA_HOME/airlock, else
~/.local/share/airlock (override with --data-dir).`,
		Version:           version(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setup()
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{err}
	})
	root.PersistentFlags().StringVar(&a.dataDirFlag, "data-dir", "", "data directory (default $AIRLOCK_HOME, $XDG_DATA_HOME/airlock or ~/.local/share/airlock)")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	// Each subcommand lives in its own file; add it here.
	root.AddCommand(
		a.versionCommand(),
		a.checkCommand(),
		a.proxyCommand(),
		a.specCommand(),
		a.tokenCommand(),
		a.serveCommand(),
		a.runCommand(),
		a.forwardCommand(),
		a.dbCommand(),
		a.scanCommand(),
		a.envCommand(),
		a.installCommand(),
		a.pipCommand(),
	)
	return root
}

// setup validates the global flags and builds the logger.
func (a *app) setup() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return usageErrorf("--log-level: %q is not one of debug, info, warn, error", a.logLevel)
	}
	a.logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

// dataDir returns the data directory: --data-dir, $AIRLOCK_HOME,
// $XDG_DATA_HOME/airlock, or ~/.local/share/airlock, in that order. It does
// not create it.
func (a *app) dataDir() (string, error) {
	if a.dataDirFlag != "" {
		return filepath.Abs(a.dataDirFlag)
	}
	if d := a.getenv("AIRLOCK_HOME"); d != "" {
		return filepath.Abs(d)
	}
	if d := a.getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "airlock"), nil
	}
	home := a.getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find a data directory: set AIRLOCK_HOME or --data-dir")
		}
		home = h
	}
	return filepath.Join(home, ".local", "share", "airlock"), nil
}

// isCommandLineError reports a mistake in the command line itself (a flag,
// a missing or extra argument, an unknown command), after which the help
// is the next thing to read.
func isCommandLineError(err error) bool {
	if exitCode(err) != ExitUsage {
		return false
	}
	msg := err.Error()
	if strings.Contains(msg, "flag") {
		return true
	}
	for _, p := range cobraUsagePrefixes {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// version is the module version from the build information.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
