package reqfile

import (
	"fmt"
	"strings"
)

// SplitCommand splits one shell command into words as a POSIX shell
// would, for [ParseCommandLine]. It handles blanks, single quotes, double
// quotes, backslash escapes, line continuations and comments, and refuses,
// with an [*Error] wrapping [ErrShell] at the offending byte ([Position.Col]),
// everything whose result depends on the shell's state or runs more than
// one command: unquoted ; & | < > ( ) and newlines, $ (parameters,
// $(...), $'...') and backquotes outside single quotes, unquoted glob
// characters * ? [, brace expansion {, a ~ that would expand, and leading
// VAR=value assignments (they set pip's environment, such as
// PIP_INDEX_URL).
func SplitCommand(s string) ([]string, error) {
	s = strings.TrimRight(s, " \t\r\n")
	var words []string
	var cur strings.Builder
	inWord := false
	fail := func(i int, format string, args ...any) ([]string, error) {
		return nil, &Error{
			Pos:  Position{Source: CommandLine, Col: i + 1, Arg: len(words)},
			Text: s,
			Err:  fmt.Errorf("%w: "+format, append([]any{ErrShell}, args...)...),
		}
	}
	// assignable reports whether the word so far could be the NAME of a
	// NAME=value assignment: the first word, unquoted.
	assignable := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++ // line continuation
			continue
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			continue
		case c == '#' && !inWord:
			return finishWords(words, cur.String(), inWord), nil
		}
		if !inWord {
			inWord, assignable = true, len(words) == 0
			if c == '~' {
				return fail(i, "unquoted ~ at the start of a word")
			}
		}
		switch c {
		case '\\':
			if i+1 >= len(s) {
				return fail(i, "backslash at the end of the command")
			}
			i++
			cur.WriteByte(s[i])
			assignable = false
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return fail(i, "unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			assignable = false
		case '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch s[i] {
				case '$', '`':
					return fail(i, "%q inside double quotes", s[i])
				case '\\':
					if i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
						i++
						if s[i] == '\n' {
							continue
						}
					}
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return fail(len(s)-1, "unterminated double quote")
			}
			assignable = false
		case ';', '&', '|', '<', '>', '(', ')':
			return fail(i, "unquoted %q", c)
		case '\n':
			return fail(i, "newline (more than one command)")
		case '$', '`':
			return fail(i, "unquoted %q (expansion or command substitution)", c)
		case '*', '?', '[':
			return fail(i, "unquoted %q (file name pattern)", c)
		case '{':
			return fail(i, "unquoted { (brace expansion)")
		case '=', ':':
			if c == '=' && assignable && isName(cur.String()) {
				return fail(i, "environment assignment %s=", cur.String())
			}
			if i+1 < len(s) && s[i+1] == '~' {
				return fail(i+1, "unquoted ~ after %q", c)
			}
			cur.WriteByte(c)
		default:
			cur.WriteByte(c)
		}
	}
	return finishWords(words, cur.String(), inWord), nil
}

func finishWords(words []string, cur string, inWord bool) []string {
	if inWord {
		words = append(words, cur)
	}
	return words
}

// isName reports whether s is a shell variable name.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
