package pep508

import (
	"errors"
	"testing"
)

// markerStringTests are markers with their canonical string.
var markerStringTests = []struct{ in, want string }{
	{`python_version >= "3.8"`, `python_version >= "3.8"`},
	{`python_version>='3.8'`, `python_version >= "3.8"`},
	{"python_version\t>=\t'3.8'", `python_version >= "3.8"`},
	{`os.name == 'posix'`, `os_name == "posix"`},
	{`python_implementation == 'CPython'`, `platform_python_implementation == "CPython"`},
	{`platform.python_implementation == 'CPython'`, `platform_python_implementation == "CPython"`},
	{`'posix' == os_name`, `"posix" == os_name`},
	{`os_name == "a" and os_name == "b" or os_name == "c"`, `os_name == "a" and os_name == "b" or os_name == "c"`},
	{`(os_name == "a" or os_name == "b") and os_name == "c"`, `(os_name == "a" or os_name == "b") and os_name == "c"`},
	{`(os_name == "a") and os_name == "c"`, `os_name == "a" and os_name == "c"`},
	{`((os_name == "a"))`, `os_name == "a"`},
	{`os_name in 'a b'`, `os_name in "a b"`},
	{`'a' not  in os_name`, `"a" not in os_name`},
	{`os_name=='a'and os_name=='b'`, `os_name == "a" and os_name == "b"`},
	// The first comparison with extra is normalised (and only it).
	{`extra == 'Foo_Bar'`, `extra == "foo-bar"`},
	{`'Foo_Bar' == extra`, `"foo-bar" == extra`},
	{`extra == 'A' and extra == 'B_C'`, `extra == "a" and extra == "B_C"`},
	{`extra == extra`, `extra == "extra"`},
	{`os_name == extra`, `"os-name" == extra`},
	{`os_name == sys_platform`, `os_name == sys_platform`},
	// Escapes are decoded as Python does.
	{`os_name == 'a\x41'`, `os_name == "aA"`},
	{`os_name == '\101'`, `os_name == "A"`},
	{`os_name == 'a\db'`, `os_name == "a\db"`},
	// Where packaging's own string would not parse back the same, airlock
	// quotes, escapes or keeps parentheses.
	{`os_name == 'a"b'`, `os_name == 'a"b'`},
	{`os_name == 'a\\b'`, `os_name == "a\\b"`},
	{`os_name == 'a\nb'`, `os_name == "a\nb"`},
	{`os_name == 'a\x22\x27'`, `os_name == "a\x22'"`},
	{`os_name == "a" and ((os_name == "b" or os_name == "c"))`, `os_name == "a" and (os_name == "b" or os_name == "c")`},
	{`(extra == 'Foo') and os_name == 'a'`, `(extra == "Foo") and os_name == "a"`},
	{`((extra == 'A_B'))`, `(extra == "A_B")`},
	{`(extra == 'a' and os_name == 'b')`, `extra == "a" and os_name == "b"`},
}

func TestMarkerString(t *testing.T) {
	for _, tt := range markerStringTests {
		m, err := ParseMarker(tt.in)
		if err != nil {
			t.Errorf("ParseMarker(%q) = error %v", tt.in, err)
			continue
		}
		got := m.String()
		if got != tt.want {
			t.Errorf("ParseMarker(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		again, err := ParseMarker(got)
		if err != nil || again.String() != got {
			t.Errorf("ParseMarker(%q) does not round-trip: %q -> %v, %v", tt.in, got, again, err)
		}
	}
}

var invalidMarkers = []string{
	"", " ", "(", "()", "os_name", "os_name ==", "os_name = 'a'", "os_name <> 'a'",
	"os_name == 'a' and", "os_name == 'a' and (os_name == 'b'", "os_name == 'a' junk",
	"os_name=='a'andos_name=='b'", "'a' notin os_name", "'a' not\nin os_name", "python_versionx == '1'",
	`os_name == 'a\'`, "os_name == 'a\nb'", "os_name == 'a\rb'", "os_name == 'a\x00'", `os_name == '\x4'`,
	`os_name == '\U00110000'`, `os_name == '\N{DIGIT ONE}'`, `os_name == '\ud800'`, "os_name == foo",
}

func TestParseMarkerInvalid(t *testing.T) {
	for _, in := range invalidMarkers {
		if m, err := ParseMarker(in); err == nil {
			t.Errorf("ParseMarker(%q) = %q, want error", in, m)
		}
	}
}

var testEnv = map[string]string{
	"implementation_name":            "cpython",
	"implementation_version":         "3.11.2",
	"os_name":                        "posix",
	"platform_machine":               "x86_64",
	"platform_release":               "6.1.0-18-amd64",
	"platform_system":                "Linux",
	"platform_version":               "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
	"python_full_version":            "3.11.2",
	"platform_python_implementation": "CPython",
	"python_version":                 "3.11",
	"sys_platform":                   "linux",
}

func withEnv(kv ...string) map[string]string {
	env := make(map[string]string, len(testEnv)+len(kv)/2)
	for k, v := range testEnv {
		env[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		marker string
		env    map[string]string
		want   bool
	}{
		{`python_version >= "3.8"`, testEnv, true},
		{`python_version < "3.8"`, testEnv, false},
		{`python_version == "3.11.*"`, testEnv, true},
		{`python_version ~= "3.8"`, testEnv, true},
		{`python_version === "3.11"`, testEnv, true},
		{`python_full_version >= "3.11.2rc1"`, testEnv, true},
		// Pre-releases are allowed in marker comparisons.
		{`python_full_version >= "3.11"`, withEnv("python_full_version", "3.12.0rc1"), true},
		// Versions compare as versions, not text.
		{`python_version > "3.9"`, testEnv, true},
		{`python_version > '3.9' and python_version < '3.12'`, testEnv, true},
		// Not a specifier on the right: string comparison.
		{`os_name == "posix"`, testEnv, true},
		{`os_name < "q"`, testEnv, true},
		{`"linux" in sys_platform`, testEnv, true},
		{`"lin" in sys_platform`, testEnv, true},
		{`sys_platform in "linux darwin"`, testEnv, true},
		{`sys_platform not in "win32 cygwin"`, testEnv, true},
		{`platform_system == "linux"`, testEnv, false},
		{`os_name == "nt" or python_version >= "3"`, testEnv, true},
		{`os_name == "nt" and python_version >= "3" or os_name == "posix"`, testEnv, true},
		{`os_name == "nt" and (python_version >= "3" or os_name == "posix")`, testEnv, false},
		// extra: both sides normalised, missing extra is "".
		{`extra == "Foo_Bar"`, withEnv("extra", "foo-bar"), true},
		{`"Foo.Bar" == extra`, withEnv("extra", "FOO_BAR"), true},
		{`extra == "test"`, testEnv, false},
		{`extra == ""`, testEnv, true},
		// A variable on the right is taken literally; a string on the left
		// makes the right side a variable name.
		{`os_name == sys_platform`, withEnv("os_name", "sys_platform"), true},
		{`"posix" == "os_name"`, testEnv, true},
		{`"bar" == "foo"`, withEnv("foo", "bar"), true},
	}
	for _, tt := range tests {
		m, err := ParseMarker(tt.marker)
		if err != nil {
			t.Errorf("ParseMarker(%q) = error %v", tt.marker, err)
			continue
		}
		got, err := m.Evaluate(tt.env)
		if err != nil || got != tt.want {
			t.Errorf("ParseMarker(%q).Evaluate() = %v, %v; want %v", tt.marker, got, err, tt.want)
		}
	}
}

func TestEvaluateErrors(t *testing.T) {
	tests := []struct {
		marker string
		env    map[string]string
		check  func(error) bool
	}{
		// The left side must be a version when the right side makes a
		// specifier (packaging raises InvalidVersion).
		{`"foo" == python_version`, testEnv, func(err error) bool { return err != nil }},
		{`platform_release >= "5"`, testEnv, func(err error) bool { return err != nil }},
		{`python_version ~= "x"`, testEnv, isUndefinedComparison},
		{`os_name === "a b"`, testEnv, isUndefinedComparison},
		{`python_version == "3"`, map[string]string{}, isUndefinedName},
		{`"a" == "nope"`, testEnv, isUndefinedName},
		// Every comparison is evaluated, even after the answer is known.
		{`python_version >= "3" or "a" == "nope"`, testEnv, isUndefinedName},
		{`os_name == "a"`, withEnv("os_name", string(make([]byte, MaxEnvironmentValueLength+1))), func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		m := MustParseMarker(tt.marker)
		got, err := m.Evaluate(tt.env)
		if !tt.check(err) {
			t.Errorf("ParseMarker(%q).Evaluate() = %v, %v; want a different error", tt.marker, got, err)
		}
	}
}

func isUndefinedComparison(err error) bool {
	_, ok := errors.AsType[*UndefinedComparisonError](err)
	return ok
}

func isUndefinedName(err error) bool {
	_, ok := errors.AsType[*UndefinedEnvironmentNameError](err)
	return ok
}

func TestNilMarker(t *testing.T) {
	var m *Marker
	if ok, err := m.Evaluate(nil); !ok || err != nil {
		t.Errorf("(*Marker)(nil).Evaluate() = %v, %v; want true", ok, err)
	}
	if s := m.String(); s != "" {
		t.Errorf("(*Marker)(nil).String() = %q", s)
	}
}

func TestPipReadsDifferently(t *testing.T) {
	tests := []struct {
		marker string
		want   bool
	}{
		{`sys_platform == "linux"`, false},
		{`sys_platform != "\x6cinux"`, true},
		{`os_name == "a" and sys_platform == 'lin\\ux'`, true},
		{`os_name == "a\db"`, true},
	}
	for _, tt := range tests {
		m := MustParseMarker(tt.marker)
		if got := m.PipReadsDifferently(); got != tt.want {
			t.Errorf("ParseMarker(%q).PipReadsDifferently() = %v, want %v", tt.marker, got, tt.want)
		}
	}
	r := MustParseRequirement(`evil; sys_platform != "\x6cinux"`)
	if !r.Marker.PipReadsDifferently() {
		t.Errorf("requirement marker: PipReadsDifferently() = false")
	}
	if MustParseRequirement("foo").Marker.PipReadsDifferently() {
		t.Errorf("nil marker: PipReadsDifferently() = true")
	}
}
