package reqfile

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// ParseCommandLine reads the argv of a pip install command strictly: the
// first problem, one that makes pip refuse the command, is returned as an
// [*Error]. argv[0] is the program: pip, pip3, pip3.N, or python, python3,
// python3.N (any directory) followed by Python's own flags and "-m pip".
// Includes (-r, -c) are relative to pip's working directory, and read
// through cfg.Open when it is set.
func ParseCommandLine(argv []string, cfg *Config) ([]Entry, error) {
	p := newParser(cfg, false)
	p.commandLine(argv)
	if p.err != nil {
		return p.entries, p.err
	}
	return p.entries, nil
}

// ParseCommandLineLax is [ParseCommandLine] for agent input: problems
// become [KindError] and [KindUnknownOption] entries and parsing goes on.
// A command that is not a pip install gives a single error entry.
func ParseCommandLineLax(argv []string, cfg *Config) []Entry {
	p := newParser(cfg, true)
	p.commandLine(argv)
	return p.entries
}

// pipStart returns the index in argv of pip's first argument, after the
// program (and Python's flags and -m pip).
func pipStart(argv []string) (int, error) {
	if len(argv) == 0 {
		return 0, errors.New("empty command")
	}
	prog := path.Base(argv[0])
	if isVersioned(prog, "pip") {
		return 1, nil
	}
	if !isVersioned(prog, "python") {
		return 0, fmt.Errorf("%q is not pip or python", argv[0])
	}
	// Python's command line: flags, then -m module.
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" || strings.HasPrefix(a, "--") {
			return 0, errors.New("python does not run -m pip")
		}
		for j := 1; j < len(a); j++ {
			switch c := a[j]; {
			case c == 'm':
				mod, next := a[j+1:], i+1
				if mod == "" {
					if i+1 >= len(argv) {
						return 0, errors.New("python -m without a module")
					}
					mod, next = argv[i+1], i+2
				}
				if mod != "pip" {
					return 0, fmt.Errorf("python runs module %q, not pip", mod)
				}
				return next, nil
			case c == 'W' || c == 'X':
				// The option's value is the rest of the word or the next word.
				if j == len(a)-1 {
					i++
				}
				j = len(a)
			case strings.IndexByte("bBdEiIOPqRsSuvx", c) >= 0:
			default:
				return 0, fmt.Errorf("python option -%c is not supported before -m pip", c)
			}
		}
	}
	return 0, errors.New("python does not run -m pip")
}

// isVersioned reports whether prog is name, name3 or name3.N.
func isVersioned(prog, name string) bool {
	rest, ok := strings.CutPrefix(prog, name)
	if !ok {
		return false
	}
	if rest == "" || rest == "3" {
		return true
	}
	minor, ok := strings.CutPrefix(rest, "3.")
	if !ok || minor == "" {
		return false
	}
	for i := 0; i < len(minor); i++ {
		if minor[i] < '0' || minor[i] > '9' {
			return false
		}
	}
	return true
}

func (p *parser) commandLine(argv []string) {
	joined := strings.Join(argv, " ")
	argPos := func(i int) Position { return Position{Source: CommandLine, Arg: i} }
	fatal := func(i int, err error) {
		p.fatal(&Error{Pos: argPos(i), Text: joined, Err: err})
	}
	if len(argv) > MaxEntries {
		fatal(0, fmt.Errorf("%w: more than %d arguments", ErrTooManyEntries, MaxEntries))
		return
	}
	for i, a := range argv {
		if !utf8.ValidString(a) {
			fatal(i, fmt.Errorf("%w: argument is not valid UTF-8", ErrEncoding))
			return
		}
		if strings.IndexByte(a, 0) >= 0 {
			fatal(i, ErrBinary)
			return
		}
		if len(a) > MaxLineLength {
			fatal(i, fmt.Errorf("%w: argument longer than %d bytes", ErrLineTooLong, MaxLineLength))
			return
		}
	}
	start, err := pipStart(argv)
	if err != nil {
		fatal(0, fmt.Errorf("%w: %w", ErrNotPipInstall, err))
		return
	}
	words := make([]word, len(argv)-start)
	for i := range words {
		words[i] = word{text: argv[start+i], start: start + i, end: start + i}
	}
	base := Entry{Pos: argPos(0), Line: joined}
	// pip's main parser reads the general options before the command;
	// its errors are reported in argument order with the rest.
	items, stop := optparse(words, mainOptions, nil, false)
	var mainErrs []optItem
	for _, it := range items {
		if it.err != nil {
			mainErrs = append(mainErrs, it)
		}
	}
	mainWords := words
	flushMain := func(upTo int) {
		for len(mainErrs) > 0 && mainWords[mainErrs[0].first].start <= upTo {
			p.optError(base, mainWords, mainErrs[0])
			mainErrs = mainErrs[1:]
		}
	}
	if !p.lax && len(mainErrs) > 0 {
		flushMain(len(argv))
		return
	}
	if stop >= len(words) {
		flushMain(len(argv))
		fatal(len(argv)-1, fmt.Errorf("%w: no command", ErrNotPipInstall))
		return
	}
	if cmd := words[stop].text; cmd != "install" {
		flushMain(len(argv))
		fatal(words[stop].start, fmt.Errorf("%w: pip command %q", ErrNotPipInstall, cmd))
		return
	}
	// pip removes the first "install" from the arguments, wherever it is,
	// and gives the rest to the install command's parser.
	for i, w := range words {
		if w.text == "install" {
			words = append(words[:i:i], words[i+1:]...)
			break
		}
	}
	items, _ = optparse(words, installOptions, nil, true)
	lastIndex, noIndex := -1, false
	for i, it := range items {
		if it.err == nil && it.spec == optIndexURL {
			lastIndex = i
		}
		if it.err == nil && it.spec == optNoIndex {
			noIndex = true
		}
	}
	for i, it := range items {
		flushMain(words[it.first].start)
		if p.done() {
			return
		}
		if it.err != nil {
			p.optError(base, words, it)
			continue
		}
		e := base
		e.Pos = argPos(words[it.first].start)
		e.Raw = rawArgs(words, it)
		if it.arg {
			e.Kind = KindRequirement
			e.Raw = words[it.first].text
			req, err := classifyLine(e.Raw)
			if err != nil {
				p.fail(&Error{Pos: e.Pos, Text: e.Raw, Err: err}, e)
				continue
			}
			e.Requirement = req
			p.add(e)
			continue
		}
		e.Kind = KindOption
		e.Option = &Option{Name: it.spec.name(), Spelling: it.spelling, Value: it.value, HasValue: it.spec.takesValue()}
		switch it.spec {
		case optEditable:
			e.Kind = KindEditable
			req, err := classifyEditable(it.value)
			if err != nil {
				p.fail(&Error{Pos: e.Pos, Option: it.spelling, Text: e.Raw, Err: err}, e)
				continue
			}
			e.Requirement = req
		case optRequirement, optConstraint:
			e.Kind = KindInclude
			if it.spec == optConstraint {
				e.Kind = KindConstraint
			}
			e.Include = &Include{Path: it.value, Resolved: it.value, URL: hasIncludeScheme(it.value), Constraint: it.spec == optConstraint}
		case optTrustedHost:
			// pip adds trusted hosts to its session before installing.
			if err := checkTrustedHost(it.value); err != nil {
				p.fail(&Error{Pos: e.Pos, Option: it.spelling, Text: e.Raw, Err: fmt.Errorf("%w: --trusted-host %q: %w", ErrOption, it.value, err)}, e)
				continue
			}
		case optIndexURL:
			switch {
			case noIndex:
				e.Ignored, e.IgnoredReason = true, whyNoIndex
			case i != lastIndex:
				e.Ignored, e.IgnoredReason = true, whyLastIndexURL
			}
		case optExtraIndexURL:
			if noIndex {
				e.Ignored, e.IgnoredReason = true, whyNoIndex
			}
		}
		p.add(e)
		// Read an include in place, so that its entries follow it.
		if e.Include != nil {
			p.follow(e.Include, e.Pos, 0)
		}
	}
	flushMain(len(argv))
}

func rawArgs(words []word, it optItem) string {
	parts := make([]string, 0, it.last-it.first+1)
	for _, w := range words[it.first : it.last+1] {
		parts = append(parts, w.text)
	}
	return strings.Join(parts, " ")
}

// optError records an option error from a command line.
func (p *parser) optError(base Entry, words []word, it optItem) {
	e := base
	e.Pos.Arg = words[it.first].start
	e.Raw = rawArgs(words, it)
	e.Kind = KindError
	if errors.Is(it.err, ErrUnknownOption) {
		e.Kind = KindUnknownOption
		e.Option = &Option{Name: it.spelling, Spelling: it.spelling, Value: it.value}
	}
	p.fail(&Error{Pos: e.Pos, Option: it.spelling, Text: e.Raw, Err: it.err}, e)
}
