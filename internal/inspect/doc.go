// Package inspect checks what airlock is about to install or run: the
// structure of wheels and sdists ([Artifact]) and, through a
// [SourceScanner] such as the one in package pyscan, the Python code inside
// them.
//
// Every check is a [Rule] with a stable id ("AL601"), a [Family] and a
// default [Action]. Checks report [Finding] values; a [Config] (the part of
// the policy the scanners need) maps families and rule ids to deny, review
// or off, and [Verdict] folds findings into one action.
//
// Archives are untrusted input: they are read in memory, never extracted,
// with every limit named in [Limits].
package inspect
