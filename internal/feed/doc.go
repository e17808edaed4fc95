// Package feed keeps airlock's local data up to date: the advisory
// database (OSV records for PyPI, as an [advisory.Index] snapshot) and the
// popular-name list used for typosquat detection. It is the I/O side of
// package advisory: downloads, files and the data directory.
//
// # Layout
//
// Everything lives under <data directory>/db:
//
//	advisories.db   the advisory snapshot, with a JSON header saying where it
//	                came from ([AdvisoryStatus]): "AIRLOCK-DB\n", the header
//	                length as a uvarint, the header, then the snapshot made
//	                by advisory.Index.MarshalBinary
//	popular.tsv     the refreshed popular-name list ("rank<TAB>name" lines,
//	                as typosquat.Load reads them), when one was downloaded
//	popular.json    where popular.tsv came from ([PopularStatus]), with its
//	                SHA-256
//
// Files are replaced atomically (a temporary file in the same directory,
// fsync, rename, fsync of the directory), so a reader sees the old file or
// the new one, never a mix; an update that fails anywhere leaves every old
// file in place.
//
// # Sources
//
// [Updater.Update] downloads OSV's PyPI export (a zip of OSV JSON files,
// [DefaultAdvisoryURL] unless told otherwise) and, when a URL is given, the
// popular-name list, with conditional requests (If-None-Match with the
// stored ETag, If-Modified-Since with the stored Last-Modified): an
// unchanged source costs one round trip and only refreshes the "checked"
// time. [Import] builds the database from local directories of OSV JSON or
// YAML files, or zips of OSV JSON files, for sites without network access.
// [OpenPaths] reads such sources straight into an index, for
// "airlock check --advisories PATH".
package feed
