package index

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/advisory"
	"github.com/airlock-dev/airlock/internal/index/simple"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/testpypi"
)

func testPolicy(t *testing.T, src string) *policy.Policy {
	t.Helper()
	cfg := policy.Default()
	if src != "" {
		var err error
		if cfg, err = policy.Parse("policy.yaml", []byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := advisory.LoadFS(os.DirFS("testdata/osv"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.New(cfg, policy.Data{Advisories: ix})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyJudge(t *testing.T) {
	j := PolicyJudge(testPolicy(t, "version: 1\ndeny:\n  - {name: evil-dep, reason: known bad}\nrules:\n  cooldown: {action: review, min_age: 7d}\n"))
	old := time.Now().Add(-30 * 24 * time.Hour)
	tests := []struct {
		name  string
		v     Verdict
		allow bool
		rule  string
		text  string
	}{
		{"allowed project", j.Project("requests"), true, "", ""},
		{"denied project", j.Project("evil-dep"), false, "denied", "evil-dep is denied by policy: known bad"},
		{"typosquat project", j.Project("reqeusts"), false, "typosquat", `did you mean "requests"?`},
		{"vulnerable file", j.File(File{Project: "requests", Version: "2.25.0", Filename: "requests-2.25.0-py3-none-any.whl", Kind: simple.Wheel, UploadTime: old}),
			false, "vulnerable", "suggestion: requests>=2.31.0"},
		{"fixed file", j.File(File{Project: "requests", Version: "2.31.0", Filename: "requests-2.31.0-py3-none-any.whl", Kind: simple.Wheel, UploadTime: old}), true, "", ""},
		{"sdist", j.File(File{Project: "requests", Version: "2.31.0", Filename: "requests-2.31.0.tar.gz", Kind: simple.Sdist, UploadTime: old}), false, "sdist", "source distribution"},
		{"too new", j.File(File{Project: "requests", Version: "2.32.0", Filename: "requests-2.32.0-py3-none-any.whl", Kind: simple.Wheel, UploadTime: time.Now()}),
			false, "cooldown", "needs a person's review"},
	}
	for _, tt := range tests {
		if tt.v.Allow != tt.allow || tt.v.Rule != tt.rule || !strings.Contains(tt.v.Reason, tt.text) {
			t.Errorf("%s: verdict %+v, want allow=%v rule %q reason containing %q", tt.name, tt.v, tt.allow, tt.rule, tt.text)
		}
	}
}

// TestPipThroughPolicy drives pip through the proxy judged by the default
// policy with advisory data: the typosquat's reason reaches pip's output,
// and the vulnerable pin is not installable while the fixed one is.
func TestPipThroughPolicy(t *testing.T) {
	judge := Filters{AllowSdists: true, AllowYanked: true}.Wrap(PolicyJudge(testPolicy(t, "")))
	fx := newFixture(t, fixtureOpts{judge: judge})
	fx.up.AddWheels(
		testpypi.Wheel{Name: "requests", Version: "2.25.0"},
		testpypi.Wheel{Name: "requests", Version: "2.31.0"},
		testpypi.Wheel{Name: "reqeusts", Version: "2.31.0"},
	)
	_, out, err := fx.pipInstall(t, "reqeusts")
	if err == nil {
		t.Fatalf("pip installed the typosquat:\n%s", out)
	}
	if !strings.Contains(out, `reqeusts looks like the popular project "requests"`) {
		t.Errorf("pip's output does not carry the reason:\n%s", out)
	}
	if _, out, err := fx.pipInstall(t, "requests==2.25.0"); err == nil || !strings.Contains(out, "from versions: 2.31.0") {
		t.Errorf("vulnerable pin: err %v\n%s", err, out)
	}
	if _, out, err := fx.pipInstall(t, "requests"); err != nil {
		t.Errorf("pip install requests: %v\n%s", err, out)
	}
}
