package pep440

import "testing"

var benchVersions = []string{"1.0", "2.31.0", "1!2.0.0rc1.post2.dev3+local.7", "v1.0-ALPHA", "20240101"}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Parse(benchVersions[i%len(benchVersions)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	vs := make([]Version, len(orderedVersions))
	for i, s := range orderedVersions {
		vs[i] = MustParse(s)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Compare(vs[i%len(vs)], vs[(i*7+3)%len(vs)])
	}
}

func BenchmarkString(b *testing.B) {
	v := MustParse("1!2.0.0rc1.post2.dev3+local.7")
	b.ReportAllocs()
	for b.Loop() {
		_ = v.String()
	}
}

func BenchmarkParseSpecifierSet(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSpecifierSet(">=1.0, <2.0, !=1.5.*, ~=1.2"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkContains(b *testing.B) {
	sets := []SpecifierSet{
		MustParseSpecifierSet(">=1.0,<2.0"),
		MustParseSpecifierSet("==1.5.*"),
		MustParseSpecifierSet("~=1.4.2"),
		MustParseSpecifierSet("!=1.5.1,>1.0"),
	}
	vs := []Version{MustParse("1.5.1"), MustParse("1.4.9"), MustParse("2.0rc1")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sets[i%len(sets)].Contains(vs[i%len(vs)], PrereleasesDefault)
	}
}
