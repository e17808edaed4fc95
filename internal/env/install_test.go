package env

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

// These tests run the whole pipeline: the real pip 23 in bwrap sandboxes,
// the in-process proxy over the test upstream, the default policy with the
// advisory fixtures in testdata/advisories, and the real inspection.

func TestInstallWithDependencies(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(
		testpypi.Wheel{Name: "webapp-kit", Version: "1.0", Deps: []string{"helper-lib>=1", "format-lib; python_version >= '3'", "never-lib; python_version < '3'"},
			Files:          map[string]string{"webapp_kit/__init__.py": "__version__ = '1.0'\ndef main():\n    print('hello from webapp-kit')\n"},
			ConsoleScripts: map[string]string{"webapp-kit": "webapp_kit:main"}},
		testpypi.Wheel{Name: "helper-lib", Version: "1.2", Deps: []string{"format-lib<3"}},
		testpypi.Wheel{Name: "format_lib", Version: "2.0"},
		testpypi.Wheel{Name: "format_lib", Version: "3.0"},
	)
	e := fx.create("work")
	res := fx.mustInstall(e, "webapp-kit>=1")
	var got []string
	for _, p := range res.Installed {
		got = append(got, p.Name+" "+p.Version+" "+p.Reason())
	}
	want := []string{
		"format-lib 2.0 dependency: webapp-kit 1.0 → format-lib 2.0",
		"helper-lib 1.2 dependency: webapp-kit 1.0 → helper-lib 1.2",
		"webapp-kit 1.0 requested as webapp-kit>=1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("installed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The lock says the same, with the files' hashes.
	lock, err := e.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if len(lock.Packages) != 3 || lock.Find("helper-lib").SHA256 != fx.up.SHA256("helper_lib-1.2-py3-none-any.whl") ||
		lock.Find("webapp-kit").InstallID != res.ID || lock.Find("webapp-kit").InstalledAt.IsZero() {
		t.Errorf("lock: %+v", lock.Packages)
	}

	// Importable, and the console script's shebang works, in a sandbox
	// with the venv read-only, as airlock run --env runs code.
	out := fx.python(e, "import webapp_kit, helper_lib, format_lib; print(webapp_kit.__version__, helper_lib.__version__, format_lib.__version__)")
	if strings.TrimSpace(out.Stdout) != "1.0 1.2 2.0" || out.ExitCode != 0 {
		t.Errorf("import: %+v", out)
	}
	out = fx.python(e, "import subprocess; print(subprocess.run(['webapp-kit'], capture_output=True, text=True).stdout)")
	if !strings.Contains(out.Stdout, "hello from webapp-kit") {
		t.Errorf("console script: %+v", out)
	}

	// Asking again changes nothing and runs no install.
	before := treeHash(t, e)
	again := fx.install(e, "webapp-kit")
	if again.Outcome != Unchanged || len(again.Releases) != 0 {
		t.Errorf("second install: %s", describe(again))
	}
	if treeHash(t, e) != before {
		t.Error("an unchanged install changed the environment")
	}

	// Every install was audited.
	data, err := os.ReadFile(filepath.Join(fx.data, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("audit log has %d records, want 2", len(lines))
	}
	var rec Result
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec.ID != res.ID || rec.Outcome != Installed || len(rec.Installed) != 3 {
		t.Errorf("audit record: %v %s", err, lines[0])
	}
}

// refused installs a request that must be refused with outcome want, and
// checks that the environment did not change.
func (fx *fixture) refused(e *Env, want Outcome, reqs ...string) *Result {
	fx.t.Helper()
	before := treeHash(fx.t, e)
	res := fx.install(e, reqs...)
	if res.Outcome != want {
		fx.t.Fatalf("install %q: outcome %s, want %s\n%s", reqs, res.Outcome, want, describe(res))
	}
	if after := treeHash(fx.t, e); after != before {
		fx.t.Errorf("install %q (%s) changed the environment", reqs, res.Outcome)
	}
	if ents, _ := filepath.Glob(filepath.Join(e.Dir(), stagingPrefix+"*")); len(ents) > 0 {
		fx.t.Errorf("staging directories left behind: %v", ents)
	}
	return res
}

// finding returns the first finding of rule, or fails.
func finding(t *testing.T, res *Result, rule policy.Rule) policy.Finding {
	t.Helper()
	for _, f := range res.Findings() {
		if f.Rule == rule {
			return f
		}
	}
	t.Fatalf("no %s finding:\n%s", rule, describe(res))
	return policy.Finding{}
}

func TestInstallRefusesVulnerable(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(
		testpypi.Wheel{Name: "vulnlib", Version: "1.5"},
		testpypi.Wheel{Name: "vulnlib", Version: "2.1"},
		testpypi.Wheel{Name: "app-core", Version: "1.0", Deps: []string{"vulnlib<2"}},
	)
	e := fx.create("work")

	// A vulnerable pin is refused before anything is resolved.
	res := fx.refused(e, Denied, "vulnlib==1.5")
	f := finding(t, res, policy.RuleVulnerable)
	if !strings.Contains(strings.Join(f.Advisories, " "), "PYSEC-2099-42") || f.Suggestion != "vulnlib>=2.0" {
		t.Errorf("finding: %+v", f)
	}
	if len(res.Releases) != 0 || fx.up.Requests("/simple/vulnlib/") != 0 {
		t.Error("a request refused by the check was resolved")
	}

	// A range that admits vulnerable and fixed releases is not stopped
	// by the check (it would be "review" there): the resolved release is
	// vetted exactly, and it is the fixed one.
	if res := fx.install(e, "vulnlib>=1.0"); res.Outcome != Installed || len(res.Installed) != 1 || res.Installed[0].Version != "2.1" {
		t.Fatalf("vulnlib>=1.0: %v %+v %+v", res.Outcome, res.Installed, res.Check)
	}

	// A dependency that can only resolve to a vulnerable release is
	// refused with its advisory and its dependency path.
	e = fx.create("work2")
	res = fx.refused(e, Denied, "app-core")
	f = finding(t, res, policy.RuleVulnerable)
	if !strings.Contains(strings.Join(f.Advisories, " "), "PYSEC-2099-42") ||
		!slices.Equal(f.Path, []string{"app-core 1.0", "vulnlib 1.5"}) {
		t.Errorf("finding: %+v", f)
	}
}

func TestInstallRefusesTyposquat(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(testpypi.Wheel{Name: "reqeusts", Version: "2.31.0"})
	e := fx.create("work")
	res := fx.refused(e, Denied, "reqeusts==2.31.0")
	f := finding(t, res, policy.RuleTyposquat)
	if f.SimilarTo != "requests" {
		t.Errorf("finding: %+v", f)
	}
	if fx.up.Requests("/simple/reqeusts/") != 0 {
		t.Error("the typosquat's page was fetched")
	}
}

func TestInstallRefusesDeniedDependency(t *testing.T) {
	t.Parallel()
	pol := "version: 1\ndeny:\n  - name: evil-dep\n    reason: known bad\n"
	wheels := []testpypi.Wheel{
		{Name: "app-core", Version: "1.0", Deps: []string{"helper-lib"}},
		{Name: "helper-lib", Version: "1.0", Deps: []string{"evil-dep>=0.1"}},
		{Name: "evil-dep", Version: "0.1"},
	}
	for _, tc := range []struct {
		name        string
		filtersOnly bool
	}{
		// The proxy serves evil-dep: step 3 refuses it.
		{"proxy-filters-only", true},
		// The proxy already refuses evil-dep, as the policy's judge does:
		// the first resolution fails, the second finds the path.
		{"proxy-policy-judge", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, fixtureOpts{policy: pol, filtersOnly: tc.filtersOnly})
			fx.up.AddWheels(wheels...)
			e := fx.create("work")
			res := fx.refused(e, Denied, "app-core")
			f := finding(t, res, policy.RuleDenied)
			if !slices.Equal(f.Path, []string{"app-core 1.0", "helper-lib 1.0", "evil-dep 0.1"}) || !strings.Contains(f.Message, "known bad") {
				t.Errorf("finding: %+v", f)
			}
			// Nothing of the closure was installed, not even the allowed
			// releases (refused checks the environment's tree).
			if len(res.Installed) != 0 {
				t.Errorf("installed: %+v", res.Installed)
			}
		})
	}
}

func TestInstallRefusesSdistOnly(t *testing.T) {
	t.Parallel()
	canary := filepath.Join(t.TempDir(), "canary")
	sdist := testpypi.Sdist{Name: "srconly-pkg", Version: "1.0", Canary: canary}
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, fixtureOpts{})
		fx.up.Add(testpypi.Project{Name: "srconly-pkg", Dists: []testpypi.Dist{sdist.Dist()}})
		e := fx.create("work")
		res := fx.refused(e, Denied, "srconly-pkg")
		if f := finding(t, res, policy.RuleSdist); !strings.Contains(f.Message, "source distribution") {
			t.Errorf("finding: %+v", f)
		}
		if n := fx.up.FileRequests(sdist.Filename()); n != 0 {
			t.Errorf("the sdist was downloaded %d times", n)
		}
	})
	t.Run("proxy-serves-sdists", func(t *testing.T) {
		t.Parallel()
		// Even a proxy that lists the sdist cannot make pip build it:
		// the resolver takes wheels only, so the archive holding setup.py
		// is never even downloaded.
		fx := newFixture(t, fixtureOpts{judge: index.Filters{AllowSdists: true}.Wrap(index.AllowAll)})
		fx.up.Add(testpypi.Project{Name: "srconly-pkg", Dists: []testpypi.Dist{sdist.Dist()}})
		e := fx.create("work")
		res := fx.refused(e, Denied, "srconly-pkg")
		finding(t, res, policy.RuleSdist)
		if n := fx.up.FileRequests(sdist.Filename()); n != 0 {
			t.Errorf("the sdist was downloaded %d times", n)
		}
	})
	if _, err := os.Stat(canary); err == nil {
		t.Error("setup.py ran: the canary file exists")
	}
}

func TestInstallRefusesArtifacts(t *testing.T) {
	t.Parallel()
	canary := filepath.Join(t.TempDir(), "pth-ran")
	for _, tc := range []struct {
		name  string
		wheel testpypi.Wheel
		id    string
	}{
		{"pth", testpypi.Wheel{Name: "pth-bomb", Version: "1.0", Files: map[string]string{
			"pth_bomb/__init__.py": "",
			"pth_bomb_init.pth":    "import os; open(" + jsonQuote(canary) + ", 'w').write('ran')\n",
		}}, "AL601 pth-exec"},
		{"shadows-pip", testpypi.Wheel{Name: "pip-shadow", Version: "1.0",
			ConsoleScripts: map[string]string{"pip": "pip_shadow:main"}}, "AL611 script-shadows-command"},
		// The source scan: code decoded, then run.
		{"decode-exec", testpypi.Wheel{Name: "obf-lib", Version: "1.0", Files: map[string]string{
			"obf_lib/__init__.py": "import base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n",
		}}, "AL301 decode-exec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, fixtureOpts{})
			fx.up.AddWheels(tc.wheel, testpypi.Wheel{Name: "app-core", Version: "1.0", Deps: []string{tc.wheel.Name}})
			e := fx.create("work")
			res := fx.refused(e, Denied, "app-core")
			f := finding(t, res, policy.RuleArtifact)
			if !strings.Contains(f.Message, tc.id) || !slices.Equal(f.Path, []string{"app-core 1.0", tc.wheel.Name + " 1.0"}) {
				t.Errorf("finding: %+v", f)
			}
			// The environment still starts, and nothing of the wheel is in it.
			if out := fx.python(e, "import importlib.util; print(importlib.util.find_spec('pth_bomb'), importlib.util.find_spec('pip_shadow'), importlib.util.find_spec('obf_lib'))"); strings.TrimSpace(out.Stdout) != "None None None" {
				t.Errorf("run: %+v", out)
			}
		})
	}
	if _, err := os.Stat(canary); err == nil {
		t.Error("the .pth file ran")
	}
}

// TestInstallScansSourcesWithBaseline: package sources that start
// processes (the exec family, off for package sources unless the policy
// names it) install; the policy's scan section can turn the family on.
func TestInstallScansSourcesWithBaseline(t *testing.T) {
	t.Parallel()
	runner := testpypi.Wheel{Name: "runner-lib", Version: "1.0", Files: map[string]string{
		"runner_lib/__init__.py": "import subprocess\n\ndef ls():\n    return subprocess.run(['ls'], check=True)\n",
	}}
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(runner)
	if res := fx.install(fx.create("work"), "runner-lib==1.0"); res.Outcome != Installed {
		t.Fatalf("runner-lib: %v %+v", res.Outcome, res.Releases)
	}
	strict := newFixture(t, fixtureOpts{policy: "version: 1\nscan:\n  families: {exec: deny}\n"})
	strict.up.AddWheels(runner)
	res := strict.refused(strict.create("work"), Denied, "runner-lib==1.0")
	if f := finding(t, res, policy.RuleArtifact); !strings.Contains(f.Message, "AL203 process-exec") {
		t.Errorf("finding: %+v", f)
	}
}

func TestInstallRefusesYanked(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, fixtureOpts{})
	yanked := testpypi.Wheel{Name: "slider-lib", Version: "1.1"}.Dist()
	yanked.Yanked, yanked.YankedReason = true, "broken build"
	fx.up.Add(testpypi.Project{Name: "slider-lib", Dists: []testpypi.Dist{yanked}})
	fx.up.AddWheels(testpypi.Wheel{Name: "slider-lib", Version: "1.0"}, testpypi.Wheel{Name: "app-core", Version: "1.0", Deps: []string{"slider-lib==1.1"}})
	e := fx.create("work")
	// pip takes a yanked file for an exact pin; the policy refuses it.
	res := fx.refused(e, Denied, "app-core")
	if f := finding(t, res, policy.RuleYanked); !slices.Equal(f.Path, []string{"app-core 1.0", "slider-lib 1.1"}) {
		t.Errorf("finding: %+v", f)
	}
	// Unpinned, pip passes it over.
	res = fx.mustInstall(e, "slider-lib")
	if res.Installed[0].Version != "1.0" {
		t.Errorf("installed %+v", res.Installed)
	}
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestInstallRefusesDowngrade(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(
		testpypi.Wheel{Name: "slider-lib", Version: "1.0"},
		testpypi.Wheel{Name: "slider-lib", Version: "2.0"},
		testpypi.Wheel{Name: "app-core", Version: "1.0", Deps: []string{"slider-lib<2"}},
	)
	e := fx.create("work")
	fx.mustInstall(e, "slider-lib==2.0")

	// Asked for directly: refused by the check.
	res := fx.refused(e, Denied, "slider-lib==1.0")
	if f := finding(t, res, policy.RuleDowngrade); !strings.Contains(f.Message, "2.0") {
		t.Errorf("finding: %+v", f)
	}
	// Asked for by a dependency: refused with the path.
	res = fx.refused(e, Denied, "app-core")
	f := finding(t, res, policy.RuleDowngrade)
	if !slices.Equal(f.Path, []string{"app-core 1.0", "slider-lib 1.0"}) {
		t.Errorf("finding: %+v", f)
	}
	if rr := res.Releases[slices.IndexFunc(res.Releases, func(r ReleaseResult) bool { return r.Name == "slider-lib" })]; rr.Replaces != "2.0" {
		t.Errorf("release: %+v", rr)
	}
}

func TestInstallFailuresLeaveEnvironment(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(
		testpypi.Wheel{Name: "helper-lib", Version: "1.0", Deps: []string{"format-lib<3"}},
		testpypi.Wheel{Name: "format_lib", Version: "2.0"},
		testpypi.Wheel{Name: "format_lib", Version: "3.0"},
		testpypi.Wheel{Name: "victim-lib", Version: "1.0"},
	)
	e := fx.create("work")
	fx.mustInstall(e, "helper-lib")

	// pip installs format-lib 3.0, which breaks helper-lib: pip check
	// fails after the install, and the staged copy is thrown away.
	res := fx.refused(e, Failed, "format-lib==3.0")
	if !strings.Contains(res.Error, "pip check") || !strings.Contains(res.Error, "helper-lib") {
		t.Errorf("error: %s", res.Error)
	}

	// The upstream serves other bytes than it published: the cache
	// refuses them, and nothing is installed.
	evil, _ := testpypi.Wheel{Name: "victim-lib", Version: "1.0", Files: map[string]string{"victim_lib/__init__.py": "import os\n"}}.Build()
	fx.up.Replace("victim_lib-1.0-py3-none-any.whl", evil)
	res = fx.refused(e, Failed, "victim-lib")
	if !strings.Contains(res.Error, "sha256") {
		t.Errorf("error: %s", res.Error)
	}

	// A wheel that passes inspection but rewrites the venv's own
	// pyvenv.cfg through the data scheme: the result is refused.
	fx.up.AddWheels(testpypi.Wheel{Name: "cfg-writer", Version: "1.0", Files: map[string]string{
		"cfg_writer/__init__.py":              "",
		"cfg_writer-1.0.data/data/pyvenv.cfg": "home = /tmp\ninclude-system-site-packages = true\n",
	}})
	res = fx.refused(e, Failed, "cfg-writer")
	if !strings.Contains(res.Error, "pyvenv.cfg was changed") {
		t.Errorf("error: %s", res.Error)
	}

	// Two wheels of one install ship the same file: the second overwrites
	// the first's, which no longer matches its RECORD.
	fx.up.AddWheels(
		testpypi.Wheel{Name: "clash-a", Version: "1.0", Deps: []string{"clash-b"}, Files: map[string]string{"clash_a/__init__.py": "", "clashing/__init__.py": "A = 1\n"}},
		testpypi.Wheel{Name: "clash-b", Version: "1.0", Files: map[string]string{"clash_b/__init__.py": "", "clashing/__init__.py": "B = 1\n"}},
	)
	res = fx.refused(e, Failed, "clash-a")
	if !strings.Contains(res.Error, "clashing/__init__.py does not match") {
		t.Errorf("error: %s", res.Error)
	}

	// A project the index does not have.
	res = fx.refused(e, Failed, "no-such-project")
	if f := finding(t, res, RuleNotFound); !strings.Contains(f.Message, "no-such-project") {
		t.Errorf("finding: %+v", f)
	}
}

func TestConcurrentInstallsIntoOneEnvironment(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, fixtureOpts{})
	fx.up.AddWheels(
		testpypi.Wheel{Name: "alpha-pkg", Version: "1.0", Deps: []string{"concur-base>=1"}},
		testpypi.Wheel{Name: "beta-pkg", Version: "1.0", Deps: []string{"concur-base>=1"}},
		testpypi.Wheel{Name: "concur-base", Version: "1.0"},
	)
	e := fx.create("work")
	var wg sync.WaitGroup
	results := make([]*Result, 2)
	for i, req := range []string{"alpha-pkg", "beta-pkg"} {
		wg.Go(func() { results[i] = fx.install(e, req) })
	}
	wg.Wait()
	for _, r := range results {
		if r.Outcome != Installed {
			t.Fatalf("an install failed:\n%s", describe(r))
		}
	}
	// One of them installed concur-base; the other found it installed.
	if n := len(results[0].Installed) + len(results[1].Installed); n != 3 {
		t.Errorf("installed %d releases in all, want 3", n)
	}
	lock, err := e.Lock()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range lock.Packages {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"alpha-pkg", "beta-pkg", "concur-base"}) {
		t.Errorf("lock: %v", names)
	}
	if out := fx.python(e, "import alpha_pkg, beta_pkg, concur_base; print('ok')"); strings.TrimSpace(out.Stdout) != "ok" {
		t.Errorf("run: %+v", out)
	}
}
