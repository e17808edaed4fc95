package env

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const sha = "b4a270cd07d5373dc042ca0303020d0062ff52a7ef4a79ab3282e7a7d248988e"

var validLock = `{
  "lock_version": 1,
  "name": "work",
  "python": {"path": "/usr/bin/python3", "version": "3.11.2"},
  "created": "2026-01-02T03:04:05Z",
  "updated": "2026-01-02T03:05:00Z",
  "packages": [
    {"name": "app-core", "version": "1.0", "filename": "app_core-1.0-py3-none-any.whl", "sha256": "` + sha + `",
     "installed_at": "2026-01-02T03:05:00Z", "install_id": "x", "requested": "app-core>=1"},
    {"name": "helper-lib", "version": "2.0.post1", "filename": "helper_lib-2.0.post1-py3-none-any.whl", "sha256": "` + sha + `",
     "installed_at": "2026-01-02T03:05:00Z", "install_id": "x", "path": ["app-core 1.0", "helper-lib 2.0.post1"],
     "notes": ["vulnerable: allowed by exception"]}
  ]
}`

func TestParseLock(t *testing.T) {
	l, err := ParseLock([]byte(validLock))
	if err != nil {
		t.Fatalf("ParseLock(valid): %v", err)
	}
	if p := l.Find("helper-lib"); p == nil || p.Reason() != "dependency: app-core 1.0 → helper-lib 2.0.post1" {
		t.Errorf("Find(helper-lib) = %+v", p)
	}
	if p := l.Find("app-core"); p == nil || p.Reason() != "requested as app-core>=1" {
		t.Errorf("Find(app-core) = %+v", p)
	}
	if l.Find("missing") != nil {
		t.Error("Find(missing) found something")
	}
	if v := l.Installed()["helper-lib"]; v.String() != "2.0.post1" {
		t.Errorf("Installed = %v", l.Installed())
	}
	// Marshal, then parse again: the same lock.
	data, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	l2, err := ParseLock(data)
	if err != nil || !reflect.DeepEqual(l, l2) {
		t.Errorf("round trip: %v\n%+v\n%+v", err, l, l2)
	}

	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"newer version", `"lock_version": 1`, `"lock_version": 2`, "newer airlock"},
		{"old version", `"lock_version": 1`, `"lock_version": 0`, "not supported"},
		{"unknown field", `"name": "work"`, `"name": "work", "extra": 1`, "unknown field"},
		{"bad env name", `"name": "work"`, `"name": "../work"`, "invalid environment name"},
		{"name not normalised", `"name": "helper-lib"`, `"name": "Helper_Lib"`, "PEP 503"},
		{"unsorted", `"name": "helper-lib"`, `"name": "aaa"`, "not sorted"},
		{"repeated", `"name": "helper-lib"`, `"name": "app-core"`, "not sorted"},
		{"version not normalised", `"version": "1.0"`, `"version": "1.0.0-a1"`, "normalised PEP 440"},
		{"bad version", `"version": "1.0"`, `"version": "one"`, "PEP 440"},
		{"bad sha256", `"sha256": "` + sha + `",
     "installed_at": "2026-01-02T03:05:00Z", "install_id": "x", "requested"`, `"sha256": "ABC",
     "installed_at": "2026-01-02T03:05:00Z", "install_id": "x", "requested"`, "sha256"},
		{"file name with a slash", `"filename": "app_core`, `"filename": "../app_core`, "bad file name"},
		{"no python", `"path": "/usr/bin/python3"`, `"path": ""`, "no python"},
		{"trailing data", "\n}", "\n} {}", "after top-level value"},
		{"not JSON", `{`, `[`, "invalid character"},
	} {
		bad := strings.Replace(validLock, tc.old, tc.new, 1)
		if bad == validLock {
			t.Fatalf("%s: the replacement did not apply", tc.name)
		}
		if _, err := ParseLock([]byte(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ParseLock = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

func TestLockWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/lock.json"
	l := &Lock{Version: LockVersion, Name: "w", Python: Interpreter{Path: "/usr/bin/python3", Version: "3.11.2"},
		Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := l.write(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLock(path)
	if err != nil || got.Name != "w" || got.Packages == nil {
		t.Fatalf("ReadLock = %+v, %v", got, err)
	}
	if ents, _ := readDirNames(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func FuzzParseLock(f *testing.F) {
	f.Add([]byte(validLock))
	f.Add([]byte(`{"lock_version": 1, "name": "x", "python": {"path": "/p"}, "packages": []}`))
	f.Add([]byte(`{"lock_version": 3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLock(data)
		if err != nil {
			return
		}
		out, err := l.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed lock: %v", err)
		}
		l2, err := ParseLock(out)
		if err != nil {
			t.Fatalf("ParseLock(Marshal(l)): %v\n%s", err, out)
		}
		out2, _ := l2.Marshal()
		if string(out) != string(out2) {
			t.Fatalf("Marshal is not stable:\n%s\n%s", out, out2)
		}
	})
}
