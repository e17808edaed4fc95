package advisory

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/pep440"
)

// realDB loads the PyPA advisory database named by AIRLOCK_TEST_ADVISORY_DB
// once for all the tests that use it.
var realDB = sync.OnceValues(func() (*Index, error) {
	return LoadFS(os.DirFS(os.Getenv("AIRLOCK_TEST_ADVISORY_DB")))
})

func realDBDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AIRLOCK_TEST_ADVISORY_DB")
	if dir == "" {
		t.Skip("AIRLOCK_TEST_ADVISORY_DB is not set: .ci/run points it at ../shared/data/advisory-database (the PyPA advisory database)")
	}
	return dir
}

func TestRealDatabase(t *testing.T) {
	dir := realDBDir(t)
	start := time.Now()
	ix, err := realDB()
	if err != nil {
		t.Fatalf("loading %s: %v", dir, err)
	}
	t.Logf("loaded %+v in %v", ix.Stats(), time.Since(start))

	files := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st := ix.Stats()
	if st.Records != files || st.Problems != 0 || files < 2000 {
		t.Errorf("read %d records with %d problems (%v); the tree holds %d YAML files", st.Records, st.Problems, st.ProblemList, files)
	}
	if st.Withdrawn == 0 || st.Packages < 600 {
		t.Errorf("stats %+v: want some withdrawn records and over 600 packages", st)
	}

	// The seed case.
	var hit *Vuln
	for _, v := range ix.AffectedBy("requests", pep440.MustParse("2.25.0")) {
		if v.ID == "PYSEC-2023-74" {
			hit = v
		}
	}
	if hit == nil {
		t.Fatal("requests 2.25.0 is not affected by PYSEC-2023-74")
	}
	if !slices.Contains(hit.Aliases, "CVE-2023-32681") || !slices.Equal(hit.FixedStrings(), []string{"2.31.0"}) {
		t.Errorf("PYSEC-2023-74: aliases %v, fixed %v; want CVE-2023-32681, fixed in 2.31.0", hit.Aliases, hit.FixedStrings())
	}
	a := ix.Assess("requests", pep440.MustParseSpecifierSet("==2.25.0"), pep440.PrereleasesDefault, Options{})
	if a.Kind != KindAll || a.Suggestion != "requests>=2.31.0" || !slices.Contains(a.Fixed, "2.31.0") {
		t.Errorf("Assess(requests==2.25.0) = %v, fixed %v, suggestion %q; want all, 2.31.0, requests>=2.31.0", a.Kind, a.Fixed, a.Suggestion)
	}
	if got := ix.AffectedBy("requests", pep440.MustParse("2.31.0")); len(got) != 0 {
		t.Errorf("requests 2.31.0 is affected by %v", got[0].ID)
	}

	// Every entry's notes name the record, and each assessment of a
	// package's whole range holds up (evidence checked as in TestAssess).
	for _, p := range ix.Packages() {
		for _, v := range ix.Lookup(p) {
			for _, n := range v.Notes {
				if !strings.Contains(n, ": ") {
					t.Errorf("%s: note without a record id: %q", v.ID, n)
				}
			}
		}
		checkAssessment(t, ix, p, pep440.SpecifierSet{}, pep440.PrereleasesDefault, ix.Assess(p, pep440.SpecifierSet{}, pep440.PrereleasesDefault, Options{}))
	}
}

// TestDifferentialAgainstPython compares AffectedBy with an independent
// evaluator (testdata/osv_eval.py: the OSV pseudocode, one version at a
// time, with packaging 23) on versions drawn from the real records'
// boundaries and versions lists, and their neighbours.
func TestDifferentialAgainstPython(t *testing.T) {
	dir := realDBDir(t)
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import packaging.version, yaml").Run(); err != nil {
		t.Skip("/usr/bin/python3 with python3-packaging and python3-yaml is needed (make test-deps installs them)")
	}
	ix, err := realDB()
	if err != nil {
		t.Fatal(err)
	}

	type query struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	var bases []query // package names and version texts from the records
	seen := map[query]bool{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		r, err := ParseYAML(data)
		if err != nil {
			return nil // counted by TestRealDatabase
		}
		for _, a := range r.Affected {
			var texts []string
			for _, rg := range a.Ranges {
				for _, e := range rg.Events {
					texts = append(texts, e.Introduced, e.Fixed, e.LastAffected, e.Limit)
				}
			}
			texts = append(texts, a.Versions...)
			for _, s := range texts {
				if q := (query{a.Package.Name, s}); s != "" && s != "0" && !seen[q] {
					seen[q] = true
					bases = append(bases, q)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 440))
	rng.Shuffle(len(bases), func(i, j int) { bases[i], bases[j] = bases[j], bases[i] })

	// Each text and its neighbours, as many unaffected versions as affected
	// ones (by airlock's own answer, which only chooses the sample; the
	// comparison is independent).
	var qs []query
	counts := map[bool]int{}
	for _, base := range bases {
		if counts[true] >= 400 && counts[false] >= 400 {
			break
		}
		for _, variant := range []string{"", ".post1", "rc1", ".dev0", "+local", ".0.1"} {
			w, err := pep440.Parse(base.Version + variant)
			if err != nil {
				continue
			}
			q := query{base.Name, w.String()}
			if hit := len(ix.AffectedBy(q.Name, w)) > 0; counts[hit] < 400 {
				counts[hit]++
				qs = append(qs, q)
			}
		}
	}

	in := filepath.Join(t.TempDir(), "queries.jsonl")
	var b strings.Builder
	for _, q := range qs {
		line, _ := json.Marshal(q)
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "testdata/osv_eval.py", dir, in)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("osv_eval.py: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<20)
	i, affected, mismatches := 0, 0, 0
	for sc.Scan() {
		if i >= len(qs) {
			t.Fatal("osv_eval.py printed too many lines")
		}
		q := qs[i]
		i++
		var want [][]string
		if err := json.Unmarshal(sc.Bytes(), &want); err != nil {
			t.Fatalf("osv_eval.py: %v", err)
		}
		var got [][]string
		for _, v := range ix.AffectedBy(q.Name, pep440.MustParse(q.Version)) {
			ids := v.IDs()
			slices.Sort(ids)
			got = append(got, ids)
		}
		slices.SortFunc(got, slices.Compare)
		if len(got) > 0 {
			affected++
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			mismatches++
			if mismatches <= 20 {
				t.Errorf("%s %s: airlock finds %v, the independent evaluator %v", q.Name, q.Version, got, want)
			}
		}
	}
	if i != len(qs) {
		t.Fatalf("osv_eval.py answered %d of %d queries", i, len(qs))
	}
	t.Logf("%d package versions compared (%d affected by something): %d mismatches", len(qs), affected, mismatches)
	if affected < len(qs)/4 || affected == len(qs) {
		t.Errorf("the sample is lopsided: %d of %d affected", affected, len(qs))
	}
}

func BenchmarkAssessRealDatabase(b *testing.B) {
	if os.Getenv("AIRLOCK_TEST_ADVISORY_DB") == "" {
		b.Skip("AIRLOCK_TEST_ADVISORY_DB is not set")
	}
	ix, err := realDB()
	if err != nil {
		b.Fatal(err)
	}
	specs := []pep440.SpecifierSet{
		pep440.MustParseSpecifierSet(">=2.0"),
		pep440.MustParseSpecifierSet("==2.25.0"),
		pep440.MustParseSpecifierSet("~=3.1"),
	}
	names := []string{"django", "requests", "pillow", "tensorflow", "numpy", "jinja2", "urllib3", "unknown-package"}
	for i := 0; b.Loop(); i++ {
		ix.Assess(names[i%len(names)], specs[i%len(specs)], pep440.PrereleasesDefault, Options{})
	}
}
