package typosquat

import "strings"

// affixes are the prefixes and suffixes that squatters add to, remove from or
// exchange on a popular name ("python-requests", "requests-py",
// "py-dateutil" for python-dateutil, "pythonkafka" for kafka-python).
// Glued affixes (no separator) need a longer core: many ordinary names start
// with "py".
var (
	prefixes = []affix{
		{"python3-", false}, {"python-", false}, {"py3-", false}, {"py-", false},
		{"python3", true}, {"python", true}, {"py", true}, {"lib", true},
	}
	suffixes = []affix{
		{"-python3", false}, {"-python", false}, {"-py3", false}, {"-py", false},
		{"-lib", false}, {"-dev", false}, {"-sdk", false}, {"-api", false}, {"-core", false},
		{"python", true}, {"py", true}, {"lib", true},
	}
)

type affix struct {
	text  string
	glued bool // no separator between the affix and the core
}

// validCore reports whether core is what is left of a name after removing
// an affix: long enough, and not starting or ending with a separator.
func validCore(core string, glued bool) bool {
	n := minCoreLength
	if glued {
		n = minGluedCoreLength
	}
	return len(core) >= n && !isSep(core[0]) && !isSep(core[len(core)-1])
}

// affixCores yields each core of name: name with its prefix, its suffix, or
// both removed, and whether a removed affix was glued. Only the first
// matching prefix and suffix in list order count, so "python-requests" has
// the core "requests" and not also "thon-requests". The cores are substrings
// of name.
func affixCores(name string) func(yield func(string, bool) bool) {
	return func(yield func(string, bool) bool) {
		p, hasPrefix := firstPrefix(name)
		s, hasSuffix := firstSuffix(name)
		if hasPrefix {
			rest := name[len(p.text):]
			if validCore(rest, p.glued) && !yield(rest, p.glued) {
				return
			}
			if s, ok := firstSuffix(rest); ok {
				core, glued := rest[:len(rest)-len(s.text)], p.glued || s.glued
				if validCore(core, glued) && !yield(core, glued) {
					return
				}
			}
		}
		if hasSuffix {
			core := name[:len(name)-len(s.text)]
			if validCore(core, s.glued) && !yield(core, s.glued) {
				return
			}
		}
	}
}

func firstPrefix(name string) (affix, bool) {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p.text) {
			return p, true
		}
	}
	return affix{}, false
}

func firstSuffix(name string) (affix, bool) {
	for _, s := range suffixes {
		if strings.HasSuffix(name, s.text) {
			return s, true
		}
	}
	return affix{}, false
}

// versionBase returns name without a version suffix of one to
// maxVersionDigits digits, optionally written "-2" or "-v2", and reports
// whether there was one and the rest is long enough to stand for a project.
func versionBase(name string) (string, bool) {
	end := len(name)
	for end > 0 && '0' <= name[end-1] && name[end-1] <= '9' {
		end--
	}
	digits := len(name) - end
	if digits == 0 || digits > maxVersionDigits {
		return "", false
	}
	base := name[:end]
	if strings.HasSuffix(base, "-v") {
		base = base[:len(base)-2]
	} else {
		base = strings.TrimSuffix(base, "-")
	}
	if len(base) < minVersionBase || isSep(base[len(base)-1]) {
		return "", false
	}
	return base, true
}
