package advisory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxRecordSize is the largest OSV file airlock reads. The biggest PyPI
// records (long versions lists) are under 100 KiB.
const MaxRecordSize = 4 << 20

// maxYAMLDepth bounds the nesting of a YAML record; OSV needs six levels.
const maxYAMLDepth = 32

// Record is one OSV record (https://ossf.github.io/osv-schema/) as read from
// a file: the fields airlock uses, with values exactly as written. Records
// become vulnerabilities only through a [Builder], which validates them.
type Record struct {
	ID        string     `json:"id"`
	Modified  string     `json:"modified"`
	Published string     `json:"published"`
	Withdrawn string     `json:"withdrawn"`
	Aliases   []string   `json:"aliases"`
	Summary   string     `json:"summary"`
	Details   string     `json:"details"`
	Severity  []Score    `json:"severity"`
	Affected  []Affected `json:"affected"`
	// DatabaseSpecific holds the raw JSON of each database_specific key:
	// "severity" (GitHub's level) and "malicious-packages-origins" (the
	// OpenSSF malicious-packages database) are the ones airlock reads.
	DatabaseSpecific map[string]json.RawMessage `json:"database_specific"`
}

// Score is one entry of an OSV severity list: a type such as "CVSS_V3" and
// its score (a vector).
type Score struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one entry of a record's affected list.
type Affected struct {
	Package  Package  `json:"package"`
	Severity []Score  `json:"severity"`
	Ranges   []Range  `json:"ranges"`
	Versions []string `json:"versions"`
}

// Package names an affected package.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Purl      string `json:"purl"`
}

// Range is one affected range: a type (ECOSYSTEM, SEMVER or GIT) and its
// events.
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo"`
	Events []Event `json:"events"`
}

// Event is one event of a range. A valid event sets exactly one field.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// RecordError is an OSV file that could not be read as a record.
type RecordError struct {
	Path string // the file's path in its source; may be empty
	Line int    // 1-based, when known
	Err  error
}

func (e *RecordError) Error() string {
	switch {
	case e.Path != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	case e.Path != "":
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

func (e *RecordError) Unwrap() error { return e.Err }

// ErrTooLarge is returned for files over [MaxRecordSize].
var ErrTooLarge = errors.New("file is larger than the record size limit")

// ParseJSON reads one OSV record in JSON.
func ParseJSON(data []byte) (*Record, error) {
	if len(data) > MaxRecordSize {
		return nil, &RecordError{Err: ErrTooLarge}
	}
	var r Record
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		line := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line = lineOf(data, se.Offset)
		case errors.As(err, &te):
			line = lineOf(data, te.Offset)
		}
		return nil, &RecordError{Line: line, Err: err}
	}
	if dec.More() {
		return nil, &RecordError{Err: errors.New("data after the record")}
	}
	return &r, nil
}

func lineOf(data []byte, offset int64) int {
	if offset < 0 || offset > int64(len(data)) {
		return 0
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// ParseYAML reads one OSV record in YAML (the PyPA advisory database's
// format). Scalars keep their text as written: an unquoted 1.10 is the
// version "1.10", not the number 1.1. Anchors, aliases and merge keys are
// not accepted.
func ParseYAML(data []byte) (rec *Record, err error) {
	if len(data) > MaxRecordSize {
		return nil, &RecordError{Err: ErrTooLarge}
	}
	// The YAML parser is third-party code fed with downloaded data: a panic
	// in it is reported as a bad record, not a crash.
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, &RecordError{Err: fmt.Errorf("YAML parser failed: %v", p)}
		}
	}()
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, &RecordError{Err: errors.New(strings.TrimSpace(firstLine(err.Error())))}
	}
	var docs []ast.Node
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d.Body)
		}
	}
	if len(docs) != 1 {
		return nil, &RecordError{Err: fmt.Errorf("want one YAML document, found %d", len(docs))}
	}
	v, err := yamlValue(docs[0], 0)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, &RecordError{Line: nodeLine(docs[0]), Err: errors.New("record is not a mapping")}
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, &RecordError{Err: err}
	}
	var r Record
	if err := json.Unmarshal(js, &r); err != nil {
		return nil, &RecordError{Err: fmt.Errorf("record has the wrong shape: %w", err)}
	}
	return &r, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func nodeLine(n ast.Node) int {
	if t := n.GetToken(); t != nil && t.Position != nil {
		return t.Position.Line
	}
	return 0
}

// yamlValue converts a YAML node into JSON-shaped values: map[string]any,
// []any, string (every scalar, as written) and nil.
func yamlValue(n ast.Node, depth int) (any, error) {
	if depth > maxYAMLDepth {
		return nil, &RecordError{Line: nodeLine(n), Err: errors.New("YAML nested too deeply")}
	}
	switch n := n.(type) {
	case *ast.NullNode:
		return nil, nil
	case *ast.StringNode:
		return n.Value, nil
	case *ast.LiteralNode:
		if n.Value == nil {
			return "", nil
		}
		return n.Value.Value, nil
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, nil
	case *ast.TagNode:
		if n.Value == nil {
			return nil, nil
		}
		return yamlValue(n.Value, depth+1)
	case *ast.MappingNode:
		m := make(map[string]any, len(n.Values))
		for _, kv := range n.Values {
			if err := addPair(m, kv, depth); err != nil {
				return nil, err
			}
		}
		return m, nil
	case *ast.MappingValueNode:
		m := make(map[string]any, 1)
		if err := addPair(m, n, depth); err != nil {
			return nil, err
		}
		return m, nil
	case *ast.SequenceNode:
		s := make([]any, 0, len(n.Values))
		for _, e := range n.Values {
			v, err := yamlValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case nil:
		return nil, nil
	}
	return nil, &RecordError{Line: nodeLine(n), Err: fmt.Errorf("unsupported YAML %s", n.Type())}
}

func addPair(m map[string]any, kv *ast.MappingValueNode, depth int) error {
	if kv == nil || kv.Key == nil {
		return &RecordError{Err: errors.New("mapping entry without a key")}
	}
	kn, ok := ast.Node(kv.Key).(ast.ScalarNode)
	if !ok || kv.Key.IsMergeKey() {
		return &RecordError{Line: nodeLine(kv.Key), Err: errors.New("mapping key is not a plain scalar")}
	}
	k, err := yamlValue(kn, depth+1)
	if err != nil {
		return err
	}
	key, _ := k.(string)
	if _, dup := m[key]; dup {
		return &RecordError{Line: nodeLine(kv.Key), Err: fmt.Errorf("key %q given twice", key)}
	}
	v, err := yamlValue(kv.Value, depth+1)
	if err != nil {
		return err
	}
	m[key] = v
	return nil
}
