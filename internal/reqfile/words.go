package reqfile

import (
	"errors"
	"strings"
)

// word is one word of a split line, with the byte offsets of its text
// (quotes included) in the line it came from.
type word struct {
	text       string
	start, end int
}

var (
	errNoClosingQuote = errors.New("no closing quotation")
	errNoEscaped      = errors.New("no escaped character")
)

// shlexSplit splits s as Python's shlex.split(s) does (POSIX mode, no
// comments): words are separated by space, tab, CR or LF; single quotes are
// literal; a backslash escapes any character outside quotes, and only " and
// \ inside double quotes (elsewhere in double quotes it stays).
func shlexSplit(s string) ([]word, error) {
	var words []word
	const (
		stSpace = iota
		stWord
		stSingle
		stDouble
		stEscape
	)
	state := stSpace
	escaped := stSpace // the state an escape returns to
	var tok strings.Builder
	quoted := false
	start := 0
	flush := func(end int) {
		words = append(words, word{tok.String(), start, end})
		tok.Reset()
		quoted = false
	}
	for i, r := range s {
		switch state {
		case stSpace:
			switch {
			case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			case r == '\\':
				start, escaped, state = i, stWord, stEscape
			case r == '\'':
				start, state = i, stSingle
			case r == '"':
				start, state = i, stDouble
			default:
				start, state = i, stWord
				tok.WriteRune(r)
			}
		case stWord:
			switch {
			case r == ' ' || r == '\t' || r == '\r' || r == '\n':
				if tok.Len() > 0 || quoted {
					flush(i)
				}
				state = stSpace
			case r == '\'':
				state = stSingle
			case r == '"':
				state = stDouble
			case r == '\\':
				escaped, state = stWord, stEscape
			default:
				tok.WriteRune(r)
			}
		case stSingle:
			quoted = true
			if r == '\'' {
				state = stWord
			} else {
				tok.WriteRune(r)
			}
		case stDouble:
			quoted = true
			switch r {
			case '"':
				state = stWord
			case '\\':
				escaped, state = stDouble, stEscape
			default:
				tok.WriteRune(r)
			}
		case stEscape:
			if escaped == stDouble && r != '"' && r != '\\' {
				tok.WriteByte('\\')
			}
			tok.WriteRune(r)
			state = escaped
		}
	}
	switch state {
	case stSingle, stDouble:
		return words, errNoClosingQuote
	case stEscape:
		return words, errNoEscaped
	case stWord:
		if tok.Len() > 0 || quoted {
			flush(len(s))
		}
	}
	return words, nil
}

// breakArgsOptions is pip's break_args_options: the line is split at single
// spaces, and the requirement is the words before the first one that starts
// with "-". It returns the requirement text and the byte offset where the
// options start (len(line) when there are none).
func breakArgsOptions(line string) (args string, optStart int) {
	off := 0
	for {
		if strings.HasPrefix(line[off:], "-") {
			if off == 0 {
				return "", 0
			}
			return line[:off-1], off
		}
		i := strings.IndexByte(line[off:], ' ')
		if i < 0 {
			return line, len(line)
		}
		off += i + 1
	}
}
