package advisory

import (
	"fmt"
	"math"
	"strings"
)

// Level is a qualitative severity: the CVSS v3/v4 rating scale, which is
// also what GitHub's advisories put in database_specific.severity. The zero
// value is [LevelUnknown]. Levels order from least to most severe, so they
// compare with < and >.
type Level uint8

// The severity levels. LevelModerate is CVSS's "Medium".
const (
	LevelUnknown Level = iota
	LevelNone
	LevelLow
	LevelModerate
	LevelHigh
	LevelCritical
)

var levelNames = [...]string{"unknown", "none", "low", "moderate", "high", "critical"}

// String returns the level's lower-case name: "unknown", "none", "low",
// "moderate", "high" or "critical".
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// ParseLevel parses a level name, in any case. "medium" is accepted as
// another name for "moderate".
func ParseLevel(s string) (Level, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "medium" {
		return LevelModerate, nil
	}
	for i, n := range levelNames {
		if t == n {
			return Level(i), nil
		}
	}
	return LevelUnknown, fmt.Errorf("unknown severity level %q (want low, moderate, high or critical)", s)
}

// MarshalText implements [encoding.TextMarshaler].
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// levelOfScore maps a CVSS base score to its qualitative rating.
func levelOfScore(score float64) Level {
	switch {
	case score <= 0:
		return LevelNone
	case score < 4:
		return LevelLow
	case score < 7:
		return LevelModerate
	case score < 9:
		return LevelHigh
	default:
		return LevelCritical
	}
}

// SeveritySource says where a [Severity] came from.
type SeveritySource uint8

// The severity sources.
const (
	// SourceNone: the records carry no severity.
	SourceNone SeveritySource = iota
	// SourceCVSSv3: the base score computed from a CVSS v3.0 or v3.1 vector.
	SourceCVSSv3
	// SourceCVSSv4: an approximate score from a CVSS v4.0 vector; see [Severity].
	SourceCVSSv4
	// SourceDatabase: database_specific.severity (GitHub's LOW, MODERATE,
	// HIGH, CRITICAL), which has a level but no score.
	SourceDatabase
)

var sourceNames = [...]string{"none", "cvss_v3", "cvss_v4", "database"}

// String returns "none", "cvss_v3", "cvss_v4" or "database".
func (s SeveritySource) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return fmt.Sprintf("SeveritySource(%d)", uint8(s))
}

// Severity is how severe a vulnerability is, for the policy's min_severity.
//
// The level comes, in order of preference, from the base score of a CVSS
// v3.x vector (computed with the CVSS v3.1 formula), from
// database_specific.severity, or from a CVSS v4.0 vector. CVSS v4.0 scores
// are defined by an expert-assigned table of 270 macrovector scores that
// airlock does not carry; for a v4 vector it computes instead the v3.1
// formula over the equivalent v3 metrics (AT:P counts as AC:H, UI:P and UI:A
// as UI:R, the subsequent-system impacts as a changed scope) and marks the
// result Approximate. When several records describe the same vulnerability,
// the most severe level wins.
type Severity struct {
	Level  Level
	Score  float64 // 0 when the source gives no score
	Source SeveritySource
	// Vector is the CVSS vector the score was computed from, if any.
	Vector string
	// Approximate reports that the score is an estimate (CVSS v4, see above).
	Approximate bool
}

// String returns "high (7.5)", "high" or "unknown".
func (s Severity) String() string {
	if s.Score > 0 {
		a := ""
		if s.Approximate {
			a = "~"
		}
		return fmt.Sprintf("%s (%s%.1f)", s.Level, a, s.Score)
	}
	return s.Level.String()
}

// AtLeast reports whether s meets the threshold min. An unknown severity
// meets every threshold: without data, airlock assumes the worst.
func (s Severity) AtLeast(min Level) bool {
	return s.Level == LevelUnknown || s.Level >= min
}

// moreSevere reports whether s should replace t when merging records.
func (s Severity) moreSevere(t Severity) bool {
	if t.Level == LevelUnknown {
		return s.Level != LevelUnknown
	}
	if s.Level != t.Level {
		return s.Level > t.Level
	}
	return s.Score > t.Score
}

// CVSSError is a CVSS vector that could not be scored.
type CVSSError struct {
	Vector string
	Reason string
}

func (e *CVSSError) Error() string {
	return fmt.Sprintf("CVSS vector %q: %s", e.Vector, e.Reason)
}

// maxVectorLength bounds the CVSS vectors airlock reads; real ones are under
// 200 bytes even with every environmental metric.
const maxVectorLength = 512

// cvss3Weights are the metric values of CVSS v3.1's base formula (the same
// numbers as v3.0). PR depends on the scope and is handled apart.
var cvss3Weights = map[string]map[string]float64{
	"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
	"AC": {"L": 0.77, "H": 0.44},
	"UI": {"N": 0.85, "R": 0.62},
	"C":  {"H": 0.56, "L": 0.22, "N": 0},
	"I":  {"H": 0.56, "L": 0.22, "N": 0},
	"A":  {"H": 0.56, "L": 0.22, "N": 0},
}

// cvss3Optional are the temporal and environmental metric names a v3 vector
// may carry after the base metrics; they do not change the base score.
var cvss3Optional = map[string]bool{
	"E": true, "RL": true, "RC": true, "CR": true, "IR": true, "AR": true,
	"MAV": true, "MAC": true, "MPR": true, "MUI": true, "MS": true, "MC": true, "MI": true, "MA": true,
}

// parseVector splits "CVSS:3.1/AV:N/..." into its version and metrics. It
// rejects repeated metrics.
func parseVector(vector string) (version string, metrics map[string]string, err error) {
	if len(vector) > maxVectorLength {
		return "", nil, &CVSSError{Vector: vector[:32] + "...", Reason: "too long"}
	}
	parts := strings.Split(strings.TrimSpace(vector), "/")
	head, ok := strings.CutPrefix(parts[0], "CVSS:")
	if !ok {
		return "", nil, &CVSSError{Vector: vector, Reason: "does not start with CVSS:<version>"}
	}
	metrics = make(map[string]string, len(parts)-1)
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok || k == "" || v == "" {
			return "", nil, &CVSSError{Vector: vector, Reason: fmt.Sprintf("malformed metric %q", p)}
		}
		if _, dup := metrics[k]; dup {
			return "", nil, &CVSSError{Vector: vector, Reason: fmt.Sprintf("metric %s given twice", k)}
		}
		metrics[k] = v
	}
	return head, metrics, nil
}

// CVSS3BaseScore computes the base score of a CVSS v3.0 or v3.1 vector such
// as "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" (9.8), with the v3.1
// formula and its exact round-up. Temporal and environmental metrics are
// allowed and ignored.
func CVSS3BaseScore(vector string) (float64, error) {
	version, m, err := parseVector(vector)
	if err != nil {
		return 0, err
	}
	if version != "3.0" && version != "3.1" {
		return 0, &CVSSError{Vector: vector, Reason: "not a CVSS v3.0 or v3.1 vector"}
	}
	for k := range m {
		if _, base := cvss3Weights[k]; base || k == "PR" || k == "S" || cvss3Optional[k] {
			continue
		}
		return 0, &CVSSError{Vector: vector, Reason: fmt.Sprintf("unknown metric %s", k)}
	}
	return cvss3Score(vector, m["AV"], m["AC"], m["PR"], m["UI"], m["S"], m["C"], m["I"], m["A"])
}

func cvss3Score(vector, av, ac, pr, ui, s, c, i, a string) (float64, error) {
	get := func(metric, value string) (float64, error) {
		w, ok := cvss3Weights[metric][value]
		if !ok {
			if value == "" {
				return 0, &CVSSError{Vector: vector, Reason: "missing base metric " + metric}
			}
			return 0, &CVSSError{Vector: vector, Reason: fmt.Sprintf("bad value %s:%s", metric, value)}
		}
		return w, nil
	}
	var changed bool
	switch s {
	case "U":
	case "C":
		changed = true
	case "":
		return 0, &CVSSError{Vector: vector, Reason: "missing base metric S"}
	default:
		return 0, &CVSSError{Vector: vector, Reason: "bad value S:" + s}
	}
	var prw float64
	switch pr {
	case "N":
		prw = 0.85
	case "L":
		prw = 0.62
		if changed {
			prw = 0.68
		}
	case "H":
		prw = 0.27
		if changed {
			prw = 0.5
		}
	case "":
		return 0, &CVSSError{Vector: vector, Reason: "missing base metric PR"}
	default:
		return 0, &CVSSError{Vector: vector, Reason: "bad value PR:" + pr}
	}
	avw, err := get("AV", av)
	if err != nil {
		return 0, err
	}
	acw, err := get("AC", ac)
	if err != nil {
		return 0, err
	}
	uiw, err := get("UI", ui)
	if err != nil {
		return 0, err
	}
	cw, err := get("C", c)
	if err != nil {
		return 0, err
	}
	iw, err := get("I", i)
	if err != nil {
		return 0, err
	}
	aw, err := get("A", a)
	if err != nil {
		return 0, err
	}
	iss := 1 - (1-cw)*(1-iw)*(1-aw)
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	if impact <= 0 {
		return 0, nil
	}
	exploitability := 8.22 * avw * acw * prw * uiw
	if changed {
		return roundUp(math.Min(1.08*(impact+exploitability), 10)), nil
	}
	return roundUp(math.Min(impact+exploitability, 10)), nil
}

// roundUp is CVSS v3.1's Roundup: the smallest number with one decimal
// place that is at least x, computed in integers to avoid floating-point
// surprises (v3.1 specification, appendix A).
func roundUp(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// CVSS4ApproxScore estimates the base score of a CVSS v4.0 vector with the
// v3.1 formula over the equivalent v3 metrics (see [Severity]). All impact
// metrics None scores 0, as in v4.0.
func CVSS4ApproxScore(vector string) (float64, error) {
	version, m, err := parseVector(vector)
	if err != nil {
		return 0, err
	}
	if version != "4.0" {
		return 0, &CVSSError{Vector: vector, Reason: "not a CVSS v4.0 vector"}
	}
	valid := map[string]string{
		"AV": "NALP", "AC": "LH", "AT": "NP", "PR": "NLH", "UI": "NPA",
		"VC": "HLN", "VI": "HLN", "VA": "HLN", "SC": "HLN", "SI": "HLN", "SA": "HLN",
	}
	for k, allowed := range valid {
		v, ok := m[k]
		if !ok {
			return 0, &CVSSError{Vector: vector, Reason: "missing base metric " + k}
		}
		if len(v) != 1 || !strings.Contains(allowed, v) {
			return 0, &CVSSError{Vector: vector, Reason: fmt.Sprintf("bad value %s:%s", k, v)}
		}
	}
	ac := m["AC"]
	if m["AT"] == "P" {
		ac = "H"
	}
	ui := "N"
	if m["UI"] != "N" {
		ui = "R"
	}
	s := "U"
	if m["SC"] != "N" || m["SI"] != "N" || m["SA"] != "N" {
		s = "C"
	}
	worst := func(a, b string) string {
		rank := map[string]int{"N": 0, "L": 1, "H": 2}
		if rank[b] > rank[a] {
			return b
		}
		return a
	}
	return cvss3Score(vector, m["AV"], ac, m["PR"], ui, s,
		worst(m["VC"], m["SC"]), worst(m["VI"], m["SI"]), worst(m["VA"], m["SA"]))
}
