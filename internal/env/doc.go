// Package env manages airlock's isolated environments and runs the vetted
// install: what was checked is exactly what gets installed.
//
// # Environments
//
// An environment is a Python virtual environment without pip of its own
// (python -m venv --without-pip: a fraction of a second, where ensurepip
// takes seconds), made from a system interpreter under /usr, which every
// sandbox mounts read-only. It lives in the data directory:
//
//	<data>/envs/<name>/current/venv/     the virtual environment
//	<data>/envs/<name>/current/lock.json the lock (docs/environments.md)
//	<data>/envs/<name>/.flock            serialises installs and removal
//
// A venv must be used at the path where it was made (its scripts'
// shebangs hold that path), so an install never moves one: it copies
// current/ to a staging directory, has the sandbox mount the staged venv
// at the environment's own venv path while pip installs into it, and
// swaps the staged current/ with the live one in a single atomic
// renameat2(RENAME_EXCHANGE) once everything succeeded. A failed install
// leaves the environment exactly as it was. Installs into one environment
// are serialised with flock(2) on .flock, which works across processes;
// installs into different environments run in parallel.
//
// # The install pipeline
//
// [Installer.Install] runs six steps, all under the environment's lock:
//
//  1. The request (requirements files and command-line requirements) is
//     decided as `airlock check` decides it; any deny stops here.
//  2. pip's resolver computes the full closure (pip install --dry-run
//     --report - --only-binary :all:) inside a sandbox whose only network
//     is a loopback port forwarded to airlock's filtering proxy, served
//     in-process (no port on the host), with the environment's own
//     interpreter and its venv mounted read-only. --ignore-installed is
//     not used: installed releases that satisfy the request stay, so the
//     report lists exactly what would change. If the resolution fails
//     because the proxy refused something, pip is run once more against
//     the proxy with only the built-in filters (sdists stay hidden,
//     yanked files are shown), so that step 3 can name the refused release
//     and its dependency path ("app 1.0 → evil-dep 0.1"). Nothing is ever
//     installed from that second resolution.
//  3. Every release of the report is checked against the proxy's page
//     (pip's report comes out of the sandbox and is not believed on its
//     own) and decided by the policy with its concrete version, file,
//     dependency path and the environment's lock (downgrades).
//  4. Every chosen file is fetched through the proxy into the verified
//     artifact cache, copied into a directory that holds only the vetted
//     files (its sha256 checked again), and inspected (package inspect:
//     .pth files, sitecustomize, scripts that shadow pip or python, files
//     outside the package, RECORD mismatches, oversized archives); the
//     release is decided again with the findings.
//  5. Exactly that set is installed, in a sandbox without network:
//     pip install --no-index --no-deps --require-hashes --only-binary :all:
//     --find-links <vetted dir> -r <name==version --hash=sha256:... lines>.
//     Nothing is resolved again. pip check must pass, and the staged venv
//     must hold exactly the distributions of the new lock.
//  6. The new lock is written, the [Auditor] records the install, and the
//     staged directory is swapped in.
//
// When airlock runs as root, the staged venv is lent to the sandbox user
// for step 5 and given back to root afterwards, set-id bits cleared.
package env
