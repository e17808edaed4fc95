// Package pep508 implements project names (PEP 503 normalisation, PEP 508
// validity), dependency specifiers ("requirements", PEP 508) and
// environment markers exactly as the reference implementation, the packaging
// library 23.0 (Debian's python3-packaging), reads and evaluates them. The
// parser is a port of packaging's hand-written tokenizer and parser
// (_tokenizer.py, _parser.py), rule for rule, so it accepts what packaging
// accepts and rejects what it rejects; a differential test checks this
// against packaging itself on thousands of generated inputs.
//
// # Names
//
// [Normalize] is packaging's canonicalize_name: runs of "-", "_" and "."
// become "-", then Python's str.lower() (full Unicode mapping: "İ" becomes
// "i̇", a final "Σ" becomes "ς"). [ValidName] is the PEP 508 name pattern,
// ASCII only.
//
// # Requirements
//
// [ParseRequirement] accepts what packaging.requirements.Requirement
// accepts, including these less obvious forms:
//
//   - the name follows packaging's IDENTIFIER pattern, whose trailing \b
//     lets it end in "_" ("foo_" is accepted, though not a [ValidName]);
//   - a single trailing newline is ignored ("foo\n"), as Python's $ matches
//     before it;
//   - specifiers may be parenthesised, "()" is the empty set, and a trailing
//     comma is allowed ("foo>=1,");
//   - each specifier is the longest prefix packaging's Specifier pattern
//     matches (see [pep440.ScanSpecifier]), so whitespace, including Unicode
//     spaces and newlines, may follow the operator ("foo>= 1.0");
//   - "===" takes everything up to whitespace, ";" or ")", commas included,
//     and the specifier set is split at commas afterwards ("foo===a,>=1" is
//     two specifiers; "foo===a,b" is an error);
//   - the URL after "@" runs to the next space or tab, so a ";" without a
//     space before it belongs to the URL; markers after a URL need
//     whitespace before the ";";
//   - a URL is checked as packaging checks it, with Python 3.11's urllib
//     (as in Debian's 3.11.2): file: URLs must survive urlparse/urlunparse
//     unchanged ("file:/tmp/x", "FILE:///x" and "file:///x?" are refused),
//     other URLs need a scheme and a host; bracketed hosts must be IPv6
//     addresses (or IPvFuture), and hosts with characters whose NFKC form
//     contains "/?#@:" are refused;
//   - extras are kept as written, deduplicated and sorted.
//
// # Markers
//
// [ParseMarker] and the marker part of a requirement follow packaging's
// grammar: variables (os.name and os_name, python_implementation for
// platform_python_implementation, ...), strings in single or double quotes
// decoded as Python literals (escapes included, with ast.literal_eval's
// rules), operators ==, !=, <, <=, >, >=, ~=, ===, in, not in, with and,
// or and parentheses. When the first comparison of a marker compares the
// variable extra, its other side is normalised with [Normalize] (even if it
// is a variable: extra == extra becomes extra == "extra"); later ones are
// not. [Marker.Evaluate] compares like packaging: see its documentation for
// the version/string rules and the surprising cases.
//
// # Deliberate differences from packaging 23.0
//
//   - Text after a complete marker is an error ("os_name == 'a' junk");
//     packaging 23.0 ignores it (a bug fixed in packaging 23.1; pip's
//     vendored packaging rejects it too).
//   - String escapes \N{...} (airlock has no Unicode name table) and \u or
//     \U escapes of surrogates are errors.
//   - [Marker.String] and [Requirement.String] give packaging's canonical
//     form except where that form does not parse back to the same marker:
//     values that need other quotes or escapes, doubled parentheses that
//     packaging drops along with their meaning, and a parenthesised first
//     comparison with extra (see [Marker.String]).
//   - [Marker.Evaluate] does not fill missing variables from a running
//     interpreter: the caller supplies the environment of the interpreter
//     the requirement is for; a missing variable is an error.
//   - Inputs are bounded: [MaxRequirementLength], [MaxMarkerLength] and
//     [MaxEnvironmentValueLength].
//
// # pip 23.0.1
//
// pip 23.0.1 (Debian's python3-pip) still vendors packaging 21.3, whose
// pyparsing grammar differs from 23.0 in corners. Where pip refuses what
// 23.0 accepts ("foo_", "foo()", "foo>=1,", "'a' not  in os_name") pip fails
// and nothing is installed; where pip accepts what 23.0 refuses
// ("foo>=1.0a1b2", "foo==1.0.*.0", "foo\n\n") airlock refuses too. Both
// accept, but read differently:
//
//   - backslashes in marker strings: 23.0 decodes Python escapes, pip keeps
//     the text as written, so `sys_platform != "\x6cinux"` is false for
//     airlock and true for pip on Linux. [Marker.PipReadsDifferently] flags
//     these markers; a policy should refuse them.
//   - the value compared with extra: 23.0 normalises it (and the extra
//     itself) with [Normalize], pip compares the text as written.
//   - odd comparisons: where the left side is a string that is not a
//     version and the right side makes a specifier, 23.0 raises (airlock
//     answers an error) and pip answers false; comparisons between two
//     variables or two strings follow 23.0's rules, which pip does not share.
//
// So a caller must never skip checking a requirement because its marker is
// false for the target environment: pip may disagree.
//
// All functions are safe for concurrent use; parsed values are immutable.
package pep508
