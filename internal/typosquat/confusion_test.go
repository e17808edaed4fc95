package typosquat

import (
	"slices"
	"strings"
	"testing"
)

func TestConfusion(t *testing.T) {
	c, err := NewConfusion([]string{"Acme_Billing", "acme-ledger", "internal-tools"}, []string{"acme-*", "corp_?x-*", "*-private"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		target    string
		transform Transform
	}{
		{"acme-billing", "acme-billing", Internal},
		{"ACME.billing", "acme-billing", Internal},
		{"acme-payments", "acme-*", Pattern},
		{"acme_payments", "acme-*", Pattern},
		{"corp-ax-thing", "corp-?x-*", Pattern},
		{"corp-abx-thing", "", ""},
		{"anything-private", "*-private", Pattern},
		{"internal-tols", "internal-tools", Omission},
		{"tools-internal", "internal-tools", Reorder},
		{"internal-tools-py", "internal-tools", Affix},
		{"acmebilling", "", ""}, // not the pattern, and a look-alike only of "acme-billing"
		{"requests", "", ""},
		{"", "", ""},
	}
	// "acmebilling" is a separator look-alike of acme-billing, which the
	// look-alike check finds.
	tests[10].target, tests[10].transform = "acme-billing", Separator
	for _, tt := range tests {
		m, ok := c.Check(tt.name)
		if tt.target == "" {
			if ok {
				t.Errorf("Check(%q) = %v, want no match", tt.name, m)
			}
			continue
		}
		if !ok || m.Target != tt.target || m.Transform != tt.transform || m.Kind != KindConfusion || m.Rank != 0 {
			t.Errorf("Check(%q) = %+v, %v; want %s by %s", tt.name, m, ok, tt.target, tt.transform)
		}
	}
}

func TestConfusionErrors(t *testing.T) {
	tests := []struct {
		names, patterns []string
		msg             string
	}{
		{[]string{"-bad"}, nil, `internal name "-bad"`},
		{[]string{""}, nil, `internal name ""`},
		{nil, []string{"*"}, "at least two letters"},
		{nil, []string{"a*"}, "at least two letters"},
		{nil, []string{"?*?"}, "at least two letters"},
		{nil, []string{""}, "empty"},
		{nil, []string{"acme/*"}, `character '/'`},
		{nil, []string{"ac[me]*"}, `character '['`},
		{nil, []string{"ab" + strings.Repeat("*x", maxPatternStars+1)}, "more than"},
		{nil, []string{strings.Repeat("a", MaxNameLength+1)}, "longer than"},
	}
	for _, tt := range tests {
		_, err := NewConfusion(tt.names, tt.patterns)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("NewConfusion(%q, %q) error = %v, want %q", tt.names, tt.patterns, err, tt.msg)
		}
	}
}

func TestConfusionShadowed(t *testing.T) {
	c, err := NewConfusion([]string{"requests", "acme-billing"}, []string{"google-cloud-*"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Shadowed(Default())
	if len(got) < 10 || got[0] != "requests" || !slices.Contains(got, "google-cloud-storage") || slices.Contains(got, "acme-billing") {
		t.Errorf("Shadowed = %d names starting %q", len(got), got[:min(3, len(got))])
	}
	empty, err := NewConfusion(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := empty.Check("requests"); ok {
		t.Errorf("empty Confusion flagged requests: %v", m)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"acme-*", "acme-x", true},
		{"acme-*", "acme-", true},
		{"acme-*", "acme", false},
		{"acme*", "acmex", true},
		{"*-private", "a-private", true},
		{"*-private", "private", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*a*b*", "xxaxxbxx", true},
		{"*a*b*", "xxbxxaxx", false},
		{"a*a*a*a*b", strings.Repeat("a", 60), false},
		{"", "", true},
		{"*", "", true},
		{"*", "*0", true},
		{"a*", "a*b", true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}
