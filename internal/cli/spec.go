package cli

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/airlock-dev/airlock/internal/pep440"
	"github.com/airlock-dev/airlock/internal/pep508"
	"github.com/spf13/cobra"
)

// maxSpecLine is the longest input line `airlock spec` reads; a longer line
// is answered with an error (and skipped), never read whole.
const maxSpecLine = 1 << 20

func (a *app) specCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "spec",
		Short: "Answer PEP 440/508 questions as JSON lines (conformance interface)",
		Long: `spec reads one JSON object per line on stdin and writes one JSON answer per
line on stdout, in order. It is how airlock's reading of versions, specifiers,
requirements and markers is checked against Python's packaging library.

Requests and answers (every answer has "ok"; a failed one has "error"):
  {"op":"version","version":S}
      -> normalized, public, epoch, release (numbers), local (string or null),
         is_prerelease, is_postrelease, is_devrelease
  {"op":"compare","a":S,"b":S}                       -> result (-1, 0, 1)
  {"op":"contains","specifier":S,"version":S,"prereleases":null|true|false}
                                                     -> result
  {"op":"requirement","requirement":S}
      -> name, canonical_name, extras, specifier ([{"operator","version"}]),
         url (or null), marker (canonical string or null)
  {"op":"marker","marker":S,"environment":{...}}     -> result
  {"op":"normalize","name":S}                        -> result, valid

A bad line gets {"ok":false,"error":"..."} and never stops the stream. The
marker environment must name every variable the marker uses ("extra"
defaults to ""); airlock does not know the interpreter the marker is for.`,
		Example: `  echo '{"op":"compare","a":"1.0.post1","b":"1.0"}' | airlock spec
  airlock spec < questions.jsonl > answers.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSpec(a.stdin, a.stdout)
		},
	}
}

// runSpec answers every line of in on out. Output is flushed whenever no
// more input is buffered, so an interactive client gets each answer before
// it sends the next question.
func runSpec(in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriterSize(out, 64<<10)
	var buf []byte
	var answer []byte
	var req specRequest
	for {
		line, tooLong, err := readLine(r, &buf)
		if len(line) > 0 || tooLong || err == nil {
			answer = answer[:0]
			if tooLong {
				answer = appendError(answer, "line longer than the limit of 1 MiB")
			} else {
				answer = answerLine(answer, line, &req)
			}
			answer = append(answer, '\n')
			if _, werr := w.Write(answer); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return w.Flush()
		}
		if err != nil {
			w.Flush()
			return err
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
}

// readLine returns the next line without its newline. A line longer than
// maxSpecLine is skipped and reported with tooLong. err is io.EOF after the
// last line (which may lack a newline).
func readLine(r *bufio.Reader, buf *[]byte) (line []byte, tooLong bool, err error) {
	chunk, err := r.ReadSlice('\n')
	if err == nil {
		return chunk[:len(chunk)-1], false, nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return chunk, false, err
	}
	*buf = append((*buf)[:0], chunk...)
	for {
		chunk, err = r.ReadSlice('\n')
		if len(*buf)+len(chunk) > maxSpecLine {
			tooLong = true
		} else {
			*buf = append(*buf, chunk...)
		}
		switch {
		case err == nil:
			if tooLong {
				return nil, true, nil
			}
			return (*buf)[:len(*buf)-1], false, nil
		case !errors.Is(err, bufio.ErrBufferFull):
			if tooLong {
				return nil, true, err
			}
			return *buf, false, err
		}
	}
}

// answerLine appends the answer to one input line to b.
func answerLine(b, line []byte, req *specRequest) []byte {
	if len(bytes.TrimSpace(line)) == 0 {
		return appendError(b, "empty line")
	}
	if msg := decodeRequest(line, req); msg != "" {
		return appendError(b, msg)
	}
	if req.has&fOp == 0 || req.bad&fOp != 0 {
		return appendError(b, `missing string field "op"`)
	}
	switch req.op {
	case "version":
		return answerVersion(b, req)
	case "compare":
		return answerCompare(b, req)
	case "contains":
		return answerContains(b, req)
	case "requirement":
		return answerRequirement(b, req)
	case "marker":
		return answerMarker(b, req)
	case "normalize":
		return answerNormalize(b, req)
	}
	return appendError(b, "unknown op "+strconv.Quote(req.op))
}

func answerVersion(b []byte, req *specRequest) []byte {
	s, msg := req.field(fVersion)
	if msg != "" {
		return appendError(b, msg)
	}
	v, err := pep440.Parse(s)
	if err != nil {
		return appendError(b, err.Error())
	}
	// A normal form holds no quote, backslash or control character.
	b = append(b, `{"ok":true,"normalized":"`...)
	b = v.AppendTo(b)
	b = append(b, `","public":"`...)
	b = v.Public().AppendTo(b)
	b = append(b, '"')
	b = append(b, `,"epoch":`...)
	b = append(b, v.EpochString()...)
	b = append(b, `,"release":[`...)
	for i, n := range v.Release() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, n...)
	}
	b = append(b, `],"local":`...)
	if v.HasLocal() {
		b = appendJSONString(b, v.Local())
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"is_prerelease":`...)
	b = strconv.AppendBool(b, v.IsPrerelease())
	b = append(b, `,"is_postrelease":`...)
	b = strconv.AppendBool(b, v.IsPostrelease())
	b = append(b, `,"is_devrelease":`...)
	b = strconv.AppendBool(b, v.IsDevrelease())
	return append(b, '}')
}

func answerCompare(b []byte, req *specRequest) []byte {
	sa, msg := req.field(fA)
	if msg != "" {
		return appendError(b, msg)
	}
	sb, msg := req.field(fB)
	if msg != "" {
		return appendError(b, msg)
	}
	va, err := pep440.Parse(sa)
	if err != nil {
		return appendError(b, err.Error())
	}
	vb, err := pep440.Parse(sb)
	if err != nil {
		return appendError(b, err.Error())
	}
	b = append(b, `{"ok":true,"result":`...)
	b = strconv.AppendInt(b, int64(pep440.Compare(va, vb)), 10)
	return append(b, '}')
}

func answerContains(b []byte, req *specRequest) []byte {
	spec, msg := req.field(fSpecifier)
	if msg != "" {
		return appendError(b, msg)
	}
	vs, msg := req.field(fVersion)
	if msg != "" {
		return appendError(b, msg)
	}
	set, err := pep440.ParseSpecifierSet(spec)
	if err != nil {
		return appendError(b, err.Error())
	}
	v, err := pep440.Parse(vs)
	if err != nil {
		return appendError(b, err.Error())
	}
	if req.bad&fPrereleases != 0 {
		return appendError(b, `field "prereleases" must be null, true or false`)
	}
	ok, err := set.Match(v, req.pre)
	if err != nil {
		return appendError(b, err.Error())
	}
	return appendResult(b, ok)
}

func answerRequirement(b []byte, req *specRequest) []byte {
	s, msg := req.field(fRequirement)
	if msg != "" {
		return appendError(b, msg)
	}
	r, err := pep508.ParseRequirement(s)
	if err != nil {
		return appendError(b, err.Error())
	}
	b = append(b, `{"ok":true,"name":`...)
	b = appendJSONString(b, r.Name)
	b = append(b, `,"canonical_name":`...)
	b = appendJSONString(b, r.CanonicalName())
	b = append(b, `,"extras":[`...)
	for i, e := range r.Extras {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, e)
	}
	b = append(b, `],"specifier":[`...)
	i := 0
	for s := range r.Specifier.All() {
		if i++; i > 1 {
			b = append(b, ',')
		}
		b = append(b, `{"operator":`...)
		b = appendJSONString(b, s.Op)
		b = append(b, `,"version":`...)
		b = appendJSONString(b, s.Version)
		b = append(b, '}')
	}
	b = append(b, `],"url":`...)
	if r.URL != "" {
		b = appendJSONString(b, r.URL)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"marker":`...)
	if r.Marker != nil {
		b = appendJSONString(b, r.Marker.String())
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

func answerMarker(b []byte, req *specRequest) []byte {
	s, msg := req.field(fMarker)
	if msg != "" {
		return appendError(b, msg)
	}
	m, err := pep508.ParseMarker(s)
	if err != nil {
		return appendError(b, err.Error())
	}
	if req.bad&fEnvironment != 0 {
		return appendError(b, `field "environment" must be an object of strings ("extra" may be null)`)
	}
	ok, err := m.Evaluate(req.env)
	if err != nil {
		return appendError(b, err.Error())
	}
	return appendResult(b, ok)
}

func answerNormalize(b []byte, req *specRequest) []byte {
	s, msg := req.field(fName)
	if msg != "" {
		return appendError(b, msg)
	}
	b = append(b, `{"ok":true,"result":`...)
	b = appendJSONString(b, pep508.Normalize(s))
	b = append(b, `,"valid":`...)
	b = strconv.AppendBool(b, pep508.ValidName(s))
	return append(b, '}')
}

func appendResult(b []byte, ok bool) []byte {
	b = append(b, `{"ok":true,"result":`...)
	b = strconv.AppendBool(b, ok)
	return append(b, '}')
}

func appendError(b []byte, msg string) []byte {
	b = append(b, `{"ok":false,"error":`...)
	b = appendJSONString(b, msg)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD; everything else but quotes, backslashes and control characters
// is written as is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || n != 1 {
				i += n
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
