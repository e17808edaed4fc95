package pep508

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// requirementTests are requirements packaging accepts, with str(Requirement)
// (airlock's canonical form, which is packaging's except where noted).
var requirementTests = []struct {
	in, want string
	name     string
	extras   []string
	spec     string
	url      string
	marker   string
}{
	{"requests", "requests", "requests", nil, "", "", ""},
	{"  requests  ", "requests", "requests", nil, "", "", ""},
	{"requests>=2.31", "requests>=2.31", "requests", nil, ">=2.31", "", ""},
	{"requests >= 2.31 , < 3", "requests<3,>=2.31", "requests", nil, "<3,>=2.31", "", ""},
	{"requests (>=2.31,<3)", "requests<3,>=2.31", "requests", nil, "<3,>=2.31", "", ""},
	{"requests()", "requests", "requests", nil, "", "", ""},
	{"requests[socks]", "requests[socks]", "requests", []string{"socks"}, "", "", ""},
	{"requests[ socks , Security ]>=2", "requests[Security,socks]>=2", "requests", []string{"Security", "socks"}, ">=2", "", ""},
	{"requests[b,a,b]", "requests[a,b]", "requests", []string{"a", "b"}, "", "", ""},
	{"requests[]", "requests", "requests", nil, "", "", ""},
	{"Foo_Bar.baz-1", "Foo_Bar.baz-1", "Foo_Bar.baz-1", nil, "", "", ""},
	// \b in packaging's pattern lets a name end in "_".
	{"foo_", "foo_", "foo_", nil, "", "", ""},
	{"foo>=1.0,", "foo>=1.0", "foo", nil, ">=1.0", "", ""},
	{"foo\n", "foo", "foo", nil, "", "", ""},
	{"foo===", "foo===", "foo", nil, "===", "", ""},
	// === swallows commas; the set is split afterwards.
	{"foo===a,>=1", "foo===a,>=1", "foo", nil, "===a,>=1", "", ""},
	{"foo>=\u00a01.0", "foo>=1.0", "foo", nil, ">=1.0", "", ""},
	{"foo==1.0.*", "foo==1.0.*", "foo", nil, "==1.0.*", "", ""},
	{"foo>=1; python_version >= '3.8'", `foo>=1; python_version >= "3.8"`, "foo", nil, ">=1", "", `python_version >= "3.8"`},
	{"foo;os_name=='posix'", `foo; os_name == "posix"`, "foo", nil, "", "", `os_name == "posix"`},
	{"foo @ https://example.com/foo.whl", "foo@ https://example.com/foo.whl", "foo", nil, "", "https://example.com/foo.whl", ""},
	{"foo@https://example.com/foo.whl ; os_name == 'a'", `foo@ https://example.com/foo.whl ; os_name == "a"`, "foo", nil, "", "https://example.com/foo.whl", `os_name == "a"`},
	{"foo[x] @ git+https://github.com/a/b.git@v1#egg=foo", "foo[x]@ git+https://github.com/a/b.git@v1#egg=foo", "foo", []string{"x"}, "", "git+https://github.com/a/b.git@v1#egg=foo", ""},
	{"foo @ file:///tmp/foo.whl", "foo@ file:///tmp/foo.whl", "foo", nil, "", "file:///tmp/foo.whl", ""},
	{"foo @ http://[::1]:8000/x", "foo@ http://[::1]:8000/x", "foo", nil, "", "http://[::1]:8000/x", ""},
	{"foo @ http://[fe80::1%eth0]/x", "foo@ http://[fe80::1%eth0]/x", "foo", nil, "", "http://[fe80::1%eth0]/x", ""},
	// The URL runs to the next space or tab, ";" included.
	{"foo @ http://x;y", "foo@ http://x;y", "foo", nil, "", "http://x;y", ""},
	{"foo; extra == 'Foo_Bar'", `foo; extra == "foo-bar"`, "foo", nil, "", "", `extra == "foo-bar"`},
}

var invalidRequirements = []string{
	"",
	" ",
	"_foo",
	"-foo",
	"foo.",
	"foo bar",
	"foo\n\n",
	"f\u00e9o",
	"foo[a b]",
	"foo[a,]",
	"foo[",
	"foo (>=1",
	"foo>=1 ; ",
	"foo;",
	"foo; os_name == 'a' junk",
	"foo>=1.0a1b2",
	"foo>=1.0 os_name=='a'",
	"foo==1.0.*.0",
	"foo===a,b",
	"foo~=1",
	"foo @",
	"foo @ ",
	"foo @ x",
	"foo @ http://",
	"foo @ http:///x",
	"foo @ http://x;os_name == 'a'",
	"foo @ file:/tmp/x",
	"foo @ FILE:///tmp/x",
	"foo @ file:///tmp/x?",
	"foo @ http://[::1/x",
	"foo @ http://[1.2.3.4]/x",
	"foo @ http://[vz.x]/x",
	"foo @ http://a[::1]/x",
	"foo @ http://\u2100/x",
	"foo; os_name == '\\N{DIGIT ONE}'",
	"foo; os_name == '\\ud800'",
	"foo; os_name == 'a\\'",
	strings.Repeat("a", MaxRequirementLength+1),
}

func TestParseRequirement(t *testing.T) {
	for _, tt := range requirementTests {
		r, err := ParseRequirement(tt.in)
		if err != nil {
			t.Errorf("ParseRequirement(%q) = error %v", tt.in, err)
			continue
		}
		if got := r.String(); got != tt.want {
			t.Errorf("ParseRequirement(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if r.Name != tt.name {
			t.Errorf("ParseRequirement(%q).Name = %q, want %q", tt.in, r.Name, tt.name)
		}
		if !slices.Equal(r.Extras, tt.extras) {
			t.Errorf("ParseRequirement(%q).Extras = %q, want %q", tt.in, r.Extras, tt.extras)
		}
		if got := r.Specifier.String(); got != tt.spec {
			t.Errorf("ParseRequirement(%q).Specifier = %q, want %q", tt.in, got, tt.spec)
		}
		if r.URL != tt.url {
			t.Errorf("ParseRequirement(%q).URL = %q, want %q", tt.in, r.URL, tt.url)
		}
		gotMarker := ""
		if r.Marker != nil {
			gotMarker = r.Marker.String()
		}
		if gotMarker != tt.marker {
			t.Errorf("ParseRequirement(%q).Marker = %q, want %q", tt.in, gotMarker, tt.marker)
		}
		again, err := ParseRequirement(r.String())
		if err != nil || again.String() != r.String() {
			t.Errorf("ParseRequirement(%q) does not round-trip: %q, %v", tt.in, r.String(), err)
		}
	}
}

func TestParseRequirementInvalid(t *testing.T) {
	for _, in := range invalidRequirements {
		r, err := ParseRequirement(in)
		if err == nil {
			t.Errorf("ParseRequirement(%q) = %q, want error", in, r)
			continue
		}
		if _, ok := errors.AsType[*SyntaxError](err); !ok {
			t.Errorf("ParseRequirement(%q) error %T, want *SyntaxError", in, err)
		}
	}
}

func TestCanonicalName(t *testing.T) {
	r := MustParseRequirement("Foo.Bar_baz>=1")
	if got := r.CanonicalName(); got != "foo-bar-baz" {
		t.Errorf("CanonicalName() = %q", got)
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, err := ParseRequirement("foo>=1.0 bar")
	se, ok := errors.AsType[*SyntaxError](err)
	if !ok {
		t.Fatalf("error %T %v", err, err)
	}
	if se.Start != 3 || !strings.Contains(se.Msg, "Expected end or semicolon") {
		t.Errorf("SyntaxError = %+v", se)
	}
}
