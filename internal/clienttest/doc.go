// Package clienttest runs the Python client's tests (clients/python: the
// airlock_client package, its MetaGPT integration and the pip shims)
// against a real airlock server, so that `make test` runs them.
//
// The test starts `airlock serve` (this test binary, copied to a file named
// airlock, runs the CLI) on 127.0.0.1:0 with a temporary data directory and
// a package index built at test time (package testpypi) as its upstream,
// creates a token with `airlock token create`, and runs
// `/usr/bin/python3 -m unittest` over clients/python/tests with AIRLOCK_URL,
// AIRLOCK_TOKEN, AIRLOCK_BIN and AIRLOCK_HOME in the environment. The
// package has no code of its own outside its tests.
package clienttest
