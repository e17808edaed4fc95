package inspect

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// SARIFTool names the tool in SARIF output.
type SARIFTool struct {
	Name           string // "airlock"
	Version        string
	InformationURI string
}

// SARIF 2.1.0 documents, as much of them as airlock writes.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool       sarifToolObj    `json:"tool"`
		Artifacts  []sarifArtifact `json:"artifacts,omitempty"`
		Results    []sarifResult   `json:"results"`
		ColumnKind string          `json:"columnKind"`
	}
	sarifToolObj struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string         `json:"id"`
		Name                 string         `json:"name,omitempty"`
		ShortDescription     *sarifText     `json:"shortDescription,omitempty"`
		Help                 *sarifText     `json:"help,omitempty"`
		DefaultConfiguration sarifRuleConf  `json:"defaultConfiguration"`
		Properties           map[string]any `json:"properties,omitempty"`
	}
	sarifRuleConf struct {
		Level string `json:"level"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifArtifact struct {
		Location    sarifArtifactLocation `json:"location"`
		ParentIndex *int                  `json:"parentIndex,omitempty"`
	}
	sarifArtifactLocation struct {
		URI   string `json:"uri"`
		Index *int   `json:"index,omitempty"`
	}
	sarifResult struct {
		RuleID     string          `json:"ruleId"`
		RuleIndex  int             `json:"ruleIndex"`
		Level      string          `json:"level"`
		Message    sarifText       `json:"message"`
		Locations  []sarifLocation `json:"locations"`
		Properties map[string]any  `json:"properties,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           *sarifRegion          `json:"region,omitempty"`
	}
	sarifRegion struct {
		StartLine   int        `json:"startLine"`
		StartColumn int        `json:"startColumn,omitempty"`
		Snippet     *sarifText `json:"snippet,omitempty"`
	}
)

const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// level maps an action to a SARIF result level.
func level(a Action) string {
	switch a {
	case ActionDeny:
		return "error"
	case ActionReview:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score code-scanning UIs sort by.
func securitySeverity(s Severity) string {
	switch s {
	case SeverityCritical:
		return "9.5"
	case SeverityHigh:
		return "8.0"
	case SeverityMedium:
		return "5.5"
	}
	return "3.0"
}

// fileURI renders a path as a SARIF artifact URI: relative paths stay
// relative (with forward slashes), absolute ones become file: URIs.
func fileURI(p string) string {
	p = filepath.ToSlash(p)
	if strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}

// WriteSARIF writes findings as a SARIF 2.1.0 log: one run per engine
// (airlock's own rules, then bandit's when it reported), each with the
// rules its results use. A finding inside a wheel or sdist points at a
// nested artifact (the member, whose parent is the archive). Results carry
// the action as their level (deny: error, review: warning) and the
// severity as the rule's security-severity.
func WriteSARIF(w io.Writer, tool SARIFTool, findings []Finding) error {
	log := sarifLog{Schema: sarifSchemaURI, Version: "2.1.0"}
	engines := []string{"airlock"}
	for _, f := range findings {
		if e := f.Rule.Engine; e != "" && !slices.Contains(engines, e) {
			engines = append(engines, e)
		}
	}
	for _, engine := range engines {
		run := sarifRun{ColumnKind: "unicodeCodePoints", Results: []sarifResult{}}
		run.Tool.Driver = sarifDriver{Name: engine, Rules: []sarifRule{}}
		if engine == "airlock" {
			run.Tool.Driver.Name = tool.Name
			run.Tool.Driver.Version = tool.Version
			run.Tool.Driver.InformationURI = tool.InformationURI
		}
		ruleIndex := map[string]int{}
		artifactIndex := map[string]int{}
		artifact := func(uri string, parent *int) int {
			key := uri
			if parent != nil {
				key = run.Artifacts[*parent].Location.URI + "\x00" + uri
			}
			if i, ok := artifactIndex[key]; ok {
				return i
			}
			run.Artifacts = append(run.Artifacts, sarifArtifact{Location: sarifArtifactLocation{URI: uri}, ParentIndex: parent})
			artifactIndex[key] = len(run.Artifacts) - 1
			return len(run.Artifacts) - 1
		}
		for _, f := range findings {
			if (f.Rule.Engine == "" && engine != "airlock") || (f.Rule.Engine != "" && f.Rule.Engine != engine) {
				continue
			}
			ri, ok := ruleIndex[f.Rule.ID]
			if !ok {
				r := f.Rule
				rule := sarifRule{
					ID: r.ID, Name: r.Name, DefaultConfiguration: sarifRuleConf{Level: level(r.Action)},
					Properties: map[string]any{
						"family": string(r.Family), "tags": []string{"security", string(r.Family)},
						"security-severity": securitySeverity(r.Severity),
					},
				}
				if r.Summary != "" {
					rule.ShortDescription = &sarifText{r.Summary}
				}
				if r.Help != "" {
					rule.Help = &sarifText{r.Help}
				}
				run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule)
				ri = len(run.Tool.Driver.Rules) - 1
				ruleIndex[r.ID] = ri
			}
			var loc sarifArtifactLocation
			switch {
			case f.Archive != "" && f.Path != "":
				parent := artifact(fileURI(f.Archive), nil)
				i := artifact((&url.URL{Path: f.Path}).String(), &parent)
				loc = sarifArtifactLocation{URI: run.Artifacts[i].Location.URI, Index: &i}
			case f.Archive != "":
				i := artifact(fileURI(f.Archive), nil)
				loc = sarifArtifactLocation{URI: run.Artifacts[i].Location.URI, Index: &i}
			default:
				i := artifact(fileURI(f.Path), nil)
				loc = sarifArtifactLocation{URI: run.Artifacts[i].Location.URI, Index: &i}
			}
			res := sarifResult{
				RuleID: f.Rule.ID, RuleIndex: ri, Level: level(f.Action), Message: sarifText{f.Message},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: loc}}},
				Properties: map[string]any{
					"severity": f.Severity.String(), "action": f.Action.String(), "family": string(f.Rule.Family),
				},
			}
			if f.Line > 0 {
				reg := &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
				if f.Snippet != "" {
					reg.Snippet = &sarifText{f.Snippet}
				}
				res.Locations[0].PhysicalLocation.Region = reg
			}
			if f.Cell > 0 {
				res.Properties["cell"] = f.Cell
			}
			run.Results = append(run.Results, res)
		}
		log.Runs = append(log.Runs, run)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}
