package policy

import (
	"testing"

	"github.com/airlock-dev/airlock/internal/reqfile"
)

// FuzzParse: no policy file makes Parse or New panic.
func FuzzParse(f *testing.F) {
	f.Add(string(defaultPolicy))
	f.Add("version: 1\nallow: [numpy, {name: pandas, versions: '>=2'}]\nrules: {vulnerable: {action: deny, min_severity: high}}\n")
	f.Add("version: 1\ncustom: [{name: a, expr: 'candidate.name == \"x\"', message: m}]\n")
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Parse("fuzz.yaml", []byte(src))
		if err != nil {
			return
		}
		New(c, Data{})
	})
}

// FuzzCheck: no requirements text makes the check panic.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"requests==2.31.0\n", "numpy --index-url https://x/simple\n", "-r ../x.txt\n", "r\u0435quests\n",
		"pkg @ https://x/p.whl ; python_version>'3'\n", "-e .\n", "${X}\n", "--pre\nfoo>=1a1\n", "pip==1\n",
	} {
		f.Add(s)
	}
	p, err := New(Default(), Data{Advisories: testAdvisories(f)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		entries := reqfile.ParseLax("requirements.txt", []byte(text), nil)
		rep := p.Check(CheckOptions{}, Input{Entries: entries, BaseDir: "."})
		if len(rep.Results) != len(entries) {
			t.Fatalf("%d results for %d entries", len(rep.Results), len(entries))
		}
		for _, r := range rep.Results {
			if r.Decision != Allow && len(r.Findings) == 0 {
				t.Fatalf("%v without findings: %+v", r.Decision, r)
			}
		}
	})
}
