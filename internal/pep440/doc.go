// Package pep440 implements Python package versions and version specifiers
// (PEP 440) exactly as the reference implementation, the packaging library
// 23.0 (Debian's python3-packaging), reads and compares them. airlock judges
// versions an attacker may have chosen, so any place where it read them
// differently from Python's tools would be a bypass: the goal here is
// agreement, quirks included, not an idealised PEP 440. A differential test
// checks every behaviour below against packaging itself.
//
// A string that is not a PEP 440 version is an error here, as in packaging
// 23.0. pip 23.0.1 still vendors packaging 21.3, which orders such strings
// as a LegacyVersion (below every PEP 440 version, with a deprecation
// warning) and accepts specifiers such as ">=foo" as LegacySpecifier,
// instead of refusing them: callers must treat a parse error as "cannot
// judge" and fail closed, never as "no match". packaging 21.3 also matches
// "==V.*", "!=V.*" and "~=V" on the text as written, without normalising
// it, so pip 23.0.1 answers differently from 23.0 (and from airlock) for
// spellings such as "!=v1.1.*" or "~=00.2" (pip admits 1.1.5 to the first),
// with epochs, and for pre-releases of zero-padded releases ("!=1.0.0.*"
// admits 1.0a1 for pip, not for 23.0). A verdict on which versions a
// specifier admits is therefore no substitute for checking the concrete
// version pip chose.
//
// # Versions
//
// [Parse] accepts every spelling packaging.version.Version accepts and
// nothing else, and [Version.String] gives packaging's normal form:
//
//   - surrounding whitespace is ignored (Python's str.isspace, which includes
//     U+001C..U+001F, U+0085, U+00A0 and the Unicode spaces);
//   - letters match in any case, and a leading "v" is dropped ("V1.0" is 1.0);
//   - numbers lose their leading zeros ("01.02" is 1.2); the epoch "0!" is
//     dropped;
//   - pre-release labels a, b, rc are also spelled alpha, beta, c, pre and
//     preview; post-releases are also spelled rev and r, or "-N" ("1.0-1"
//     is 1.0.post1); a missing number is 0 ("1.0a" is 1.0a0, "1.0.post" is
//     1.0.post0, "1.0.dev" is 1.0.dev0);
//   - one separator (-, _ or .) may stand before and after each label, even
//     with no number following ("1.0a." and "1.0-dev-" parse);
//   - local labels are lower-cased, their separators become dots and their
//     numeric parts lose leading zeros ("1.0+Ubuntu-001" is 1.0+ubuntu.1).
//
// Release numbers may be arbitrarily long and are compared exactly. A
// number of more than 4,300 digits is rejected, because packaging calls
// Python's int() on it and CPython (3.11 and later) refuses that; [Parse]
// also refuses inputs longer than [MaxVersionLength] bytes.
//
// Python compiles packaging's patterns with re.IGNORECASE, under which a few
// non-ASCII letters match ASCII ones: U+0130 (İ) and U+0131 (ı) match "i",
// U+017F (ſ) matches "s" and U+212A (Kelvin sign) matches "k". packaging
// then lower-cases the text it matched with Python's str.lower() and maps
// only the ASCII spellings, so "1.0poſt1" is a post-release whose label
// sorts after "post" yet prints as "1.0.post1", and "1.0prevİew1" prints
// as "1.0previ̇ew1" (with U+0307), which does not parse again. airlock
// reproduces all of this; [Version.String] of such a version is therefore
// not always a spelling of the same version.
//
// [Compare] is packaging's total order: epoch, then release with trailing
// zeros ignored (1.0 == 1.0.0), then the pre-release (a development release
// without pre- or post-release sorts before every pre-release of its
// release, and a final after them), then the post-release (absent sorts
// first), then the development release (absent sorts last), then the local
// label (absent sorts first; parts compare in turn, a numeric part after a
// text part, numbers numerically, text by code point, a shorter label first
// when it is a prefix of the other). Versions are comparable Go values, but
// == compares their normal forms: "1.0" and "1.0.0" differ under == and are
// equal under [Compare].
//
// # Specifiers
//
// [ParseSpecifier] and [ParseSpecifierSet] accept what packaging's Specifier
// and SpecifierSet accept: local labels and ".*" only with == and !=, at
// least two release numbers with ~=, and for === any text without
// whitespace, ";" or ")" (even none: "===" parses). Whitespace may surround
// the operator and the version. A set is split at commas, empty entries
// are skipped (so "" and "," are the empty set), and an entry equal to an
// earlier one once normalised (trailing zeros ignored except for ~=) is
// dropped, the first spelling winning. [SpecifierSet.String] sorts the
// specifiers by their text.
//
// Matching follows packaging 23.0 line by line, including these quirks:
//
//   - Pre-releases: with [PrereleasesDefault] a set admits pre-releases only
//     if one of its specifiers has ==, >=, <=, ~= or === with a pre-release
//     version (for ==, after dropping ".*"); "<1.0rc2" alone does not. The
//     empty set excludes pre-releases unless [PrereleasesAllow] is given.
//     Once admitted, pre-releases are checked against every specifier.
//   - "<V" excludes pre-releases of V's release unless V is itself a
//     pre-release: "<1.0" does not admit 1.0rc1, but admits 0.9rc1.
//   - ">V" excludes post-releases of V's release unless V is itself a
//     post-release, and excludes every local version of V's release:
//     ">1.0" admits neither 1.0.post1 nor 1.0+local.
//   - "<=", ">=" and "==" (without a local label) ignore the candidate's
//     local label: "<=1.0" and "==1.0" admit 1.0+local; "==1.0+local"
//     needs exactly that label (compared normalised).
//   - "==V.*" and "!=V.*" compare strings: both sides are normalised (the
//     candidate's trailing zeros stripped, its local label dropped), split
//     at dots and between a release number and an a/b/c/rc label, and the
//     candidate's release is padded with zeros to the specifier's length.
//     The padding only happens when the split starts with a plain number,
//     so with an epoch "==1!1.0.*" does not admit 1!1.0 (packaging bug).
//   - "~=V" is ">=V" and "==P.*", where P is V's text split as above, cut
//     before the first item that starts with dev, a, b, rc or post, minus
//     its last item. The split uses V as written, so "~=1.0.pre1" (where
//     "pre1" is not recognised as a suffix) means ">=1.0rc1,==1.0.*", not
//     "==1.*" as "~=1.0rc1" does.
//   - "===V" compares str(candidate).lower() with V.lower(): "===1.0" admits
//     1.0 but not 1.0.0 nor 1.0+local.
//
// Where packaging raises, [SpecifierSet.Match] and [Specifier.Match] return
// the error and Contains reports false: with [PrereleasesDefault], a ===
// specifier whose text is not a version makes packaging's prereleases
// property raise InvalidVersion; and a candidate whose public part does not
// parse again (the U+0130 case above) makes ==, !=, <=, >= and ~= raise.
//
// # Deliberate differences from packaging 23.0
//
//   - packaging stops at the first specifier of a set that decides the
//     answer (one naming a pre-release, for the prereleases property; one
//     the candidate fails, for matching), in the order Python iterates a
//     frozenset, which is randomised per process. Whether it reaches a
//     specifier that raises is therefore a matter of chance; airlock checks
//     every specifier and returns the error whenever one raises.
//   - [Parse], [ParseSpecifier] and [ParseSpecifierSet] refuse inputs longer
//     than [MaxVersionLength] and [MaxSpecifierLength] bytes.
//
// All functions are pure and safe for concurrent use; values are immutable.
package pep440
