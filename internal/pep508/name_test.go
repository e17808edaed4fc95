package pep508

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"requests", "requests"},
		{"Requests", "requests"},
		{"Foo_Bar", "foo-bar"},
		{"foo.bar", "foo-bar"},
		{"Foo__Bar..Baz", "foo-bar-baz"},
		{"foo-_.bar", "foo-bar"},
		{"-foo-", "-foo-"},
		{"", ""},
		{"foo bar", "foo bar"},
		// Python's str.lower(): full mappings and the final sigma rule.
		{"\u0130stanbul", "i\u0307stanbul"},
		{"\u212aelvin", "kelvin"},
		{"STRASSE", "strasse"},
		{"\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2"},
		{"\u039f\u0394\u039f\u03a3.x", "\u03bf\u03b4\u03bf\u03c2-x"},
		{"\u03a3", "\u03c3"},
		{"a\u03a3b", "a\u03c3b"},
		{"a'\u03a3", "a'\u03c2"},
		{"\U0001d400", "\U0001d400"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidName(t *testing.T) {
	valid := []string{"a", "A", "1", "requests", "Foo_Bar", "a.b-c_d", "zope.interface", "x1"}
	invalid := []string{"", "-a", "a-", "_a", "a_", ".a", "a.", "a b", "\u00e9", "a\u212a", "a/b", "a@b"}
	for _, s := range valid {
		if !ValidName(s) {
			t.Errorf("ValidName(%q) = false, want true", s)
		}
	}
	for _, s := range invalid {
		if ValidName(s) {
			t.Errorf("ValidName(%q) = true, want false", s)
		}
	}
}
