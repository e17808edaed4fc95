package pep508

import "testing"

var benchRequirements = []string{
	"requests",
	"requests[socks]>=2.31.0,<3",
	`numpy>=1.24; python_version >= "3.9" and platform_machine != "arm64"`,
	"foo @ https://example.com/foo-1.0-py3-none-any.whl",
	"Django (>=4.2, <5.0)",
}

func BenchmarkParseRequirement(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := ParseRequirement(benchRequirements[i%len(benchRequirements)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMarker(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMarker(`python_version >= "3.9" and (sys_platform == "linux" or extra == "test")`); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarkerEvaluate(b *testing.B) {
	m := MustParseMarker(`python_version >= "3.9" and (sys_platform == "linux" or extra == "test")`)
	env := withEnv("extra", "test")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Evaluate(env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Normalize("Foo_Bar.Baz")
	}
}
