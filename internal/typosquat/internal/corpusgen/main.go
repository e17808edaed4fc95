// Command corpusgen writes the labelled typo corpus that package typosquat's
// quality tests measure recall on (testdata/typos.tsv).
//
// It is deliberately independent of the detector: it imports nothing from
// package typosquat, has its own keyboard layout, look-alike table and affix
// list (taken from the issue text, not from the detector's code), and its own
// random seed. It models an attacker: pick a popular target, apply one
// transform from the classes the detector must cover, and register the
// result. Half the targets come from the 1,000 most popular names (where
// the publicly reported squats concentrate), half from the whole list.
// Single-character edits are applied only to targets of at least
// minEditTarget bytes, because the issue exempts very short names from
// one-edit matches. A variant that is itself a popular name is a real project,
// not a squat, and is dropped.
//
// Usage (from internal/typosquat, through go generate):
//
//	go run ./internal/corpusgen -in popular.tsv.gz -out testdata/typos.tsv
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	seed          = 0x5eed_2026_0401 // not the detector's: it has none
	perClass      = 60
	minEditTarget = 6
	topPool       = 1000
)

// qwerty lists, for each key, its neighbours on a US keyboard, written out
// by hand.
var qwerty = map[byte]string{
	'q': "12wa", 'w': "23qeas", 'e': "34wrsd", 'r': "45etdf", 't': "56ryfg",
	'y': "67tugh", 'u': "78yihj", 'i': "89uojk", 'o': "90ipkl", 'p': "0-ol",
	'a': "qwsz", 's': "weadzx", 'd': "erfsxc", 'f': "rtdgcv", 'g': "tyfhvb",
	'h': "yugjbn", 'j': "uihknm", 'k': "iojlm", 'l': "opk",
	'z': "asx", 'x': "sdzc", 'c': "dfxv", 'v': "fgcb", 'b': "ghvn", 'n': "hjbm", 'm': "jkn",
	'1': "2q", '2': "13qw", '3': "24we", '4': "35er", '5': "46rt", '6': "57ty",
	'7': "68yu", '8': "79ui", '9': "80io", '0': "9op",
}

// lookalikes are the visual substitutions the issue names, in both
// directions.
var lookalikes = [][2]string{
	{"rn", "m"}, {"m", "rn"}, {"vv", "w"}, {"w", "vv"}, {"cl", "d"}, {"d", "cl"},
	{"l", "1"}, {"1", "l"}, {"i", "1"}, {"l", "i"}, {"i", "l"},
	{"o", "0"}, {"0", "o"}, {"s", "5"}, {"5", "s"}, {"e", "3"}, {"3", "e"},
}

// affixes are the list.
var (
	prefixes = []string{"python-", "python3-", "py-"}
	suffixes = []string{"-py", "-python", "-lib", "-dev", "-sdk", "-api", "-core"}
)

type generator struct {
	rng     *rand.Rand
	names   []string // by rank
	popular map[string]bool
}

type class struct {
	name string
	make func(g *generator, target string) (string, bool)
}

var classes = []class{
	{"omission", func(g *generator, t string) (string, bool) {
		if len(t) < minEditTarget {
			return "", false
		}
		i := g.rng.IntN(len(t))
		if t[i] == '-' {
			return "", false
		}
		return t[:i] + t[i+1:], true
	}},
	{"insertion", func(g *generator, t string) (string, bool) {
		if len(t) < minEditTarget {
			return "", false
		}
		const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
		i := g.rng.IntN(len(t) + 1)
		c := alphabet[g.rng.IntN(len(alphabet))]
		return t[:i] + string(c) + t[i:], true
	}},
	{"repetition", func(g *generator, t string) (string, bool) {
		if len(t) < minEditTarget {
			return "", false
		}
		i := g.rng.IntN(len(t))
		if t[i] == '-' {
			return "", false
		}
		return t[:i+1] + t[i:], true
	}},
	{"swap", func(g *generator, t string) (string, bool) {
		if len(t) < minEditTarget {
			return "", false
		}
		i := g.rng.IntN(len(t) - 1)
		a, b := t[i], t[i+1]
		if a == b || a == '-' || b == '-' {
			return "", false
		}
		return t[:i] + string(b) + string(a) + t[i+2:], true
	}},
	{"keyboard", func(g *generator, t string) (string, bool) {
		if len(t) < minEditTarget {
			return "", false
		}
		i := g.rng.IntN(len(t))
		near := qwerty[t[i]]
		if near == "" {
			return "", false
		}
		c := near[g.rng.IntN(len(near))]
		v := t[:i] + string(c) + t[i+1:]
		if strings.Contains(v, "--") || strings.HasPrefix(v, "-") || strings.HasSuffix(v, "-") {
			return "", false
		}
		return v, true
	}},
	{"homoglyph", func(g *generator, t string) (string, bool) {
		var options [][2]int // start, lookalike index
		for i := range len(t) {
			for k, p := range lookalikes {
				if strings.HasPrefix(t[i:], p[0]) {
					options = append(options, [2]int{i, k})
				}
			}
		}
		if len(options) == 0 || len(t) < 4 {
			return "", false
		}
		o := options[g.rng.IntN(len(options))]
		p := lookalikes[o[1]]
		return t[:o[0]] + p[1] + t[o[0]+len(p[0]):], true
	}},
	{"separator", func(g *generator, t string) (string, bool) {
		if len(t) < minEditTarget {
			return "", false
		}
		if strings.Contains(t, "-") && g.rng.IntN(2) == 0 {
			return strings.ReplaceAll(t, "-", ""), true // all separators dropped
		}
		i := 1 + g.rng.IntN(len(t)-1)
		if t[i-1] == '-' || t[i] == '-' {
			return "", false
		}
		return t[:i] + "-" + t[i:], true
	}},
	{"reorder", func(g *generator, t string) (string, bool) {
		words := strings.Split(t, "-")
		if len(words) < 2 || len(words) > 5 {
			return "", false
		}
		for range 10 {
			g.rng.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
			if v := strings.Join(words, "-"); v != t {
				return v, true
			}
		}
		return "", false
	}},
	{"affix", func(g *generator, t string) (string, bool) {
		// Exchange the target's own affix for another, or add one.
		for _, p := range prefixes {
			if rest, ok := strings.CutPrefix(t, p); ok && g.rng.IntN(2) == 0 {
				other := prefixes[g.rng.IntN(len(prefixes))]
				if other == p {
					return rest + suffixes[g.rng.IntN(len(suffixes))], true
				}
				return other + rest, true
			}
		}
		if g.rng.IntN(2) == 0 {
			p := prefixes[g.rng.IntN(len(prefixes))]
			if strings.HasPrefix(t, p) {
				return "", false
			}
			return p + t, true
		}
		s := suffixes[g.rng.IntN(len(suffixes))]
		if strings.HasSuffix(t, s) {
			return "", false
		}
		return t + s, true
	}},
	{"version", func(g *generator, t string) (string, bool) {
		if len(t) < 4 {
			return "", false
		}
		last := t[len(t)-1]
		d := byte('2' + g.rng.IntN(8))
		if '0' <= last && last <= '9' {
			if d == last {
				return "", false
			}
			return t[:len(t)-1] + string(d), true // urllib3 -> urllib4
		}
		return t + string(d), true // requests -> requests2
	}},
}

func (g *generator) target() string {
	if g.rng.IntN(2) == 0 {
		return g.names[g.rng.IntN(min(topPool, len(g.names)))]
	}
	return g.names[g.rng.IntN(len(g.names))]
}

func main() {
	in := flag.String("in", "popular.tsv.gz", "popular-name list, rank<TAB>name, optionally gzipped")
	out := flag.String("out", "testdata/typos.tsv", "output corpus")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "corpusgen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	names, err := readNames(in)
	if err != nil {
		return err
	}
	g := &generator{rng: rand.New(rand.NewPCG(seed, seed>>7)), names: names, popular: make(map[string]bool)}
	for _, n := range names {
		g.popular[n] = true
	}
	var b strings.Builder
	b.WriteString("# Labelled typosquat corpus: variant<TAB>target<TAB>class. Each variant is one transform\n")
	b.WriteString("# of a popular name. Generated by internal/typosquat/internal/corpusgen (go generate), which\n")
	b.WriteString("# shares no code with the detector; do not edit.\n")
	seen := make(map[string]bool)
	dropped := 0
	for _, c := range classes {
		made := 0
		for tries := 0; made < perClass && tries < 100*perClass; tries++ {
			t := g.target()
			v, ok := c.make(g, t)
			if !ok || v == t || seen[v] {
				continue
			}
			if g.popular[v] {
				dropped++ // a real popular project, not a squat
				continue
			}
			seen[v] = true
			fmt.Fprintf(&b, "%s\t%s\t%s\n", v, t, c.name)
			made++
		}
		if made < perClass {
			return fmt.Errorf("class %s: only %d variants", c.name, made)
		}
	}
	fmt.Fprintf(&b, "# %d variants; %d candidates dropped because they are popular names themselves.\n", len(seen), dropped)
	return writeFile(out, b.String())
}

// readNames reads "rank<TAB>name" lines (gzipped or not) and returns the
// names ordered by rank.
func readNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	type entry struct {
		rank int
		name string
	}
	var list []entry
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		rank, name, ok := strings.Cut(line, "\t")
		n, err := strconv.Atoi(rank)
		if !ok || err != nil {
			return nil, fmt.Errorf("%s: bad line %q", path, line)
		}
		list = append(list, entry{n, name})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(list, func(a, b entry) int { return a.rank - b.rank })
	names := make([]string, len(list))
	for i, e := range list {
		names[i] = e.name
	}
	return names, nil
}

func writeFile(path, text string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".corpusgen-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
