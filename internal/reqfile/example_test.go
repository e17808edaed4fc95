package reqfile_test

import (
	"fmt"
	"testing/fstest"

	"github.com/airlock-dev/airlock/internal/reqfile"
)

func ExampleParseLax() {
	fsys := fstest.MapFS{
		"requirements.txt": {Data: []byte(`numpy==1.26.0 --index-url https://evil.example.com/simple
pkg @ https://example.com/pkg-1.0.zip#sha256=ff
-r more.txt
--target /tmp/site
`)},
		"more.txt": {Data: []byte("requests>=2.31 \\\n    --hash=sha256:58cd2187\n")},
	}
	data := fsys["requirements.txt"].Data
	entries := reqfile.ParseLax("requirements.txt", data, &reqfile.Config{Open: reqfile.FSOpener(fsys)})
	for _, e := range entries {
		switch {
		case e.Err != nil:
			fmt.Printf("%s: %s: %v\n", e.Pos, e.Kind, e.Err.Err)
		case e.Requirement != nil:
			r := e.Requirement
			fmt.Printf("%s: %s %s (%s) hashes=%v\n", e.Pos, e.Kind, r.Name, r.Form, r.Hashes)
		case e.Include != nil:
			fmt.Printf("%s: %s %s followed=%v\n", e.Pos, e.Kind, e.Include.Resolved, e.Include.Followed)
		default:
			fmt.Printf("%s: %s %s ignored=%v\n", e.Pos, e.Kind, e.Option, e.Ignored)
		}
	}
	// Output:
	// requirements.txt:1: requirement numpy (name) hashes=[]
	// requirements.txt:1: option --index-url=https://evil.example.com/simple ignored=true
	// requirements.txt:2: requirement pkg (url) hashes=[]
	// requirements.txt:3: include more.txt followed=true
	// more.txt:1: requirement requests (name) hashes=[sha256:58cd2187]
	// requirements.txt:4: unknown-option: no such option: --target
}

func ExampleParseCommandLine() {
	argv, err := reqfile.SplitCommand("python3 -m pip install --user -U 'requests>=2.31'")
	if err != nil {
		panic(err)
	}
	entries, err := reqfile.ParseCommandLine(argv, nil)
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		if e.Requirement != nil {
			fmt.Printf("%s: %s %s\n", e.Pos, e.Kind, e.Requirement.Text)
		} else {
			fmt.Printf("%s: %s %s\n", e.Pos, e.Kind, e.Option.Name)
		}
	}
	// Output:
	// argv[4]: option --user
	// argv[5]: option --upgrade
	// argv[6]: requirement requests>=2.31
}
