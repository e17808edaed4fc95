package env

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

const proxyHost = "127.0.0.1:3128"

// item is a report item for tests.
type item struct {
	name, version, filename string
	sum                     string
	requested               bool
	requires                []string
	extras                  []string
}

func (it item) json() map[string]any {
	sum := it.sum
	if sum == "" {
		sum = sha
	}
	fn := it.filename
	if fn == "" {
		fn = strings.ReplaceAll(it.name, "-", "_") + "-" + it.version + "-py3-none-any.whl"
	}
	m := map[string]any{
		"download_info": map[string]any{
			"url":          "http://" + proxyHost + "/simple/" + it.name + "/" + sum + "/" + fn,
			"archive_info": map[string]any{"hash": "sha256=" + sum, "hashes": map[string]string{"sha256": sum}},
		},
		"is_direct": false,
		"requested": it.requested,
		"metadata":  map[string]any{"metadata_version": "2.1", "name": it.name, "version": it.version, "requires_dist": it.requires},
	}
	if it.extras != nil {
		m["requested_extras"] = it.extras
	}
	return m
}

var testEnvironment = map[string]string{
	"implementation_name": "cpython", "implementation_version": "3.11.2", "os_name": "posix",
	"platform_machine": "x86_64", "platform_release": "6.1", "platform_system": "Linux", "platform_version": "#1",
	"python_full_version": "3.11.2", "platform_python_implementation": "CPython", "python_version": "3.11", "sys_platform": "linux",
}

func report(items ...item) []byte {
	var install []any
	for _, it := range items {
		install = append(install, it.json())
	}
	b, _ := json.Marshal(map[string]any{"version": "1", "pip_version": "23.0.1", "install": install, "environment": testEnvironment})
	return b
}

func TestParseReportPaths(t *testing.T) {
	data := report(
		item{name: "app", version: "1.0", requested: true, requires: []string{"lib-a>=1", "lib-x; python_version < '3'", "lib-e[fast]", "lib-t; extra == 'test'"}},
		item{name: "lib-a", version: "1.2", requires: []string{"lib_b<3"}},
		item{name: "lib-b", version: "2.0"},
		item{name: "lib-e", version: "1.0", requires: []string{"lib-f; extra == 'fast'"}},
		item{name: "lib-f", version: "0.1"},
		item{name: "tool", version: "3.0", requested: true, requires: []string{"lib-b"}},
		item{name: "stray", version: "1.0"},
	)
	nodes, env, err := parseReport(data, proxyHost)
	if err != nil {
		t.Fatal(err)
	}
	if env["python_version"] != "3.11" {
		t.Errorf("environment: %v", env)
	}
	got := map[string]string{}
	for _, n := range nodes {
		got[n.Name] = strings.Join(n.Path, " → ")
	}
	want := map[string]string{
		"app":   "app 1.0",
		"lib-a": "app 1.0 → lib-a 1.2",
		"lib-b": "tool 3.0 → lib-b 2.0", // the shortest path
		"lib-e": "app 1.0 → lib-e 1.0",
		"lib-f": "app 1.0 → lib-e 1.0 → lib-f 0.1", // through the extra app asks of lib-e
		"tool":  "tool 3.0",
		"stray": "stray 1.0", // pip reports it alone: a dependency of something installed
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("path of %s = %q, want %q", k, got[k], v)
		}
	}
	app := nodes[0]
	var deps []string
	for _, d := range app.Requires {
		deps = append(deps, d.Name+d.Specifier.String())
	}
	if !slices.Equal(deps, []string{"lib-a>=1", "lib-e"}) {
		t.Errorf("app's applicable dependencies: %v", deps)
	}
	if s := requestedSpec(nodes, "lib-b"); s.String() != "<3" {
		t.Errorf("requestedSpec(lib-b) = %q", s)
	}
	if !app.Requested || nodes[1].Requested || app.URLPath != "/simple/app/"+sha+"/app-1.0-py3-none-any.whl" {
		t.Errorf("app: %+v", app)
	}
}

func TestParseReportRefuses(t *testing.T) {
	good := item{name: "app", version: "1.0", requested: true}
	mutate := func(f func(m map[string]any)) []byte {
		m := good.json()
		f(m)
		b, _ := json.Marshal(map[string]any{"version": "1", "install": []any{m}, "environment": testEnvironment})
		return b
	}
	dl := func(m map[string]any) map[string]any { return m["download_info"].(map[string]any) }
	other := strings.Repeat("0", 64)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"not JSON", []byte("Collecting app\n{}"), "not JSON"},
		{"two documents", append(report(good), []byte("{}")...), "trailing data"},
		{"version 2", []byte(`{"version": "2", "install": [], "environment": {}}`), `version "2"`},
		{"no environment", []byte(`{"version": "1", "install": []}`), "no marker environment"},
		{"direct URL", mutate(func(m map[string]any) { m["is_direct"] = true }), "not chosen from the index"},
		{"directory", mutate(func(m map[string]any) { dl(m)["dir_info"] = map[string]any{} }), "not chosen from the index"},
		{"vcs", mutate(func(m map[string]any) { dl(m)["vcs_info"] = map[string]any{"vcs": "git"} }), "not chosen from the index"},
		{"other host", mutate(func(m map[string]any) {
			dl(m)["url"] = "http://evil.example/simple/app/" + sha + "/app-1.0-py3-none-any.whl"
		}), "not on airlock's proxy"},
		{"https", mutate(func(m map[string]any) {
			dl(m)["url"] = "https://" + proxyHost + "/simple/app/" + sha + "/app-1.0-py3-none-any.whl"
		}), "not on airlock's proxy"},
		{"not a proxy path", mutate(func(m map[string]any) { dl(m)["url"] = "http://" + proxyHost + "/files/app-1.0-py3-none-any.whl" }), "not a proxy file path"},
		{"hash differs from URL", mutate(func(m map[string]any) {
			dl(m)["archive_info"] = map[string]any{"hashes": map[string]string{"sha256": other}}
		}), "not the one in the file URL"},
		{"no hash", mutate(func(m map[string]any) { dl(m)["archive_info"] = map[string]any{} }), "not the one in the file URL"},
		{"name differs from project", mutate(func(m map[string]any) { m["metadata"].(map[string]any)["name"] = "other" }), `metadata names "other"`},
		{"sdist", mutate(func(m map[string]any) {
			dl(m)["url"] = "http://" + proxyHost + "/simple/app/" + sha + "/app-1.0.tar.gz"
		}), "is not a wheel"},
		{"wheel of another version", mutate(func(m map[string]any) {
			dl(m)["url"] = "http://" + proxyHost + "/simple/app/" + sha + "/app-2.0-py3-none-any.whl"
		}), "not a wheel of that release"},
		{"bad version", mutate(func(m map[string]any) { m["metadata"].(map[string]any)["version"] = "one" }), "version"},
		{"bad requirement", mutate(func(m map[string]any) { m["metadata"].(map[string]any)["requires_dist"] = []string{"lib >= "} }), "Requires-Dist"},
		{"twice", report(good, good), "appears twice"},
	} {
		_, _, err := parseReport(tc.data, proxyHost)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: parseReport = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

func TestParseWheelName(t *testing.T) {
	for _, tc := range []struct {
		in, name, version string
		ok                bool
	}{
		{"app-1.0-py3-none-any.whl", "app", "1.0", true},
		{"app-1.0-1build-cp311-cp311-linux_x86_64.whl", "app", "1.0", true},
		{"app-1.0.tar.gz", "", "", false},
		{"app-1.0-py3-none.whl", "", "", false},
		{"../app-1.0-py3-none-any.whl", "", "", false},
		{"app--py3-none-any.whl", "", "", false},
	} {
		n, v, ok := parseWheelName(tc.in)
		if n != tc.name || v != tc.version || ok != tc.ok {
			t.Errorf("parseWheelName(%q) = %q, %q, %v", tc.in, n, v, ok)
		}
	}
}

func FuzzParseReport(f *testing.F) {
	f.Add(report(item{name: "app", version: "1.0", requested: true, requires: []string{"lib"}}, item{name: "lib", version: "2"}))
	f.Add([]byte(`{"version": "1", "install": [], "environment": {}}`))
	f.Add([]byte(`{"version": "1", "install": [{"download_info": {"url": "http://127.0.0.1:3128/simple/a/b/c"}}], "environment": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		nodes, _, err := parseReport(data, proxyHost)
		if err != nil {
			return
		}
		for _, n := range nodes {
			if !validSHA256(n.SHA256) || len(n.Path) == 0 || n.Path[len(n.Path)-1] != n.ID() {
				t.Fatalf("accepted a bad node: %+v", n)
			}
		}
	})
}
