// Command airlock is a dependency firewall and sandbox for AI coding agents.
//
// Everything but signal handling and the process exit code lives in
// [github.com/airlock-dev/airlock/internal/cli].
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/airlock-dev/airlock/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
