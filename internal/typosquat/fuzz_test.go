package typosquat

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// FuzzCheck checks that Check never panics and keeps its promises on any
// input: a match names a protected name that is not the input, with the
// right rank and distance; the input's other spellings get the same answer;
// protected names are never flagged.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"reqeusts", "rnatplotlib", "requests2", "python-requests", "requests-py",
		"py-dateutil", "pi11ow", "pytz3-dev", "six", "", "-", "a--b", "REQUESTS", "x\xff\x00",
		strings.Repeat("ab", MaxNameLength), strings.Repeat("-", 3*MaxNameLength) + "boto3"} {
		f.Add(s)
	}
	ix := Default()
	f.Fuzz(func(t *testing.T, name string) {
		m, ok := ix.Check(name)
		norm := normalize(name)
		if !ok {
			if m != (Match{}) {
				t.Fatalf("Check(%q) = %v, false", name, m)
			}
		} else {
			if m.Kind != KindTyposquat || m.Target == norm || !ix.Contains(m.Target) || ix.Rank(m.Target) != m.Rank || m.Transform == "" {
				t.Fatalf("Check(%q) = %+v", name, m)
			}
			if m.Distance != distance(norm, m.Target) || m.Distance == 0 {
				t.Fatalf("Check(%q).Distance = %d, want %d", name, m.Distance, distance(norm, m.Target))
			}
		}
		if ix.Contains(name) && ok {
			t.Fatalf("protected %q flagged", name)
		}
		upper := asciiUpper(strings.ReplaceAll(norm, "-", "_"))
		if m2, ok2 := ix.Check(upper); len(norm) <= MaxNameLength && (ok2 != ok || m2 != m) {
			t.Fatalf("Check(%q) = %v, but Check(%q) = %v", name, m, upper, m2)
		}
	})
}

// FuzzLoad checks that Load never panics and returns only valid entries.
func FuzzLoad(f *testing.F) {
	f.Add("1\trequests\n2\tboto3\n")
	f.Add("# c\n\n1\tA_b.c\n")
	f.Add("1\trequests\n1\tRequests\n")
	f.Add("99999999999999999999\tx\n")
	f.Fuzz(func(t *testing.T, in string) {
		entries, err := Load(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Rank < 1 || e.Rank > MaxRank || e.Name != normalize(e.Name) || !validName([]byte(e.Name)) {
				t.Fatalf("Load(%q) returned %+v", in, e)
			}
		}
		New(entries, Options{}) // must not panic on anything Load accepts
	})
}

// FuzzGlobMatch compares globMatch with the equivalent regular expression.
func FuzzGlobMatch(f *testing.F) {
	f.Add("acme-*", "acme-billing")
	f.Add("*a?b*", "xxaxbyy")
	f.Add("a*a*a*b", "aaaaaaaaaa")
	f.Add("*", "*0") // a literal '*' in the name once matched the pattern's star as a literal
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 64 || len(name) > 256 {
			return
		}
		var re bytes.Buffer
		re.WriteString(`^(?s:`)
		for _, c := range []byte(pattern) {
			switch c {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string([]byte{c})))
			}
		}
		re.WriteString(`)$`)
		// Compare bytewise: "." in Go regexps matches a whole UTF-8 rune.
		if !isASCII(pattern) || !isASCII(name) {
			return
		}
		want := regexp.MustCompile(re.String()).MatchString(name)
		if got := globMatch(pattern, name); got != want {
			t.Fatalf("globMatch(%q, %q) = %v, want %v", pattern, name, got, want)
		}
	})
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
