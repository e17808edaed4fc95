package reqfile

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// What pip's optparse options do with their values (optparse's actions).
type action int

const (
	actStore action = iota + 1
	actAppend
	actStoreTrue
	actStoreFalse
	actCount
	actCallback
	actHelp
)

// The optparse value types pip uses; typNone means the option takes no value.
type valueType int

const (
	typNone valueType = iota
	typString
	typChoice
	typInt
	typFloat
	typPath
)

// optSpec is one of pip's options, as cmdoptions.py and commands/install.py
// define it.
type optSpec struct {
	short   []string
	long    []string
	dest    string
	action  action
	typ     valueType
	choices []string
	// check is the validation pip's callback does, if any.
	check func(value string) error
}

func (o *optSpec) name() string     { return o.long[0] }
func (o *optSpec) takesValue() bool { return o.typ != typNone }

func opt(dest string, act action, typ valueType, names ...string) *optSpec {
	o := &optSpec{dest: dest, action: act, typ: typ}
	for _, n := range names {
		if strings.HasPrefix(n, "--") {
			o.long = append(o.long, n)
		} else {
			o.short = append(o.short, n)
		}
	}
	return o
}

func (o *optSpec) withChoices(c ...string) *optSpec { o.choices = c; return o }

func (o *optSpec) withCheck(f func(string) error) *optSpec { o.check = f; return o }

// The options of pip 23.0.1 (pip/_internal/cli/cmdoptions.py and
// pip/_internal/commands/install.py). TestOptionTableMatchesPip compares
// them with pip's own parsers.
var (
	optIndexURL      = opt("index_url", actStore, typString, "-i", "--index-url", "--pypi-url")
	optExtraIndexURL = opt("extra_index_urls", actAppend, typString, "--extra-index-url")
	optNoIndex       = opt("no_index", actStoreTrue, typNone, "--no-index")
	optConstraint    = opt("constraints", actAppend, typString, "-c", "--constraint")
	optRequirement   = opt("requirements", actAppend, typString, "-r", "--requirement")
	optEditable      = opt("editables", actAppend, typString, "-e", "--editable")
	optFindLinks     = opt("find_links", actAppend, typString, "-f", "--find-links")
	optNoBinary      = opt("format_control", actCallback, typString, "--no-binary").withCheck(checkFormatControl)
	optOnlyBinary    = opt("format_control", actCallback, typString, "--only-binary").withCheck(checkFormatControl)
	optPreferBinary  = opt("prefer_binary", actStoreTrue, typNone, "--prefer-binary")
	optRequireHashes = opt("require_hashes", actStoreTrue, typNone, "--require-hashes")
	optPre           = opt("pre", actStoreTrue, typNone, "--pre")
	optTrustedHost   = opt("trusted_hosts", actAppend, typString, "--trusted-host")
	optUseFeature    = opt("features_enabled", actAppend, typChoice, "--use-feature").
				withChoices("fast-deps", "truststore", "no-binary-enable-wheel-cache")
	optInstallOption = opt("install_options", actAppend, typString, "--install-option")
	optGlobalOption  = opt("global_options", actAppend, typString, "--global-option")
	optHash          = opt("hashes", actCallback, typString, "--hash").withCheck(checkHash)
)

// fileOptions are the options pip accepts in a requirements file:
// req_file.py's SUPPORTED_OPTIONS and SUPPORTED_OPTIONS_REQ.
var fileOptions = newOptTable(
	optIndexURL, optExtraIndexURL, optNoIndex, optConstraint, optRequirement, optEditable,
	optFindLinks, optNoBinary, optOnlyBinary, optPreferBinary, optRequireHashes, optPre,
	optTrustedHost, optUseFeature, optInstallOption, optGlobalOption, optHash,
)

// generalOptions is pip's general option group: the main parser's options,
// which every command also accepts.
var generalOptions = []*optSpec{
	opt("help", actHelp, typNone, "-h", "--help"),
	opt("debug_mode", actStoreTrue, typNone, "--debug"),
	opt("isolated_mode", actStoreTrue, typNone, "--isolated"),
	opt("require_venv", actStoreTrue, typNone, "--require-virtualenv", "--require-venv"),
	opt("python", actStore, typString, "--python"),
	opt("verbose", actCount, typNone, "-v", "--verbose"),
	opt("version", actStoreTrue, typNone, "-V", "--version"),
	opt("quiet", actCount, typNone, "-q", "--quiet"),
	opt("log", actStore, typPath, "--log", "--log-file", "--local-log"),
	opt("no_input", actStoreTrue, typNone, "--no-input"),
	opt("proxy", actStore, typString, "--proxy"),
	opt("retries", actStore, typInt, "--retries"),
	opt("timeout", actStore, typFloat, "--timeout", "--default-timeout"),
	opt("exists_action", actAppend, typChoice, "--exists-action").withChoices("s", "i", "w", "b", "a"),
	optTrustedHost,
	opt("cert", actStore, typPath, "--cert"),
	opt("client_cert", actStore, typPath, "--client-cert"),
	opt("cache_dir", actStore, typPath, "--cache-dir"),
	opt("cache_dir", actCallback, typNone, "--no-cache-dir"),
	opt("disable_pip_version_check", actStoreTrue, typNone, "--disable-pip-version-check"),
	opt("no_color", actStoreTrue, typNone, "--no-color"),
	opt("no_python_version_warning", actStoreTrue, typNone, "--no-python-version-warning"),
	optUseFeature,
	opt("deprecated_features_enabled", actAppend, typChoice, "--use-deprecated").withChoices("legacy-resolver"),
}

var mainOptions = newOptTable(generalOptions...)

// installOptions are the options of pip install: its command options, the
// package index group and the general group.
var installOptions = newOptTable(slices.Concat([]*optSpec{
	optRequirement, optConstraint,
	opt("ignore_dependencies", actStoreTrue, typNone, "--no-deps", "--no-dependencies"),
	optPre, optEditable,
	opt("dry_run", actStoreTrue, typNone, "--dry-run"),
	opt("target_dir", actStore, typString, "-t", "--target"),
	opt("platforms", actAppend, typString, "--platform"),
	opt("python_version", actCallback, typString, "--python-version").withCheck(checkPythonVersion),
	opt("implementation", actStore, typString, "--implementation"),
	opt("abis", actAppend, typString, "--abi"),
	opt("use_user_site", actStoreTrue, typNone, "--user"),
	opt("use_user_site", actStoreFalse, typNone, "--no-user"),
	opt("root_path", actStore, typString, "--root"),
	opt("prefix_path", actStore, typString, "--prefix"),
	opt("src_dir", actCallback, typPath, "--src", "--source", "--source-dir", "--source-directory"),
	opt("upgrade", actStoreTrue, typNone, "-U", "--upgrade"),
	opt("upgrade_strategy", actStore, typChoice, "--upgrade-strategy").withChoices("only-if-needed", "eager"),
	opt("force_reinstall", actStoreTrue, typNone, "--force-reinstall"),
	opt("ignore_installed", actStoreTrue, typNone, "-I", "--ignore-installed"),
	opt("ignore_requires_python", actStoreTrue, typNone, "--ignore-requires-python"),
	opt("build_isolation", actStoreFalse, typNone, "--no-build-isolation"),
	opt("use_pep517", actStoreTrue, typNone, "--use-pep517"),
	opt("use_pep517", actCallback, typNone, "--no-use-pep517"),
	opt("check_build_deps", actStoreTrue, typNone, "--check-build-dependencies"),
	opt("override_externally_managed", actStoreTrue, typNone, "--break-system-packages"),
	opt("config_settings", actCallback, typString, "--config-settings").withCheck(checkConfigSettings),
	optInstallOption, optGlobalOption,
	opt("compile", actStoreTrue, typNone, "--compile"),
	opt("compile", actStoreFalse, typNone, "--no-compile"),
	opt("warn_script_location", actStoreFalse, typNone, "--no-warn-script-location"),
	opt("warn_about_conflicts", actStoreFalse, typNone, "--no-warn-conflicts"),
	optNoBinary, optOnlyBinary, optPreferBinary, optRequireHashes,
	opt("progress_bar", actStore, typChoice, "--progress-bar").withChoices("on", "off"),
	opt("root_user_action", actStore, typChoice, "--root-user-action").withChoices("warn", "ignore"),
	opt("json_report_file", actStore, typString, "--report"),
	opt("no_clean", actStoreTrue, typNone, "--no-clean"),
	optIndexURL, optExtraIndexURL, optNoIndex, optFindLinks,
}, generalOptions)...)

// optTable is an optparse.OptionParser's option lookup.
type optTable struct {
	specs []*optSpec
	short map[string]*optSpec
	long  map[string]*optSpec
	names []string // long option strings, sorted
}

func newOptTable(specs ...*optSpec) *optTable {
	t := &optTable{specs: specs, short: map[string]*optSpec{}, long: map[string]*optSpec{}}
	for _, o := range specs {
		for _, s := range o.short {
			t.short[s] = o
		}
		for _, l := range o.long {
			t.long[l] = o
			t.names = append(t.names, l)
		}
	}
	slices.Sort(t.names)
	return t
}

// matchLong is optparse's _match_abbrev: an exact long option, or the only
// one that starts with s.
func (t *optTable) matchLong(s string) (*optSpec, string, error) {
	if o, ok := t.long[s]; ok {
		return o, s, nil
	}
	var matches []string
	i, _ := slices.BinarySearch(t.names, s)
	for ; i < len(t.names) && strings.HasPrefix(t.names[i], s); i++ {
		matches = append(matches, t.names[i])
	}
	switch len(matches) {
	case 0:
		return nil, "", fmt.Errorf("%w: %s", ErrUnknownOption, s)
	case 1:
		return t.long[matches[0]], matches[0], nil
	}
	return nil, "", fmt.Errorf("%w: ambiguous option: %s (%s?)", ErrOption, s, strings.Join(matches, ", "))
}

// lookup finds the option a word names, for describing an option that is
// unknown in another table; it never fails on a value.
func (t *optTable) lookup(w string) *optSpec {
	if strings.HasPrefix(w, "--") {
		name, _, _ := strings.Cut(w, "=")
		o, _, err := t.matchLong(name)
		if err != nil {
			return nil
		}
		return o
	}
	if len(w) >= 2 && w[0] == '-' {
		return t.short[w[:2]]
	}
	return nil
}

// optItem is one thing optparse found in a list of words.
type optItem struct {
	// first and last are the indexes of the words the item spans.
	first, last int
	spec        *optSpec // nil for an argument or an unknown option
	spelling    string   // the option as written, without "=value"
	value       string
	// arg reports a positional argument (words[first].text).
	arg bool
	err error
}

// optparse parses words as Python's optparse.OptionParser.parse_args does
// with table. With interspersed false it stops at the first argument and
// returns its index (as pip's main parser, which calls
// disable_interspersed_args, does); otherwise stop is len(words). It does
// not stop at an error: the item has err set and parsing goes on with the
// next word (the caller decides whether that matters). hint, when not nil,
// is used to guess whether an unknown option takes a value.
func optparse(words []word, table, hint *optTable, interspersed bool) (items []optItem, stop int) {
	for i := 0; i < len(words); {
		w := words[i].text
		switch {
		case w == "--":
			for j := i + 1; j < len(words); j++ {
				if !interspersed {
					return items, j
				}
				items = append(items, optItem{first: j, last: j, arg: true})
			}
			return items, len(words)
		case strings.HasPrefix(w, "--"):
			i = longOpt(words, i, table, hint, &items)
		case len(w) > 1 && w[0] == '-':
			i = shortOpts(words, i, table, hint, &items)
		default:
			if !interspersed {
				return items, i
			}
			items = append(items, optItem{first: i, last: i, arg: true})
			i++
		}
	}
	return items, len(words)
}

// longOpt is optparse's _process_long_opt; it returns the index of the
// next word.
func longOpt(words []word, i int, table, hint *optTable, items *[]optItem) int {
	w := words[i].text
	name, value, explicit := strings.Cut(w, "=")
	it := optItem{first: i, last: i, spelling: name}
	o, _, err := table.matchLong(name)
	if err != nil {
		it.err = err
		if errors.Is(err, ErrUnknownOption) && hint != nil {
			if h := hint.lookup(name); h != nil && h.takesValue() {
				if explicit {
					it.value = value
				} else if i+1 < len(words) {
					it.value = words[i+1].text
					it.last = i + 1
				}
			}
		} else if explicit {
			it.value = value
		}
		*items = append(*items, it)
		return it.last + 1
	}
	it.spec = o
	switch {
	case o.takesValue() && explicit:
		it.value = value
	case o.takesValue() && i+1 < len(words):
		it.value = words[i+1].text
		it.last = i + 1
	case o.takesValue():
		it.err = fmt.Errorf("%w: %s option requires 1 argument", ErrOption, o.long[0])
	case explicit:
		it.err = fmt.Errorf("%w: %s option does not take a value", ErrOption, o.long[0])
	}
	if it.err == nil {
		it.err = checkValue(o, it.value)
	}
	*items = append(*items, it)
	return it.last + 1
}

// shortOpts is optparse's _process_short_opts: "-abc" is -a -b -c until an
// option that takes a value, which takes the rest of the word or the next
// word.
func shortOpts(words []word, i int, table, hint *optTable, items *[]optItem) int {
	w := words[i].text
	for j, r := range w[1:] {
		spelling := "-" + string(r)
		rest := w[1+j+len(string(r)):]
		it := optItem{first: i, last: i, spelling: spelling}
		o := table.short[spelling]
		if o == nil {
			it.err = fmt.Errorf("%w: %s", ErrUnknownOption, spelling)
			if hint != nil {
				if h := hint.short[spelling]; h != nil && h.takesValue() {
					if rest != "" {
						it.value = rest
					} else if i+1 < len(words) {
						it.value = words[i+1].text
						it.last = i + 1
					}
				}
			}
			*items = append(*items, it)
			return it.last + 1
		}
		it.spec = o
		if !o.takesValue() {
			if err := checkValue(o, ""); err != nil {
				it.err = err
			}
			*items = append(*items, it)
			continue
		}
		switch {
		case rest != "":
			it.value = rest
		case i+1 < len(words):
			it.value = words[i+1].text
			it.last = i + 1
		default:
			it.err = fmt.Errorf("%w: %s option requires 1 argument", ErrOption, spelling)
		}
		if it.err == nil {
			it.err = checkValue(o, it.value)
		}
		*items = append(*items, it)
		return it.last + 1
	}
	return i + 1
}

// checkValue is optparse's type check plus pip's callback checks.
func checkValue(o *optSpec, v string) error {
	switch o.typ {
	case typChoice:
		if !slices.Contains(o.choices, v) {
			q := make([]string, len(o.choices))
			for i, c := range o.choices {
				q[i] = "'" + c + "'"
			}
			return fmt.Errorf("%w: option %s: invalid choice: %q (choose from %s)", ErrOption, o.long[0], v, strings.Join(q, ", "))
		}
	case typInt:
		if !pyOptparseInt(v) {
			return fmt.Errorf("%w: option %s: invalid integer value: %q", ErrOption, o.long[0], v)
		}
	case typFloat:
		if !pyFloat(v) {
			return fmt.Errorf("%w: option %s: invalid floating-point value: %q", ErrOption, o.long[0], v)
		}
	}
	if o.check != nil {
		if err := o.check(v); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrOption, o.long[0], err)
		}
	}
	return nil
}

// strongHashes are pip's STRONG_HASHES, the algorithms --hash accepts.
var strongHashes = []string{"sha256", "sha384", "sha512"}

func checkHash(v string) error {
	alg, _, ok := strings.Cut(v, ":")
	if !ok {
		return errors.New("must be a hash name followed by a value, like --hash=sha256:abcde...")
	}
	if !slices.Contains(strongHashes, alg) {
		return errors.New("allowed hash algorithms are sha256, sha384, sha512")
	}
	return nil
}

func checkFormatControl(v string) error {
	if strings.HasPrefix(v, "-") {
		return errors.New("--no-binary / --only-binary option requires 1 argument")
	}
	return nil
}

func checkConfigSettings(v string) error {
	if !strings.Contains(v, "=") {
		return errors.New("arguments must be of the form KEY=VAL")
	}
	return nil
}

// checkPythonVersion is pip's _convert_python_version.
func checkPythonVersion(v string) error {
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ".")
	if len(parts) > 3 {
		return errors.New("at most three version parts are allowed")
	}
	if len(parts) == 1 && len(parts[0]) > 1 {
		// "37" is 3.7: the first character, then the rest.
		_, size := firstRune(parts[0])
		parts = []string{parts[0][:size], parts[0][size:]}
	}
	for _, p := range parts {
		if !pyInt(p, 10) {
			return errors.New("each version part must be an integer")
		}
	}
	return nil
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

// pyOptparseInt reports whether optparse's _parse_int accepts v.
func pyOptparseInt(v string) bool {
	p := strings.ToLower(v)
	switch {
	case strings.HasPrefix(p, "0x"):
		return pyInt(v, 16)
	case strings.HasPrefix(p, "0b"):
		if len(v) == 2 {
			return true
		}
		return pyInt(v[2:], 2)
	case strings.HasPrefix(v, "0"):
		return pyInt(v, 8)
	}
	return pyInt(v, 10)
}

// pyInt reports whether Python's int(v, base) accepts v (ASCII digits only:
// Python also accepts other Unicode decimal digits).
func pyInt(v string, base int) bool {
	s := pyStrip(v)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if len(s) >= 2 && s[0] == '0' {
		p := s[1] | 0x20
		if base == 16 && p == 'x' || base == 8 && p == 'o' || base == 2 && p == 'b' {
			s = s[2:]
			// An underscore may follow the prefix.
			s = strings.TrimPrefix(s, "_")
			if s == "" {
				return false
			}
		}
	}
	return digits(s, func(c byte) bool {
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c|0x20 >= 'a' && c|0x20 <= 'z':
			d = int(c|0x20-'a') + 10
		default:
			return false
		}
		return d < base
	})
}

// digits reports whether s is one or more digits with single underscores
// between them.
func digits(s string, isDigit func(byte) bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			if i == 0 || i == len(s)-1 || s[i+1] == '_' {
				return false
			}
			continue
		}
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// pyFloat reports whether Python's float(v) accepts v (ASCII digits only).
func pyFloat(v string) bool {
	s := pyStrip(v)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	switch strings.ToLower(s) {
	case "inf", "infinity", "nan":
		return true
	}
	dec := func(c byte) bool { return c >= '0' && c <= '9' }
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	if hasExp {
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if !digits(exp, dec) {
			return false
		}
	}
	ip, fp, hasDot := strings.Cut(mant, ".")
	if !hasDot {
		return digits(ip, dec)
	}
	switch {
	case ip == "" && fp == "":
		return false
	case ip == "":
		return digits(fp, dec)
	case fp == "":
		return digits(ip, dec)
	}
	return digits(ip, dec) && digits(fp, dec)
}
