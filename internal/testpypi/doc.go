// Package testpypi is a package index for tests: it builds real wheels and
// sdists at test time with the standard library's archive writers, serves
// them over HTTP in-process as a PEP 503 (HTML) and PEP 691 (JSON) simple
// index, and drives the real pip against it in throw-away virtual
// environments.
//
// A typical test:
//
//	srv := testpypi.New(t)
//	srv.AddWheels(
//		testpypi.Wheel{Name: "app", Version: "1.0", Deps: []string{"lib>=2"}},
//		testpypi.Wheel{Name: "lib", Version: "2.1"},
//	)
//	venv := testpypi.NewVenv(t)
//	out, err := venv.Pip(ctx, "install", "--index-url", srv.URL(), "app")
//
// The server can misbehave on purpose: [Server.Replace] changes a file's bytes
// after its hash was published, [Server.SetFailure] makes it answer 5xx,
// reset connections or hang, and [Server.Requests] counts requests per path.
//
// Wheels hold METADATA (Metadata-Version 2.1), WHEEL, RECORD with correct
// hashes, and optionally .pth files, console scripts and data scripts, which
// is what the inspection tests need. Sdists hold a setup.py that writes a
// canary file when it runs, so a test can prove that nothing ran it.
//
// The package is meant for tests and test programs (benchmarks); the airlock
// binary does not import it.
package testpypi
