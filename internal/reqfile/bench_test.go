package reqfile

import (
	"fmt"
	"strings"
	"testing"
)

// benchFile is a 10,000-line requirements file of the usual shapes:
// pinned names, ranges with extras and markers, comments, and pip-compile
// entries whose hashes sit on continuation lines.
func benchFile() []byte {
	var b strings.Builder
	for i := 0; b.Len() >= 0; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "package-%d==1.%d.0\n", i, i%17)
		case 1:
			fmt.Fprintf(&b, "Project_%d[extra,other]>=2.0,<3 ; python_version >= \"3.8\"  # why\n", i)
		case 2:
			fmt.Fprintf(&b, "# a comment about the next one\n")
		case 3:
			fmt.Fprintf(&b, "hashed-%d==0.%d \\\n    --hash=sha256:%064x \\\n    --hash=sha256:%064x\n", i, i, i, i+1)
		case 4:
			fmt.Fprintf(&b, "lib%d~=4.%d\n", i, i%9)
		}
		if strings.Count(b.String(), "\n") >= 10000 {
			break
		}
	}
	return []byte(b.String())
}

func BenchmarkParse10000Lines(b *testing.B) {
	data := benchFile()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("requirements.txt", data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseLax10000Lines(b *testing.B) {
	data := benchFile()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if errs := Errors(ParseLax("requirements.txt", data, nil)); len(errs) > 0 {
			b.Fatal(errs[0])
		}
	}
}

func BenchmarkParseCommandLine(b *testing.B) {
	const cmd = "python3 -m pip install --user -U --index-url https://idx.example.com/simple 'requests>=2.31' numpy==1.26.0 'pandas[excel]>=2' -e git+https://example.com/x.git#egg=x --no-deps"
	b.ReportAllocs()
	for b.Loop() {
		argv, err := SplitCommand(cmd)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseCommandLine(argv, nil); err != nil {
			b.Fatal(err)
		}
	}
}
