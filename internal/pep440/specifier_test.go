package pep440

import (
	"errors"
	"strings"
	"testing"
)

var parseSpecifierTests = []struct {
	in, op, version string
}{
	{">=1.0", ">=", "1.0"},
	{" >= 1.0 ", ">=", "1.0"},
	{">=\u00a01.0", ">=", "1.0"},
	{"==1.0.*", "==", "1.0.*"},
	{"== 1.0.*", "==", "1.0.*"},
	{"!=1.0.*", "!=", "1.0.*"},
	{"==v1!1.0.*", "==", "v1!1.0.*"},
	{"==1.0+local", "==", "1.0+local"},
	{"!=1.0+local", "!=", "1.0+local"},
	{"~=1.0", "~=", "1.0"},
	{"~=1.0.0a1", "~=", "1.0.0a1"},
	{"~=1.0.post1.dev1", "~=", "1.0.post1.dev1"},
	{"<1.0", "<", "1.0"},
	{">1.0", ">", "1.0"},
	{"<=1.0", "<=", "1.0"},
	{"<1.0rc1", "<", "1.0rc1"},
	{">V1.0-1", ">", "V1.0-1"},
	{"===foo", "===", "foo"},
	{"=== foo", "===", "foo"},
	{"===1.0+anything-GOES_here", "===", "1.0+anything-GOES_here"},
	{"===", "===", ""},
	{"==1.0A1", "==", "1.0A1"},
}

var invalidSpecifiers = []string{
	"",
	"1.0",
	"=1.0",
	"= =1.0",
	"=>1.0",
	"==",
	">=",
	"~=1",
	"~=1.*",
	"~=1.0.*",
	"~=1.0+local",
	">=1.0+local",
	"<1.0.*",
	">=1.0.*",
	"==1.0a1.*",
	"==1.0.post1.*",
	"==1.0+local.*",
	"==1.*.0",
	"==1.0 .*",
	"==foo",
	"===foo bar",
	"===foo;",
	"===foo)",
	">= 1.0 2",
	">=1.0,<2",
	"<>1.0",
	"== =1.0",
	"\u2265 1.0",
}

func TestParseSpecifier(t *testing.T) {
	for _, tt := range parseSpecifierTests {
		s, err := ParseSpecifier(tt.in)
		if err != nil {
			t.Errorf("ParseSpecifier(%q) = error %v", tt.in, err)
			continue
		}
		if s.Op != tt.op || s.Version != tt.version {
			t.Errorf("ParseSpecifier(%q) = {%q %q}, want {%q %q}", tt.in, s.Op, s.Version, tt.op, tt.version)
		}
		if got, want := s.String(), tt.op+tt.version; got != want {
			t.Errorf("ParseSpecifier(%q).String() = %q, want %q", tt.in, got, want)
		}
	}
	for _, in := range invalidSpecifiers {
		if s, err := ParseSpecifier(in); err == nil {
			t.Errorf("ParseSpecifier(%q) = %q, want error", in, s)
		} else if _, ok := errors.AsType[*InvalidSpecifierError](err); !ok {
			t.Errorf("ParseSpecifier(%q) error %T, want *InvalidSpecifierError", in, err)
		}
	}
}

func TestParseSpecifierSet(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{",", ""},
		{" , ,", ""},
		{">=1.0", ">=1.0"},
		{">=1.0,<2", "<2,>=1.0"},
		{" >= 1.0 , < 2 ", "<2,>=1.0"},
		{">=1.0,,<2", "<2,>=1.0"},
		{">=1.0,", ">=1.0"},
		// Duplicates are dropped (the first spelling wins), comparing
		// versions once normalised, trailing zeros ignored except for ~=.
		{">=1.0,>=1.0.0", ">=1.0"},
		{">=1.0.0,>=1.0", ">=1.0.0"},
		{"==v1.0,==1", "==v1.0"},
		{"~=1.0,~=1.0.0", "~=1.0,~=1.0.0"},
		{"===1.0,===1.0.0", "===1.0"},
		{"===Foo,===foo", "===Foo,===foo"},
		{"==1.0.*,==1.0.0.*", "==1.0.*,==1.0.0.*"},
		{"!=1.0,==1.0", "!=1.0,==1.0"},
		{"<2,>1,!=1.5,~=1.1,===1.3", "!=1.5,<2,===1.3,>1,~=1.1"},
	}
	for _, tt := range tests {
		s, err := ParseSpecifierSet(tt.in)
		if err != nil {
			t.Errorf("ParseSpecifierSet(%q) = error %v", tt.in, err)
			continue
		}
		if got := s.String(); got != tt.want {
			t.Errorf("ParseSpecifierSet(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if got := s.IsEmpty(); got != (tt.want == "") {
			t.Errorf("ParseSpecifierSet(%q).IsEmpty() = %v", tt.in, got)
		}
		var parts []string
		for _, sp := range s.Specifiers() {
			parts = append(parts, sp.String())
		}
		if got := strings.Join(parts, ","); got != tt.want {
			t.Errorf("ParseSpecifierSet(%q).Specifiers() = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{">=1.0;", ">=1.0 <2", ">=1.0,foo", "===a,b", ">=1.0,=<2", strings.Repeat(">=1,", 1100)} {
		if s, err := ParseSpecifierSet(in); err == nil {
			t.Errorf("ParseSpecifierSet(%q) = %q, want error", in, s)
		}
	}
}

const (
	none  = PrereleasesDefault
	allow = PrereleasesAllow
	deny  = PrereleasesExclude
)

// containsTests are SpecifierSet(spec).contains(version, prereleases).
var containsTests = []struct {
	spec, version string
	pre           Prereleases
	want          bool
}{
	// The empty set admits finals and, only when asked, pre-releases.
	{"", "1.0", none, true},
	{"", "1.0a1", none, false},
	{"", "1.0a1", allow, true},
	{"", "1.0.dev1", deny, false},
	// Ordering operators.
	{">=1.0", "1.0", none, true},
	{">=1.0", "0.9", none, false},
	{">=1.0", "1.0+local", none, true},
	{">=1.0", "2.0a1", none, false},
	{">=1.0", "2.0a1", allow, true},
	{">=1.0a1", "2.0a1", none, true},
	{">=1.0a1", "2.0a1", deny, false},
	{"<=1.0", "1.0+local", none, true},
	{"<=1.0", "1.0.post1", none, false},
	// < excludes pre-releases of the version named, unless it names one.
	{"<1.0", "1.0rc1", allow, false},
	{"<1.0", "1.0.dev1", allow, false},
	{"<1.0", "0.9rc1", allow, true},
	{"<1.0rc2", "1.0rc1", none, false}, // < never turns pre-releases on
	{"<1.0rc2", "1.0rc1", allow, true},
	{"<1.0", "1.0+local", none, false},
	{"<1.0", "0.9+local", none, true},
	// > excludes post-releases and local versions of the version named.
	{">1.0", "1.0.post1", none, false},
	{">1.0", "1.0+local", none, false},
	{">1.0", "1.0.1", none, true},
	{">1.0", "1.0.1+local", none, true},
	{">1.0.post1", "1.0.post2", none, true},
	{">1.0.post1", "1.0.post1+local", none, false},
	{">1.0", "1.1.post1", none, true},
	// == without a local label ignores the candidate's local label; with
	// one it must match exactly.
	{"==1.0", "1.0+local", none, true},
	{"==1.0", "1.0.0", none, true},
	{"==1.0+local", "1.0", none, false},
	{"==1.0+local", "1.0+LOCAL", none, true},
	{"==1.0+local", "1.0+local.1", none, false},
	{"!=1.0", "1.0+local", none, false},
	{"!=1.0+local", "1.0", none, true},
	// Prefix matching.
	{"==1.0.*", "1.0", none, true},
	{"==1.0.*", "1", none, true},
	{"==1.0.*", "1.0.5", none, true},
	{"==1.0.*", "1.0.5+local", none, true},
	{"==1.0.*", "1.1", none, false},
	{"==1.0.*", "1.0a1", none, false},
	{"==1.0.*", "1.0a1", allow, true},
	{"==1.0.*", "1.0.post1", none, true},
	{"==1.*", "1.0.dev1", allow, true},
	{"==1.0.0.*", "1", none, true},
	{"==1!1.0.*", "1!1.0.1", none, true},
	// With an epoch the candidate is not padded with zeros: packaging
	// quirk.
	{"==1!1.0.*", "1!1.0", none, false},
	{"==1!1.0.*", "1!1", none, false},
	{"!=1.0.*", "1.0.5", none, false},
	{"!=1.0.*", "1.1", none, true},
	{"!=1.0.*", "1.0a1", allow, false},
	// Compatible release.
	{"~=1.4.5", "1.4.5", none, true},
	{"~=1.4.5", "1.4.9", none, true},
	{"~=1.4.5", "1.5.0", none, false},
	{"~=1.4", "1.9", none, true},
	{"~=1.4", "2.0", none, false},
	{"~=1.4.5a4", "1.4.5", none, true},
	{"~=1.4.5a4", "1.4.5a5", none, true},
	{"~=1.4.5a4", "1.4.6a1", none, true},
	{"~=1.4.5a4", "1.5", none, false},
	{"~=1.0.post1", "1.0.post2", none, true},
	{"~=1.0.post1", "1.0", none, false},
	{"~=1.0.post1", "1.5", none, true},
	{"~=1.0.0.pre1", "1.0.0.5", allow, true},
	{"~=1.0.0.pre1", "1.0.5", allow, false},
	// "pre" after a dot is not a suffix for packaging's ~=: quirk.
	{"~=1.0.pre1", "1.5", allow, false},
	{"~=1.0rc1", "1.5", allow, true},
	{"~=1!1.0", "1!1.5", none, true},
	{"~=1!1.0", "1.5", none, false},
	{"~=1.0", "1.0+local", none, true},
	// Arbitrary equality compares the normalised candidate as text.
	{"===1.0", "1.0", none, true},
	{"===1.0", "1.0.0", none, false},
	{"===1.0.0", "1.0", none, false},
	{"===1.0", "1.0+local", none, false},
	{"===1.0A1", "1.0a1", none, true},
	{"===1.0a1", "1.0a1", none, true},
	{"===v1.0", "1.0", none, false},
	{"===foo", "1.0", allow, false},
	// Sets.
	{">=1.0,<2.0", "1.5", none, true},
	{">=1.0,<2.0", "2.0", none, false},
	{">=1.0,!=1.5", "1.5", none, false},
	{">=1.0,!=1.5", "1.5.1", none, true},
	{">=1.0,<2.0", "1.5a1", none, false},
	{">=1.0a1,<2.0", "1.5a1", none, true},
	{">=1.0,<2.0a1", "1.5a1", none, false},
	{">=1.0,<=2.0a1", "1.5a1", none, true},
	{"!=1.0a1", "1.5a1", none, false},
	{">1.0a1", "1.5a1", none, false},
	{"<1.0a1", "0.5a1", none, false},
	{"==1.0a1.dev1", "1.0a1.dev1", none, true},
	{"==1.0.*,!=1.0.1", "1.0.1", none, false},
	{"==1.0.*,!=1.0.1", "1.0.2", none, true},
}

func TestContains(t *testing.T) {
	for _, tt := range containsTests {
		set, err := ParseSpecifierSet(tt.spec)
		if err != nil {
			t.Errorf("ParseSpecifierSet(%q) = error %v", tt.spec, err)
			continue
		}
		v := MustParse(tt.version)
		if got := set.Contains(v, tt.pre); got != tt.want {
			t.Errorf("ParseSpecifierSet(%q).Contains(%q, %v) = %v, want %v", tt.spec, tt.version, tt.pre, got, tt.want)
		}
		if set.Len() == 1 {
			sp := set.Specifiers()[0]
			if got := sp.Contains(v, tt.pre); got != tt.want {
				t.Errorf("Specifier(%q).Contains(%q, %v) = %v, want %v", sp, tt.version, tt.pre, got, tt.want)
			}
		}
	}
}

// TestMatchErrors covers the places where packaging raises.
func TestMatchErrors(t *testing.T) {
	tests := []struct {
		spec, version string
		pre           Prereleases
		wantErr       bool
		want          bool
	}{
		// Specifier.prereleases parses the text of ===.
		{"===foo", "1.0", none, true, false},
		{"===foo", "1.0", allow, false, false},
		{"===foo", "1.0", deny, false, false},
		{"===", "1.0", none, true, false},
		{"===1.0", "1.0", none, false, true},
		{"===foo,>=1", "1.0", none, true, false},
		// Order-dependent in packaging; airlock always raises.
		{"===foo,>=1a1", "1.0", none, true, false},
		// Re-parsing the public version fails for a label with U+0130.
		{">=1.0", "1.0prev\u0130ew1", allow, true, false},
		{"==1.0", "1.0prev\u0130ew1", allow, true, false},
		{"<1.0", "1.0prev\u0130ew1", allow, false, false},
		{"==1.0.*", "1.0prev\u0130ew1", allow, false, true},
	}
	for _, tt := range tests {
		set := MustParseSpecifierSet(tt.spec)
		got, err := set.Match(MustParse(tt.version), tt.pre)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSpecifierSet(%q).Match(%q, %v) = %v, %v; want %v, error %v", tt.spec, tt.version, tt.pre, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSpecifierTextMarshaling(t *testing.T) {
	var s SpecifierSet
	if err := s.UnmarshalText([]byte(">=1, <2")); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.MarshalText(); string(b) != "<2,>=1" {
		t.Errorf("MarshalText() = %q", b)
	}
	var sp Specifier
	if err := sp.UnmarshalText([]byte(" ~= 1.1 ")); err != nil || sp.String() != "~=1.1" {
		t.Errorf("UnmarshalText = %v, %v", sp, err)
	}
	if err := sp.UnmarshalText([]byte("~1")); err == nil {
		t.Errorf("UnmarshalText(~1) succeeded")
	}
}

func TestSpecifierSetPrereleases(t *testing.T) {
	tests := []struct {
		spec    string
		want    bool
		wantErr bool
	}{
		{"", false, false},
		{">=1.0", false, false},
		{">=1.0a1", true, false},
		{"==1.0.*", false, false},
		{"==1.0.dev1", true, false},
		{"<1.0a1", false, false},
		{">1.0a1", false, false},
		{"!=1.0a1", false, false},
		{"~=1.0b1", true, false},
		{"===1.0a1", true, false},
		{"===foo", false, true},
		{">=1.0,<=2.0a1", true, false},
	}
	for _, tt := range tests {
		set, err := ParseSpecifierSet(tt.spec)
		if err != nil {
			t.Fatalf("ParseSpecifierSet(%q): %v", tt.spec, err)
		}
		got, err := set.Prereleases()
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseSpecifierSet(%q).Prereleases() = %v, %v; want %v, error %v", tt.spec, got, err, tt.want, tt.wantErr)
		}
	}
}
