package policy

import (
	_ "embed"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"

	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/pep508"
)

// MaxPolicySize bounds a policy file. Policies are written by people; a
// megabyte is far more than any real one.
const MaxPolicySize = 1 << 20

// MaxPolicyDepth bounds how deeply a policy file's collections nest. The
// schema needs four levels; go-yaml's parser takes time that grows with
// the square of the depth (a megabyte of "[" or of "- " takes minutes), so
// deeper documents are refused before they reach it.
const MaxPolicyDepth = 64

// SchemaVersion is the policy file schema this package reads.
const SchemaVersion = 1

//go:embed default.yaml
var defaultPolicy []byte

// DefaultSource is the name under which the embedded default policy reports
// its positions.
const DefaultSource = "<default policy>"

// Mode says what happens to a name that no rule denies.
type Mode string

const (
	// ModeOpen allows anything no rule denies.
	ModeOpen Mode = "open"
	// ModeAllowlist allows only the names under allow.
	ModeAllowlist Mode = "allowlist"
)

// Config is a validated policy file. Build a [Policy] from it with [New].
type Config struct {
	Source     string // file name, for messages
	Mode       Mode
	Allow      []NameRule
	Deny       []NameRule
	Protected  []string // internal names and glob patterns, in PEP 503 form
	Rules      map[Rule]RuleConfig
	Exceptions []Exception
	Custom     []CustomRule
	Scan       ScanConfig
}

// ScanConfig is the policy's scan section: what airlock scan, the install
// pipeline's source scan and the scan before airlock run do with each rule
// family or rule id of the code scanner (package inspect, docs/scan.md).
type ScanConfig struct {
	// BeforeRun scans code before airlock run and the server's run
	// endpoint run it; a deny finding refuses the run.
	BeforeRun bool
	// Settings map family names ("exec") and rule ids ("AL203", "B602")
	// to actions, in file order. The names are checked by the scanner's
	// configuration, which knows them (policy does not import it).
	Settings []ScanSetting
}

// ScanSetting is one entry of the scan section's families or rules.
type ScanSetting struct {
	Name   string
	Action RuleAction
	Pos    Pos
}

// NameRule is an allow or deny list entry.
type NameRule struct {
	Name     string              // PEP 503 form
	Versions pep440.SpecifierSet // empty: every version
	Reason   string
	Pos      Pos
}

// RuleConfig is one entry of the policy's rules section.
type RuleConfig struct {
	Action RuleAction
	// MinSeverity (vulnerable): advisories below this level are ignored.
	// One of low, medium, high, critical; "" means every advisory counts.
	MinSeverity string
	// Partial (vulnerable): the action when a version range admits some
	// affected versions but not only affected ones. Default review.
	Partial RuleAction
	// RequireData (vulnerable): with no advisory data loaded, every
	// requirement gets a finding instead of a note.
	RequireData bool
	// MinAge (cooldown): releases uploaded more recently than this are
	// refused or sent to review.
	MinAge time.Duration
	Pos    Pos
}

// Exception is an accepted risk: a finding of Rule for Name (and, when set,
// for the versions Version admits) is allowed until Expires.
type Exception struct {
	Name    string // PEP 503 form
	Version string // "" (any), an exact version, or a specifier such as "<2.26"
	Rule    Rule
	// URL is, for rule direct-url (where it is required), the URL or path
	// prefix the direct reference must start with: an exception for a
	// name must not allow that name from anywhere.
	URL string
	// Custom names the custom rule, for rule custom ("" matches any).
	Custom  string
	Reason  string
	Expires time.Time
	// ReviewOnly limits the exception to findings that ask for review: it
	// never turns a deny into an allow. Exceptions made by approving a
	// review are review-only, so approving "some versions of requests>=2.0
	// are affected" does not allow requests==2.25.0, which is denied.
	ReviewOnly bool
	Pos        Pos

	versions pep440.SpecifierSet
}

// NewException validates and returns an exception made outside a policy
// file (an approved review, say): the same rules as the file's exceptions.
func NewException(name, version string, rule Rule, reason string, expires time.Time) (Exception, error) {
	v := &validator{source: "exception"}
	raw := rawException{
		Name:    scalar{Value: name, Set: name != ""},
		Version: scalar{Value: version, Set: version != ""},
		Rule:    scalar{Value: string(rule), Set: rule != ""},
		Reason:  scalar{Value: reason, Set: reason != ""},
		Expires: scalar{Value: expires.UTC().Format(time.RFC3339Nano), Set: !expires.IsZero()},
	}
	x, ok := v.exception(raw)
	if !ok {
		return Exception{}, v.err
	}
	return x, nil
}

// String names the exception for messages: "requests 2.25.0 (vulnerable)".
func (e Exception) String() string {
	s := e.Name
	if e.Version != "" {
		s += " " + e.Version
	}
	return s + " (" + string(e.Rule) + ")"
}

// UnusedNote is the note a check's report carries about the exception
// when no decision of the check needed it.
func (e Exception) UnusedNote() string {
	return "exception " + e.String() + " was not needed by this check"
}

// CustomRule is a CEL expression over the candidate object (docs/policy.md).
type CustomRule struct {
	Name    string
	Expr    string
	Action  RuleAction
	Message string
	Pos     Pos
}

// Pos is a position in a policy file.
type Pos struct {
	Line, Col int
}

// Error is a policy file error with its position: "policy.yaml:4:30: ...".
type Error struct {
	Source string
	Pos    Pos
	Msg    string
}

func (e *Error) Error() string {
	if e.Pos.Line == 0 {
		return e.Source + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Source, e.Pos.Line, e.Pos.Col, e.Msg)
}

// Default returns the embedded default policy (default.yaml).
func Default() *Config {
	c, err := Parse(DefaultSource, defaultPolicy)
	if err != nil {
		panic("policy: embedded default policy: " + err.Error())
	}
	return c
}

// DefaultYAML returns the text of the embedded default policy, a commented
// starting point for a policy of one's own.
func DefaultYAML() []byte { return append([]byte(nil), defaultPolicy...) }

// Parse reads a policy file strictly: unknown keys, duplicate keys, bad
// values and unknown rule ids are errors, each with its line and column.
// Rules the file does not mention keep their default actions.
func Parse(source string, data []byte) (c *Config, err error) {
	// go-yaml v1.19.2 panics on some malformed documents (a tagged scalar
	// where a list belongs, found by FuzzParse); a policy file must never
	// crash airlock, so such a panic is a parse error.
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, &Error{Source: source, Msg: fmt.Sprintf("malformed YAML (the YAML decoder failed: %v)", r)}
		}
	}()
	if len(data) > MaxPolicySize {
		return nil, &Error{Source: source, Msg: fmt.Sprintf("policy file is larger than %d bytes", MaxPolicySize)}
	}
	if err := checkDepth(source, data); err != nil {
		return nil, err
	}
	var raw rawConfig
	if err := yaml.UnmarshalWithOptions(data, &raw, yaml.DisallowUnknownField()); err != nil {
		return nil, yamlError(source, err)
	}
	return raw.validate(source)
}

// checkDepth refuses a document whose collections nest more than
// MaxPolicyDepth levels. go-yaml's lexer is fast; its parser is not. Flow
// collections are counted by their brackets; block collections by the
// columns at which their lines, and the entries of compact sequences
// ("- - x"), start: each column further right than the open ones opens a
// level.
func checkDepth(source string, data []byte) error {
	flow := 0
	var cols []int // the columns of the open block collections
	line := -1
	for _, tk := range lexer.Tokenize(string(data)) {
		if tk.Position == nil || tk.Type == token.CommentType {
			continue
		}
		depth := 0
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow++
			depth = len(cols) + flow
		case token.SequenceEndType, token.MappingEndType:
			flow = max(flow-1, 0)
		default:
			first := tk.Position.Line != line
			line = tk.Position.Line
			if flow > 0 || (!first && tk.Type != token.SequenceEntryType) {
				continue
			}
			col := tk.Position.Column
			for len(cols) > 0 && cols[len(cols)-1] >= col {
				cols = cols[:len(cols)-1]
			}
			cols = append(cols, col)
			depth = len(cols)
		}
		if depth > MaxPolicyDepth {
			return &Error{Source: source, Pos: Pos{tk.Position.Line, tk.Position.Column},
				Msg: fmt.Sprintf("collections nested more than %d levels deep", MaxPolicyDepth)}
		}
	}
	return nil
}

// yamlError turns a go-yaml error into an [*Error] with a position.
func yamlError(source string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		var pos Pos
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			pos = Pos{tk.Position.Line, tk.Position.Column}
		}
		return &Error{Source: source, Pos: pos, Msg: ye.GetMessage()}
	}
	var pe *Error
	if errors.As(err, &pe) {
		pe.Source = source
		return pe
	}
	return &Error{Source: source, Msg: err.Error()}
}

// The raw* types mirror the YAML. Values that can be written in two shapes
// (a scalar or a mapping) implement [yaml.NodeUnmarshaler] and keep their
// positions for the validation messages.

type rawConfig struct {
	Version    *scalar         `yaml:"version"`
	Mode       *scalar         `yaml:"mode"`
	Allow      []rawNameRule   `yaml:"allow"`
	Deny       []rawNameRule   `yaml:"deny"`
	Protected  []scalar        `yaml:"protected"`
	Rules      rawRules        `yaml:"rules"`
	Exceptions []rawException  `yaml:"exceptions"`
	Custom     []rawCustomRule `yaml:"custom"`
	Scan       *rawScan        `yaml:"scan"`
}

type rawScan struct {
	BeforeRun scalar   `yaml:"before_run"`
	Families  rawRules `yaml:"families"`
	Rules     rawRules `yaml:"rules"`
}

// scalar is a YAML scalar with its position.
type scalar struct {
	Value string
	Pos   Pos
	Set   bool
}

func posOf(n ast.Node) Pos {
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return Pos{tk.Position.Line, tk.Position.Column}
	}
	return Pos{}
}

func (s *scalar) UnmarshalYAML(n ast.Node) error {
	s.Pos = posOf(n)
	s.Set = true
	switch v := n.(type) {
	case *ast.StringNode:
		s.Value = v.Value
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		s.Value = v.GetToken().Value
	case *ast.LiteralNode: // block scalars: | and >
		s.Value = v.Value.Value
	case *ast.AnchorNode:
		return s.UnmarshalYAML(v.Value)
	case *ast.NullNode:
		s.Set = false
	default:
		return &Error{Pos: s.Pos, Msg: fmt.Sprintf("want a single value, found %s", nodeKind(n))}
	}
	return nil
}

func nodeKind(n ast.Node) string {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	}
	return n.Type().String()
}

// rawNameRule is "numpy" or {name: pandas, versions: ">=2.0", reason: ...}.
type rawNameRule struct {
	Name     scalar `yaml:"name"`
	Versions scalar `yaml:"versions"`
	Reason   scalar `yaml:"reason"`
	pos      Pos
}

func (r *rawNameRule) UnmarshalYAML(n ast.Node) error {
	if _, ok := n.(*ast.StringNode); ok {
		r.pos = posOf(n)
		return r.Name.UnmarshalYAML(n)
	}
	type plain rawNameRule
	var p plain
	if err := yaml.NodeToValue(n, &p, yaml.DisallowUnknownField()); err != nil {
		return err
	}
	*r = rawNameRule(p)
	r.pos = posOf(n)
	return nil
}

// rawRules keeps the rules in file order with their positions.
type rawRules struct {
	entries []rawRuleEntry
}

type rawRuleEntry struct {
	id   scalar
	rule rawRule
}

func (r *rawRules) UnmarshalYAML(n ast.Node) error {
	m, ok := n.(ast.MapNode)
	if !ok {
		if _, null := n.(*ast.NullNode); null {
			return nil
		}
		return &Error{Pos: posOf(n), Msg: "rules: want a mapping of rule ids to deny, review or off"}
	}
	it := m.MapRange()
	for it.Next() {
		var e rawRuleEntry
		if err := e.id.UnmarshalYAML(it.Key()); err != nil {
			return err
		}
		if err := e.rule.UnmarshalYAML(it.Value()); err != nil {
			return err
		}
		r.entries = append(r.entries, e)
	}
	return nil
}

// rawRule is "deny" or {action: deny, min_severity: low, ...}.
type rawRule struct {
	Action      scalar `yaml:"action"`
	MinSeverity scalar `yaml:"min_severity"`
	Partial     scalar `yaml:"partial"`
	RequireData scalar `yaml:"require_data"`
	MinAge      scalar `yaml:"min_age"`
	pos         Pos
	mapping     bool
}

func (r *rawRule) UnmarshalYAML(n ast.Node) error {
	if _, ok := n.(ast.MapNode); !ok {
		r.pos = posOf(n)
		return r.Action.UnmarshalYAML(n)
	}
	type plain rawRule
	var p plain
	if err := yaml.NodeToValue(n, &p, yaml.DisallowUnknownField()); err != nil {
		return err
	}
	*r = rawRule(p)
	r.pos = posOf(n)
	r.mapping = true
	return nil
}

type rawException struct {
	Name    scalar `yaml:"name"`
	Version scalar `yaml:"version"`
	Rule    scalar `yaml:"rule"`
	URL     scalar `yaml:"url"`
	Custom  scalar `yaml:"custom"`
	Reason  scalar `yaml:"reason"`
	Expires scalar `yaml:"expires"`
	pos     Pos
}

func (r *rawException) UnmarshalYAML(n ast.Node) error {
	type plain rawException
	var p plain
	if err := yaml.NodeToValue(n, &p, yaml.DisallowUnknownField()); err != nil {
		return err
	}
	*r = rawException(p)
	r.pos = posOf(n)
	return nil
}

type rawCustomRule struct {
	Name    scalar `yaml:"name"`
	Expr    scalar `yaml:"expr"`
	Action  scalar `yaml:"action"`
	Message scalar `yaml:"message"`
	pos     Pos
}

func (r *rawCustomRule) UnmarshalYAML(n ast.Node) error {
	type plain rawCustomRule
	var p plain
	if err := yaml.NodeToValue(n, &p, yaml.DisallowUnknownField()); err != nil {
		return err
	}
	*r = rawCustomRule(p)
	r.pos = posOf(n)
	return nil
}

// validator collects the first error with its position.
type validator struct {
	source string
	err    error
}

func (v *validator) fail(pos Pos, format string, args ...any) {
	if v.err == nil {
		v.err = &Error{Source: v.source, Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
}

// severities are the levels min_severity accepts, lowest first.
var severities = []string{"low", "medium", "high", "critical"}

func (raw *rawConfig) validate(source string) (*Config, error) {
	v := &validator{source: source}
	c := &Config{Source: source, Mode: ModeOpen, Rules: defaultRules()}

	switch {
	case raw.Version == nil || !raw.Version.Set:
		v.fail(Pos{1, 1}, "version: missing; this airlock reads policy version %d", SchemaVersion)
	case raw.Version.Value != fmt.Sprint(SchemaVersion):
		v.fail(raw.Version.Pos, "version: %q is not supported; this airlock reads policy version %d", raw.Version.Value, SchemaVersion)
	}
	if raw.Mode != nil && raw.Mode.Set {
		switch Mode(raw.Mode.Value) {
		case ModeOpen, ModeAllowlist:
			c.Mode = Mode(raw.Mode.Value)
		default:
			v.fail(raw.Mode.Pos, "mode: %q is not open or allowlist", raw.Mode.Value)
		}
	}
	c.Allow = v.nameRules("allow", raw.Allow)
	c.Deny = v.nameRules("deny", raw.Deny)
	for _, p := range raw.Protected {
		if !p.Set || p.Value == "" {
			v.fail(p.Pos, "protected: empty entry")
			continue
		}
		pat := strings.ToLower(p.Value)
		if _, err := path.Match(pat, ""); err != nil {
			v.fail(p.Pos, "protected: %q is not a valid glob pattern", p.Value)
			continue
		}
		if !strings.ContainsAny(pat, "*?[") {
			if !pep508.ValidName(p.Value) {
				v.fail(p.Pos, "protected: %q is not a valid project name", p.Value)
				continue
			}
			pat = pep508.Normalize(p.Value)
		}
		c.Protected = append(c.Protected, pat)
	}
	seen := map[Rule]bool{}
	for _, e := range raw.Rules.entries {
		id := Rule(e.id.Value)
		if !knownRule(id) {
			v.fail(e.id.Pos, "rules: unknown rule %q (known rules: %s)", e.id.Value, ruleList())
			continue
		}
		if seen[id] {
			v.fail(e.id.Pos, "rules: %s is set twice", id)
			continue
		}
		seen[id] = true
		c.Rules[id] = v.ruleConfig(id, e.rule, c.Rules[id])
	}
	for _, e := range raw.Exceptions {
		if x, ok := v.exception(e); ok {
			c.Exceptions = append(c.Exceptions, x)
		}
	}
	names := map[string]bool{}
	for _, r := range raw.Custom {
		cr := CustomRule{Name: r.Name.Value, Expr: r.Expr.Value, Message: r.Message.Value, Pos: r.pos, Action: RuleDeny}
		switch {
		case cr.Name == "":
			v.fail(r.pos, "custom: every rule needs a name")
		case names[cr.Name]:
			v.fail(r.Name.Pos, "custom: rule %q is defined twice", cr.Name)
		case strings.TrimSpace(cr.Expr) == "":
			v.fail(r.pos, "custom %s: expr is missing", cr.Name)
		case cr.Message == "":
			v.fail(r.pos, "custom %s: message is missing: say what the agent should do instead", cr.Name)
		}
		names[cr.Name] = true
		if r.Action.Set {
			if err := cr.Action.UnmarshalText([]byte(r.Action.Value)); err != nil {
				v.fail(r.Action.Pos, "custom %s: %v", cr.Name, err)
			}
		}
		c.Custom = append(c.Custom, cr)
	}
	if raw.Scan != nil {
		c.Scan = v.scan(raw.Scan)
	}
	if v.err != nil {
		return nil, v.err
	}
	return c, nil
}

func (v *validator) scan(r *rawScan) ScanConfig {
	var sc ScanConfig
	if r.BeforeRun.Set {
		switch r.BeforeRun.Value {
		case "true":
			sc.BeforeRun = true
		case "false":
		default:
			v.fail(r.BeforeRun.Pos, "scan: before_run must be true or false")
		}
	}
	seen := map[string]bool{}
	for _, section := range []struct {
		name    string
		entries []rawRuleEntry
	}{{"families", r.Families.entries}, {"rules", r.Rules.entries}} {
		for _, e := range section.entries {
			if e.rule.mapping {
				v.fail(e.rule.pos, "scan %s %s: want deny, review or off", section.name, e.id.Value)
				continue
			}
			if seen[e.id.Value] {
				v.fail(e.id.Pos, "scan: %s is set twice", e.id.Value)
				continue
			}
			seen[e.id.Value] = true
			var a RuleAction
			if err := a.UnmarshalText([]byte(e.rule.Action.Value)); err != nil {
				v.fail(e.rule.Action.Pos, "scan %s %s: %v", section.name, e.id.Value, err)
				continue
			}
			sc.Settings = append(sc.Settings, ScanSetting{Name: e.id.Value, Action: a, Pos: e.id.Pos})
		}
	}
	return sc
}

func (v *validator) nameRules(section string, raw []rawNameRule) []NameRule {
	var out []NameRule
	seen := map[string]bool{}
	for _, r := range raw {
		if !r.Name.Set || r.Name.Value == "" {
			v.fail(r.pos, "%s: entry without a name", section)
			continue
		}
		if !pep508.ValidName(r.Name.Value) {
			v.fail(r.Name.Pos, "%s: %q is not a valid project name", section, r.Name.Value)
			continue
		}
		nr := NameRule{Name: pep508.Normalize(r.Name.Value), Reason: r.Reason.Value, Pos: r.pos}
		if seen[nr.Name] {
			v.fail(r.Name.Pos, "%s: %s is listed twice", section, nr.Name)
			continue
		}
		seen[nr.Name] = true
		if r.Versions.Set {
			s, err := pep440.ParseSpecifierSet(r.Versions.Value)
			if err != nil {
				v.fail(r.Versions.Pos, "%s %s: versions: %v", section, nr.Name, err)
				continue
			}
			nr.Versions = s
		}
		out = append(out, nr)
	}
	return out
}

func (v *validator) ruleConfig(id Rule, r rawRule, def RuleConfig) RuleConfig {
	c := def
	c.Pos = r.pos
	if r.Action.Set {
		if err := c.Action.UnmarshalText([]byte(r.Action.Value)); err != nil {
			v.fail(r.Action.Pos, "rules %s: %v", id, err)
		}
	} else if r.mapping {
		v.fail(r.pos, "rules %s: action is missing (deny, review or off)", id)
	}
	only := func(s scalar, key string, rules ...Rule) bool {
		if s.Set && !slices.Contains(rules, id) {
			v.fail(s.Pos, "rules %s: %s applies only to %s", id, key, joinRules(rules))
			return false
		}
		return s.Set
	}
	if only(r.MinSeverity, "min_severity", RuleVulnerable) {
		if !slices.Contains(severities, strings.ToLower(r.MinSeverity.Value)) {
			v.fail(r.MinSeverity.Pos, "rules %s: min_severity %q is not one of %s", id, r.MinSeverity.Value, strings.Join(severities, ", "))
		}
		c.MinSeverity = strings.ToLower(r.MinSeverity.Value)
	}
	if only(r.Partial, "partial", RuleVulnerable) {
		if err := c.Partial.UnmarshalText([]byte(r.Partial.Value)); err != nil {
			v.fail(r.Partial.Pos, "rules %s: partial: %v", id, err)
		}
	}
	if only(r.RequireData, "require_data", RuleVulnerable) {
		switch r.RequireData.Value {
		case "true":
			c.RequireData = true
		case "false":
			c.RequireData = false
		default:
			v.fail(r.RequireData.Pos, "rules %s: require_data must be true or false", id)
		}
	}
	if only(r.MinAge, "min_age", RuleCooldown) {
		d, err := parseAge(r.MinAge.Value)
		if err != nil {
			v.fail(r.MinAge.Pos, "rules %s: min_age: %v", id, err)
		}
		c.MinAge = d
	}
	if id == RuleCooldown && c.Action != RuleOff && c.MinAge <= 0 {
		v.fail(r.pos, "rules cooldown: min_age is missing (for example 72h or 7d)")
	}
	return c
}

// parseAge reads a duration, also in days ("7d").
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != d {
			return 0, fmt.Errorf("%q is not a duration such as 72h or 7d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 72h or 7d", s)
	}
	return d, nil
}

func (v *validator) exception(r rawException) (Exception, bool) {
	x := Exception{Pos: r.pos, Reason: r.Reason.Value, Version: r.Version.Value}
	switch {
	case !r.Name.Set || !pep508.ValidName(r.Name.Value):
		v.fail(r.pos, "exceptions: %q is not a valid project name", r.Name.Value)
		return x, false
	case !r.Rule.Set:
		v.fail(r.pos, "exceptions %s: rule is missing", r.Name.Value)
		return x, false
	case !knownRule(Rule(r.Rule.Value)) && Rule(r.Rule.Value) != RuleCustom:
		v.fail(r.Rule.Pos, "exceptions %s: unknown rule %q", r.Name.Value, r.Rule.Value)
		return x, false
	case Rule(r.Rule.Value) == RuleDirectURL && strings.TrimSpace(r.URL.Value) == "":
		v.fail(r.pos, "exceptions %s: a direct-url exception needs url: the URL or path prefix it allows", r.Name.Value)
		return x, false
	case Rule(r.Rule.Value) != RuleDirectURL && r.URL.Set:
		v.fail(r.URL.Pos, "exceptions %s: url applies only to rule direct-url", r.Name.Value)
		return x, false
	case Rule(r.Rule.Value) != RuleCustom && r.Custom.Set:
		v.fail(r.Custom.Pos, "exceptions %s: custom applies only to rule custom", r.Name.Value)
		return x, false
	case strings.TrimSpace(r.Reason.Value) == "":
		v.fail(r.pos, "exceptions %s: reason is missing: say why the risk is accepted", r.Name.Value)
		return x, false
	case !r.Expires.Set:
		v.fail(r.pos, "exceptions %s: expires is missing: every accepted risk needs an end date (YYYY-MM-DD)", r.Name.Value)
		return x, false
	}
	x.Name = pep508.Normalize(r.Name.Value)
	x.Rule = Rule(r.Rule.Value)
	x.URL = r.URL.Value
	x.Custom = r.Custom.Value
	t, err := parseDate(r.Expires.Value)
	if err != nil {
		v.fail(r.Expires.Pos, "exceptions %s: expires: %v", x.Name, err)
		return x, false
	}
	x.Expires = t
	if x.Version != "" {
		spec := x.Version
		if !strings.ContainsAny(spec[:1], "<>=!~") {
			spec = "==" + spec
		}
		s, err := pep440.ParseSpecifierSet(spec)
		if err != nil {
			v.fail(r.Version.Pos, "exceptions %s: version: %v", x.Name, err)
			return x, false
		}
		x.versions = s
	}
	return x, true
}

// parseDate reads an expiry: a date (the exception lasts to the end of that
// day, UTC) or an RFC 3339 time.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(24*time.Hour - time.Nanosecond), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
}

func ruleList() string { return joinRules(Rules) }

func joinRules(rs []Rule) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
