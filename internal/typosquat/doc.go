// Package typosquat tells whether a package name looks like a protected one:
// a popular PyPI project (typosquatting) or one of the policy's internal
// projects (dependency confusion). It is pure: no I/O beyond reading the
// popular-name list it embeds, no logging, standard library only.
//
// # Typosquatting
//
// An [Index] holds protected names with their popularity ranks. [Default]
// is the index over the embedded list of the 15,000 most-downloaded PyPI
// projects (generated from ../shared/data/pypi-top.tsv by `go generate`;
// [Load] reads the same "rank<TAB>name" format for `airlock db update`, and
// [New] builds an index from any list). [Index.Check] reports whether a name
// looks like a protected name without being one, as a [Match]: the target,
// its rank, the [Transform] and the edit distance. The transforms are
//
//   - single-character edits: [Omission], [Insertion], [Repetition], [Swap],
//     [Keyboard] (a QWERTY neighbour), [Substitution] (any other character);
//   - [Homoglyph]: look-alike characters, including multi-character ones:
//     rn/m, vv/w, cl/d, 1/l/i, 0/o, 5/s, 3/e ("rnatplotlib", "pi11ow",
//     "jeIlyfish");
//   - [Separator]: separators added, removed or moved ("pythondateutil");
//   - [Reorder]: the same hyphen-separated words in another order;
//   - [Affix]: python-, python3-, py3-, py-, -python, -py, -lib, -dev,
//     -sdk, -api, -core, and the glued python, py, lib, added, removed or
//     exchanged ("python-requests", "requests-py", "py-dateutil" for
//     python-dateutil, "pythonkafka" for kafka-python);
//   - [Version]: a version suffix added, changed or removed ("requests2",
//     "urllib4", "urllib" for urllib3), and [AffixVersion], both at once.
//
// # Rules
//
// A protected name is never flagged, whatever it resembles: the popular
// list contains thousands of legitimate look-alikes (boto/boto3, jwt/pyjwt,
// pyyaml/pyaml), and a project that is itself popular is by definition not
// squatting a less popular one.
//
// Short names collide by chance (six/sip, tox/tax), so single-character
// edits are checked only from a length that depends on how likely the slip
// is, measured on the shorter of the two names: a swap, a doubled character
// or a look-alike from 4 bytes, a keyboard neighbour, a missing or extra
// character or a separator from 5, any other substitution from 6. Skeleton
// (look-alike and separator) matches need 4 bytes, affix cores 3 (5 when the
// affix is glued), version bases 4. Names of 3 bytes or fewer are never
// flagged by an edit.
//
// Some evidence is weak: a glued affix ("pyspark" has the core "spark"), or a
// name that merely lacks the target's affix or version ("dateutil",
// "urllib"). An unlisted name is less popular than every protected one, but
// not necessarily by much, and a name ranked just below the cut is as likely
// to be an unrelated project as a squat. Weak evidence therefore counts only
// against targets at least [Options.RankRatio] times more popular than the
// least popular protected name (with the defaults, the top 3,750).
//
// When a name looks like several protected names, Check reports the one
// reached by the fewest transforms (one; two for [AffixVersion]), and among
// those the most popular (then the first by name). For the same target, the
// more specific transform is reported: a version suffix rather than an
// insertion, a separator rather than a glued affix.
//
// Check normalises its argument (PEP 503: lower case, runs of '-', '_' and
// '.' as one '-') so callers may pass names as written; the result equals
// pep508.Normalize for the ASCII names PEP 508 allows. Names longer than
// [MaxNameLength] bytes are not flagged: no popular name is within one
// transform of them.
//
// # How it is fast
//
// Check does not compare the name with every protected name. Single edits
// use a symmetric-delete index: each protected name is stored under a hash of
// itself and of each one-character deletion, so a name of length n needs n+1
// hash probes, and hits are confirmed by comparing strings. Skeletons, sorted
// word lists, affix cores and version bases are looked up in hash maps. A
// check costs about a microsecond and does not allocate; building the
// default index takes 10 to 35 ms and holds 6 MiB (see the README for the
// measured figures).
//
// # Dependency confusion
//
// A [Confusion] holds the policy's internal project names and glob patterns
// (the policy's `protected:` section). [Confusion.Check] reports a name that
// is an internal name ([Internal]), matches an internal pattern ([Pattern]),
// or looks like an internal name by any transform above, with
// Kind [KindConfusion]. Whether that is a finding depends on where the name
// would be fetched from, which is the policy's call: from the public index it
// is dependency confusion. [Confusion.Shadowed] lists the popular names an
// internal configuration would capture, so the policy can refuse it.
//
// The intended order in a policy is: an allow-listed name is never checked;
// then Confusion.Check; then Default().Check, whose match becomes a
// `typosquat` finding with the target as the suggestion
// (did you mean "requests"?).
//
// Every type is immutable after construction and safe for concurrent use.
package typosquat
