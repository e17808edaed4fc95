package pep508

import "testing"

// FuzzParseRequirement checks that parsing never panics and that the
// canonical string parses back to a requirement with the same string.
func FuzzParseRequirement(f *testing.F) {
	for _, tt := range requirementTests {
		f.Add(tt.in)
	}
	for _, s := range invalidRequirements {
		f.Add(s)
	}
	for _, tt := range markerStringTests {
		f.Add("foo; " + tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRequirement(s)
		if err != nil {
			return
		}
		str := r.String()
		again, err := ParseRequirement(str)
		if err != nil {
			t.Fatalf("ParseRequirement(%q).String() = %q, which does not parse: %v", s, str, err)
		}
		if again.String() != str {
			t.Fatalf("ParseRequirement(%q) = %q, re-parsed %q", s, str, again.String())
		}
		if again.Name != r.Name || again.URL != r.URL || again.Specifier.String() != r.Specifier.String() {
			t.Fatalf("ParseRequirement(%q) fields change on re-parse of %q", s, str)
		}
		if r.Marker != nil {
			for _, env := range []map[string]string{testEnv, withEnv("extra", "test"), withEnv("python_version", "2.7", "os_name", "nt")} {
				x, errX := r.Marker.Evaluate(env)
				y, errY := again.Marker.Evaluate(env)
				if x != y || (errX == nil) != (errY == nil) {
					t.Fatalf("marker of %q evaluates %v/%v, re-parsed %v/%v", s, x, errX, y, errY)
				}
			}
		}
	})
}

// FuzzParseMarker checks that parsing and evaluation never panic and that
// the canonical string is stable.
func FuzzParseMarker(f *testing.F) {
	for _, tt := range markerStringTests {
		f.Add(tt.in)
	}
	for _, s := range invalidMarkers {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMarker(s)
		if err != nil {
			return
		}
		m.Evaluate(testEnv)
		str := m.String()
		again, err := ParseMarker(str)
		if err != nil {
			t.Fatalf("ParseMarker(%q).String() = %q, which does not parse: %v", s, str, err)
		}
		if again.String() != str {
			t.Fatalf("ParseMarker(%q) = %q, re-parsed %q", s, str, again.String())
		}
	})
}

// FuzzNormalize checks that Normalize is idempotent and never panics.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Foo__Bar", "\u039f\u0394\u039f\u03a3", "\u0130", "a-_.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Fatalf("Normalize(%q) = %q, but Normalize of that is %q", s, n, Normalize(n))
		}
		if ValidName(s) && !ValidName(n) {
			t.Fatalf("ValidName(%q) but not its normal form %q", s, n)
		}
	})
}
