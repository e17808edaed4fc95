package env

import (
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/policy"
	"github.com/airlock-dev/airlock/internal/reqfile"
)

func TestRequestOf(t *testing.T) {
	files := map[string]string{
		"c.txt": "Helper_Lib<3\n",
	}
	open := reqfile.FSOpener(mapFS(files))
	text := "App[extra] >= 1.0 ; python_version >= '3'\n" +
		"-c c.txt\n" +
		"--pre\n" +
		"--prefer-binary\n" +
		"pinned==2.0 --hash=sha256:" + strings.ToUpper(sha) + " --hash=sha512:abc\n"
	entries, err := reqfile.Parse("requirements.txt", []byte(text), &reqfile.Config{Open: open})
	if err != nil {
		t.Fatal(err)
	}
	rq, err := requestOf([]policy.Input{{Entries: entries, BaseDir: "."}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`App[extra]>=1.0; python_version >= "3"`, "pinned==2.0"}; !slices.Equal(rq.lines, want) {
		t.Errorf("lines = %q, want %q", rq.lines, want)
	}
	if want := []string{"Helper_Lib<3"}; !slices.Equal(rq.constraints, want) {
		t.Errorf("constraints = %q, want %q", rq.constraints, want)
	}
	if !rq.pre || rq.prereleases() != pep440.PrereleasesAllow {
		t.Error("--pre was not kept")
	}
	if got := rq.requested("app").String(); got != ">=1.0" {
		t.Errorf("requested(app) = %q", got)
	}
	if got := rq.hashes["pinned"]; !slices.Equal(got, []string{sha}) {
		t.Errorf("hashes = %q", got)
	}
	notes := strings.Join(rq.notes, "\n")
	if !strings.Contains(notes, "--prefer-binary ignored") || !strings.Contains(notes, "sha512:abc ignored") {
		t.Errorf("notes = %q", rq.notes)
	}

	// The hash pin is enforced on the chosen file.
	in := &Installer{}
	n := &Node{Name: "pinned", Version: pep440.MustParse("2.0"), Filename: "pinned-2.0-py3-none-any.whl", SHA256: sha, Requested: true}
	if d := in.hashCheck(n, rq, policy.Decision{}); d.Action != policy.Allow {
		t.Errorf("matching hash refused: %+v", d)
	}
	n.SHA256 = strings.Repeat("1", 64)
	if d := in.hashCheck(n, rq, policy.Decision{}); d.Action != policy.Deny || d.Findings[0].Rule != RuleHash {
		t.Errorf("other hash allowed: %+v", d)
	}

	// Anything that does not come from the index cannot be installed.
	for _, line := range []string{"https://example.org/x-1.0.tar.gz", "-e ./src", "./local"} {
		entries := reqfile.ParseLax("r.txt", []byte(line+"\n"), nil)
		if _, err := requestOf([]policy.Input{{Entries: entries}}); err == nil {
			t.Errorf("requestOf(%q) accepted it", line)
		}
	}
}
