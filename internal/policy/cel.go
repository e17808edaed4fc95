package policy

import (
	"fmt"
	"reflect"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
)

// CELCandidate is the object custom rules see as `candidate`. Every field is
// always present; "" (or false, or an empty list) means unknown or not
// applicable. docs/policy.md documents each field with examples.
type CELCandidate struct {
	// Kind is what is being decided: requirement, editable, option,
	// include, constraint (entries of a requirements file or command line),
	// package (a concrete release chosen by the resolver or served by the
	// proxy) or project (a whole project, at the proxy).
	Kind string `cel:"kind"`
	// Stage is where the decision is made: check, install or proxy.
	Stage string `cel:"stage"`
	// Name is the project name in PEP 503 form.
	Name string `cel:"name"`
	// Version is the concrete version (package), or the version an
	// exact pin (== or ===) names.
	Version string `cel:"version"`
	// Specifier is the requirement's version specifier, e.g. ">=2,<3".
	Specifier string   `cel:"specifier"`
	Extras    []string `cel:"extras"`
	Marker    string   `cel:"marker"`
	// URL is set for direct references (name @ URL, VCS, paths).
	URL string `cel:"url"`
	// Option and OptionValue describe option entries: "--index-url".
	Option      string `cel:"option"`
	OptionValue string `cel:"option_value"`
	// Pinned reports an exact pin with == or ===.
	Pinned     bool `cel:"pinned"`
	Prerelease bool `cel:"prerelease"`
	// Filename and FileKind (wheel or sdist) describe a file at the proxy
	// or in an install; Yanked and UploadTime come from the index.
	Filename      string    `cel:"filename"`
	FileKind      string    `cel:"file_kind"`
	Yanked        bool      `cel:"yanked"`
	UploadTime    time.Time `cel:"upload_time"`
	HasUploadTime bool      `cel:"has_upload_time"`
	// InstalledVersion is the version the target environment has now.
	InstalledVersion string `cel:"installed_version"`
	// Path is the dependency path from the request to this package,
	// e.g. ["app 1.0", "evil-dep 0.1"].
	Path []string `cel:"path"`
	// PopularityRank is the project's rank among the most downloaded
	// projects (1 is the most downloaded), or 0.
	PopularityRank int `cel:"popularity_rank"`
	// Advisories lists the ids of the known vulnerabilities that affect
	// the candidate.
	Advisories []string `cel:"advisories"`
}

// celCostLimit bounds the work one custom rule may do on one candidate.
// Rules are written by the operator, but they run on attacker-chosen data
// (a name can be 64 KiB long).
const celCostLimit = 1_000_000

var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[CELCandidate](), ext.ParseStructTags(true)),
		cel.Variable("candidate", cel.ObjectType("policy.CELCandidate")),
		ext.Strings(),
	)
})

// compiledRule is a custom rule ready to evaluate.
type compiledRule struct {
	CustomRule
	prg cel.Program
}

// compileCustom type-checks a custom rule: a misspelt field or an
// expression that is not a bool is an error when the policy loads, not
// when the first request arrives.
func compileCustom(source string, r CustomRule) (compiledRule, error) {
	env, err := celEnv()
	if err != nil {
		return compiledRule{}, fmt.Errorf("policy: CEL environment: %w", err)
	}
	ast, iss := env.Compile(r.Expr)
	if iss.Err() != nil {
		return compiledRule{}, &Error{Source: source, Pos: r.Pos, Msg: fmt.Sprintf("custom %s: %v", r.Name, iss.Err())}
	}
	if ast.OutputType() != cel.BoolType {
		return compiledRule{}, &Error{Source: source, Pos: r.Pos, Msg: fmt.Sprintf("custom %s: expr must be a bool, not %s", r.Name, ast.OutputType())}
	}
	prg, err := env.Program(ast, cel.CostLimit(celCostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return compiledRule{}, &Error{Source: source, Pos: r.Pos, Msg: fmt.Sprintf("custom %s: %v", r.Name, err)}
	}
	return compiledRule{CustomRule: r, prg: prg}, nil
}

// eval reports whether the rule matches c. An evaluation error (the cost
// limit, a division by zero) counts as a match: the rule could not say the
// candidate is fine, so it fails closed.
func (r *compiledRule) eval(c *CELCandidate) (bool, error) {
	out, _, err := r.prg.Eval(map[string]any{"candidate": c})
	if err != nil {
		return true, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return true, fmt.Errorf("result is %v, not a bool", out.Type())
	}
	return bool(b), nil
}
