// Package advisory reads OSV records (https://ossf.github.io/osv-schema/)
// for the PyPI ecosystem, both vulnerability records (PYSEC, GHSA, CVE, ...)
// and malicious-package reports (MAL), and answers the policy's questions
// about them: which vulnerabilities affect this version, does this
// specifier admit affected versions, is this package reported malicious.
//
// # Loading
//
// A [Builder] takes records one by one ([Builder.Add], [Builder.AddFile])
// or a whole tree of OSV files in JSON or YAML through an [fs.FS]
// ([Builder.AddFS]; a *zip.Reader is an fs.FS, which covers OSV's
// per-ecosystem all.zip export); [LoadFS] does both steps at once.
// [Builder.Index] then validates and merges the records into an [Index]:
//
//   - withdrawn records are dropped;
//   - records that alias each other (PYSEC-2023-74 and GHSA-j8r2-6x86-q33q,
//     both CVE-2023-32681) become one [Vuln] per package, listing every id;
//     the primary id is a record's own id, preferring MAL, then PYSEC, then
//     GHSA, then others, then CVE;
//   - only affected entries of the PyPI ecosystem count; package names are
//     compared in PEP 503 form;
//   - a version is affected when it is in a versions list or inside an
//     ECOSYSTEM (or SEMVER) range, evaluated exactly as the OSV schema's
//     pseudocode does (introduced "0" is the start; fixed excludes,
//     last_affected includes; limit caps the range) under the PEP 440
//     order; GIT ranges are ignored;
//   - a bound that is not a PEP 440 version is not guessed at: an unparseable
//     introduced counts as "0", an unparseable fixed, last_affected or limit
//     is dropped (so the range extends further), and a range with no
//     introduced event starts at "0". Each such choice errs towards
//     "affected" and leaves a note on the Vuln;
//   - severity comes from CVSS vectors or database_specific.severity; see
//     [Severity].
//
// Unreadable files do not stop a load: they are counted and listed in
// [Stats], so that one bad record does not hide all the others.
//
// # Matching
//
// [Index.Lookup], [Index.AffectedBy] and [Index.Malicious] answer for one
// package or version; [Index.Assess] judges a specifier set with interval
// arithmetic over the PEP 440 order (package pep440's VersionSet): whether
// none, some or all of the versions it admits are affected, with a
// suggestion that avoids them. See [Index.Assess] for the rules.
//
// # Snapshots
//
// [Index.MarshalBinary] and [UnmarshalIndex] store an index in a compact
// binary form that loads without re-reading the records.
//
// The package does no I/O of its own beyond the fs.FS it is given, and does
// not log. An Index is immutable once built and safe for concurrent use.
package advisory
