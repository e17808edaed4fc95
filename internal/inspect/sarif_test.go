package inspect_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/airlock-dev/airlock/internal/inspect"
)

// sarifSchema compiles the checked-in SARIF 2.1.0 schema, asserting formats.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const loc = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(loc, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateSARIF(t *testing.T, sch *jsonschema.Schema, out []byte) map[string]any {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("SARIF output does not match the 2.1.0 schema: %v\n%s", err, out)
	}
	var m map[string]any
	json.Unmarshal(out, &m)
	return m
}

func TestWriteSARIF(t *testing.T) {
	sch := sarifSchema(t)
	bandit := &inspect.Rule{ID: "B602", Name: "subprocess_popen_with_shell_equals_true", Family: inspect.FamilyBandit,
		Severity: inspect.SeverityHigh, Action: inspect.ActionReview, Engine: "bandit"}
	findings := []inspect.Finding{
		{Rule: inspect.RulePthExec, Severity: inspect.SeverityCritical, Action: inspect.ActionDeny, Archive: "dist/demo 1.0-py3-none-any.whl", Path: "demo.pth", Message: "import line"},
		{Rule: inspect.RuleSdist, Severity: inspect.SeverityMedium, Action: inspect.ActionDeny, Archive: "/abs/demo-1.0.tar.gz", Message: "an sdist"},
		{Rule: inspect.RuleShadowStdlib, Severity: inspect.SeverityHigh, Action: inspect.ActionReview, Archive: "dist/demo 1.0-py3-none-any.whl", Path: "os.py", Message: "shadow"},
		{Rule: bandit, Severity: inspect.SeverityHigh, Action: inspect.ActionReview, Path: "app/main.py", Line: 3, Column: 5, Snippet: "subprocess.call(x, shell=True)", Message: "shell"},
		{Rule: inspect.RulePthFile, Severity: inspect.SeverityLow, Action: inspect.ActionReview, Path: "nb.ipynb", Line: 2, Column: 1, Cell: 4, Message: "cell"},
	}
	var buf bytes.Buffer
	if err := inspect.WriteSARIF(&buf, inspect.SARIFTool{Name: "airlock", Version: "test", InformationURI: "https://example.invalid/airlock"}, findings); err != nil {
		t.Fatal(err)
	}
	m := validateSARIF(t, sch, buf.Bytes())
	runs := m["runs"].([]any)
	if len(runs) != 2 {
		t.Fatalf("%d runs, want airlock's and bandit's", len(runs))
	}
	own := runs[0].(map[string]any)
	if n := len(own["results"].([]any)); n != 4 {
		t.Errorf("airlock run has %d results, want 4", n)
	}
	if n := len(own["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)); n != 4 {
		t.Errorf("airlock run describes %d rules, want 4", n)
	}
	// The member's artifact names the wheel as its parent; the wheel is listed once.
	arts := own["artifacts"].([]any)
	if len(arts) != 5 {
		t.Errorf("%d artifacts, want 5 (wheel, 2 members, sdist, notebook): %v", len(arts), arts)
	}
	member := arts[1].(map[string]any)
	if member["parentIndex"] != float64(0) {
		t.Errorf("member artifact %v has no parent", member)
	}
	if uri := arts[0].(map[string]any)["location"].(map[string]any)["uri"]; uri != "dist/demo%201.0-py3-none-any.whl" {
		t.Errorf("wheel uri %q", uri)
	}
	if uri := arts[2].(map[string]any)["location"].(map[string]any)["uri"]; uri != "file:///abs/demo-1.0.tar.gz" {
		t.Errorf("sdist uri %q", uri)
	}
	banditRun := runs[1].(map[string]any)
	if name := banditRun["tool"].(map[string]any)["driver"].(map[string]any)["name"]; name != "bandit" {
		t.Errorf("second run's tool is %v", name)
	}

	// The schema really constrains: a driver without a name, or an
	// unknown level, is refused.
	for _, bad := range []string{
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal", "message": {"text": "m"}}]}]}`,
	} {
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(bad)))
		if sch.Validate(inst) == nil {
			t.Errorf("schema accepted %s", bad)
		}
	}

	// No findings is still a valid log with an empty run.
	buf.Reset()
	if err := inspect.WriteSARIF(&buf, inspect.SARIFTool{Name: "airlock"}, nil); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, sch, buf.Bytes())
}
