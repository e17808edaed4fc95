// Command benchserver is the upstream for scripts/bench/index.sh: a
// testpypi index with one project of many wheels (one of them large),
// served on a loopback port until the process is stopped. It writes the
// upstream URL and the names of the benchmark files as shell variable
// assignments to -env, and the wheel files into -www for nginx.
//
//	go run ./internal/index/internal/benchserver -env bench.env -www www
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/airlock-dev/airlock/internal/testpypi"
)

func main() {
	envFile := flag.String("env", "", "file to write KEY=value lines to")
	www := flag.String("www", "", "directory to copy the wheels into (served by nginx)")
	versions := flag.Int("versions", 40, "number of small wheels of the project")
	bigMiB := flag.Int("big-mib", 32, "size of the large wheel, in MiB")
	flag.Parse()
	if *envFile == "" || *www == "" {
		fmt.Fprintln(os.Stderr, "usage: benchserver -env FILE -www DIR")
		os.Exit(2)
	}
	srv := testpypi.Start()
	defer srv.Close()
	var dists []testpypi.Dist
	for i := range *versions {
		w := testpypi.Wheel{Name: "benchpkg", Version: fmt.Sprintf("1.%d.0", i), Deps: []string{"dep-a>=1", "dep-b"}, RequiresPython: ">=3.8"}
		dists = append(dists, w.Dist())
	}
	// The large wheel's content is random, so it does not compress.
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, *bigMiB<<20)
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	bw := testpypi.Wheel{Name: "benchpkg", Version: "2.0.0", Files: map[string]string{"benchpkg/data.bin": string(big)}}
	bigDist := bw.Dist()
	dists = append(dists, bigDist)
	srv.Add(testpypi.Project{Name: "benchpkg", Dists: dists})

	if err := os.MkdirAll(filepath.Join(*www, "files"), 0o755); err != nil {
		fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*www, "files", bigDist.Filename), bigDist.Data, 0o644); err != nil {
		fatal(err)
	}
	env := fmt.Sprintf("UPSTREAM=%s\nPROJECT=benchpkg\nBIG_WHEEL=%s\nBIG_SHA256=%s\nBIG_SIZE=%d\n",
		srv.URL(), bigDist.Filename, srv.SHA256(bigDist.Filename), len(bigDist.Data))
	tmp := *envFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(env), 0o644); err != nil {
		fatal(err)
	}
	if err := os.Rename(tmp, *envFile); err != nil {
		fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchserver:", err)
	os.Exit(1)
}
