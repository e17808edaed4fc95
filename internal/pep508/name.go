package pep508

import "strings"

// Normalize returns the PEP 503 normal form of a project or extra name, as
// packaging.utils.canonicalize_name computes it: every run of "-", "_" and
// "." becomes one "-", then the whole is lower-cased with Python's
// str.lower(). It accepts any string; use [ValidName] to check validity.
func Normalize(name string) string {
	if isNormalASCIIName(name) {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			for i+1 < len(name) && (name[i+1] == '-' || name[i+1] == '_' || name[i+1] == '.') {
				i++
			}
			b.WriteByte('-')
			continue
		}
		b.WriteByte(c)
	}
	return pyLower(b.String())
}

// isNormalASCIIName reports whether name is already in normal form and
// ASCII, the common case that needs no copy.
func isNormalASCIIName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if i+1 < len(name) && (name[i+1] == '-' || name[i+1] == '_' || name[i+1] == '.') {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// ValidName reports whether name is a valid project name for PEP 508:
// ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$, case-insensitive, ASCII only.
// (packaging's requirement parser is laxer: it also accepts a name ending in
// "_", such as "foo_", because its pattern ends in \b.)
func ValidName(name string) bool {
	if name == "" || !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return false
	}
	for i := 1; i < len(name)-1; i++ {
		if c := name[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
