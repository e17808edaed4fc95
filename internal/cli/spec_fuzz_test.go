package cli

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzSpecLine checks that any input line gets exactly one answer that is a
// JSON object with "ok", and that the decoder agrees with encoding/json on
// which lines are JSON objects.
func FuzzSpecLine(f *testing.F) {
	for _, s := range []string{
		`{"op":"version","version":"1.0"}`,
		`{"op":"contains","specifier":">=1","version":"1.0a1","prereleases":true}`,
		`{"op":"marker","marker":"python_version >= '3'","environment":{"python_version":"3.11","extra":null}}`,
		`{"op":"requirement","requirement":"foo[bar]>=1; os_name == \"posix\""}`,
		`{"op":"normalize","name":"Foo_Bar","x":[1,2,{"y":NaN}]}`,
		`{"op":"version","version":"\ud83d\ude00"}`,
		`[]`, `{`, `{"op":1}`, `{"op":"version","version":"1"} x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if len(line) == 0 || bytes.IndexByte(line, '\n') >= 0 {
			return
		}
		var out bytes.Buffer
		if err := runSpec(bytes.NewReader(line), &out); err != nil {
			t.Fatal(err)
		}
		answers := bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n"))
		if len(answers) != 1 {
			t.Fatalf("%d answers to one line %q", len(answers), line)
		}
		var a map[string]any
		if err := json.Unmarshal(answers[0], &a); err != nil {
			t.Fatalf("answer %q is not JSON: %v", answers[0], err)
		}
		if _, ok := a["ok"].(bool); !ok {
			t.Fatalf("answer %q has no ok", answers[0])
		}
		var req specRequest
		var obj map[string]json.RawMessage
		stdErr := json.Unmarshal(line, &obj)
		ourErr := decodeRequest(line, &req)
		// encoding/json refuses NaN and Infinity, which Python accepts.
		if stdErr == nil && ourErr != "" {
			t.Fatalf("decodeRequest(%q) = %q, but it is a JSON object", line, ourErr)
		}
		if stdErr != nil && ourErr == "" && !bytes.Contains(line, []byte("NaN")) && !bytes.Contains(line, []byte("Infinity")) {
			t.Fatalf("decodeRequest(%q) accepted what encoding/json refuses: %v", line, stdErr)
		}
	})
}
