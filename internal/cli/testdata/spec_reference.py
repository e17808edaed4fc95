"""Reference side of `airlock spec`: the same JSON-lines protocol, answered by
Python's packaging library (Debian's python3-packaging 23.0).

Run with the system interpreter: /usr/bin/python3 spec_reference.py < in > out

Where airlock deliberately deviates from packaging 23.0 (see the pep440 and
pep508 package documentation), this script applies the same rule, so that
the differential test compares everything else exactly. Each deviation is
marked DEVIATION below:

  1. length limits: versions, specifier sets, requirements and markers over
     4096 bytes, and environment values over 1024 bytes that a marker uses,
     are errors;
  2. a marker with text after it is an error (packaging 23.1's fix; 23.0
     ignores the rest);
  3. \\N{...} escapes and \\u/\\U escapes of surrogates in marker strings are
     errors (airlock has no Unicode name table and no lone surrogates);
  4. the canonical marker string keeps a pair of parentheses and quotes
     values so that it parses back to the same marker, in the cases where
     packaging's str() does not (checked here: packaging's own string must
     then fail to parse back to the same marker);
  5. SpecifierSet.contains stops at the first specifier that decides the
     answer, in frozenset (hash) order, so when one specifier raises (its
     prereleases property, or its comparison) and another decides, the
     outcome depends on the order; airlock answers an error whenever one
     raises;
  6. a marker variable missing from the environment is an error (packaging
     fills it from the running interpreter).
"""

import json
import re
import sys
import warnings

warnings.simplefilter("ignore")

import packaging  # noqa: E402
import packaging._parser as _parser  # noqa: E402
import packaging.markers as _markers  # noqa: E402
from packaging._tokenizer import DEFAULT_RULES, Tokenizer  # noqa: E402
from packaging._parser import Value, Variable  # noqa: E402
from packaging.markers import Marker, _evaluate_markers, _normalize_extra_values  # noqa: E402
from packaging.requirements import Requirement  # noqa: E402
from packaging.specifiers import Specifier, SpecifierSet  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402
from packaging.version import Version  # noqa: E402

MAX_INPUT = 4096
MAX_ENV_VALUE = 1024
NAME_RE = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE | re.ASCII)


class Deviation(Exception):
    pass


def limit(s, n=MAX_INPUT):
    # DEVIATION 1
    if not isinstance(s, str):
        raise TypeError("not a string")
    if len(s.encode("utf-8", "surrogatepass")) > n:
        raise Deviation("longer than the limit")
    return s


# DEVIATION 2: parse_marker checks for the end of the input.
_orig_parse_marker = _parser.parse_marker


def _parse_full_marker(source):
    t = Tokenizer(source, rules=DEFAULT_RULES)
    ret = _parser._parse_marker(t)
    t.expect("END", expected="end of marker expression")
    return ret


_markers.parse_marker = _parse_full_marker

# DEVIATION 3: string literals with \N{...} or surrogate escapes.
_orig_process_python_str = _parser.process_python_str


def _process_python_str(python_str):
    i = 1
    while i < len(python_str) - 1:
        if python_str[i] == "\\":
            if python_str[i + 1] == "N":
                raise Deviation("\\N{...} escape")
            i += 2
            continue
        i += 1
    value = _orig_process_python_str(python_str)
    if any(0xD800 <= ord(c) < 0xE000 for c in value.value):
        raise Deviation("surrogate escape")
    return value


_parser.process_python_str = _process_python_str


# DEVIATION 4: the canonical marker string.
def survives(v, q):
    for i, c in enumerate(v):
        if c in (q, "\n", "\r", "\x00"):
            return False
        if c == "\\" and (i + 1 == len(v) or v[i + 1] in "\\'\"abfnrtv01234567xuUN\n\r"):
            return False
    return True


def quote_value(v):
    if survives(v, '"'):
        return '"' + v + '"'
    if survives(v, "'"):
        return "'" + v + "'"
    out = []
    for c in v:
        out.append({"\\": "\\\\", '"': "\\x22", "\n": "\\n", "\r": "\\r", "\x00": "\\x00"}.get(c, c))
    return '"' + "".join(out) + '"'


def serialize(node):
    if isinstance(node, Value):
        return quote_value(node.value)
    return str(node)


def collapse(m):
    while isinstance(m, list) and len(m) == 1 and isinstance(m[0], list):
        m = m[0]
    return m


def needs_parens(item):
    lhs, _, rhs = item
    if isinstance(lhs, Variable) and lhs.value == "extra":
        return isinstance(rhs, Variable) or canonicalize_name(rhs.value) != rhs.value
    if isinstance(rhs, Variable) and rhs.value == "extra":
        return isinstance(lhs, Variable) or canonicalize_name(lhs.value) != lhs.value
    return False


def fixed_format(marker, first=True):
    if isinstance(marker, list) and len(marker) == 1 and isinstance(marker[0], (list, tuple)):
        return fixed_format(marker[0], first)
    if isinstance(marker, list):
        inner = [fixed_format(m, first=False) for m in marker]
        return " ".join(inner) if first else "(" + " ".join(inner) + ")"
    if isinstance(marker, tuple):
        return " ".join(serialize(m) for m in marker)
    return marker


def item_str(item):
    return " ".join(serialize(m) for m in item)


def canonical_marker(markers):
    """airlock's canonical string (see Marker.String in pep508): packaging's
    _format_marker with `first` propagated through nested single-element
    lists, values quoted so that they survive, and the first comparison of
    the top level in parentheses when the parser would otherwise normalise
    its extra value on the way back."""
    top = collapse(markers)
    parts = []
    for i, m in enumerate(top):
        c = collapse(m) if isinstance(m, list) else m
        if isinstance(c, list) and len(c) == 1:
            c = c[0]
        if isinstance(c, tuple):
            s = item_str(c)
            parts.append("(" + s + ")" if i == 0 and needs_parens(c) else s)
        elif isinstance(c, list):
            parts.append(fixed_format(c, first=False))
        else:
            parts.append(c)
    return " ".join(parts)


def structure(m):
    """A comparable form of a marker list, nesting of single elements
    collapsed."""
    if isinstance(m, list):
        if len(m) == 1:
            return structure(m[0])
        return ("list",) + tuple(structure(x) for x in m)
    if isinstance(m, tuple):
        return tuple((type(x).__name__, x.value) for x in m)
    return m


def marker_string(markers):
    ours = canonical_marker(markers)
    theirs = _markers._format_marker(markers)
    if ours != theirs:
        # packaging's own string must not describe the same marker.
        try:
            again = _normalize_extra_values(_orig_parse_marker(theirs))
            same = structure(again) == structure(markers)
        except Exception:
            same = False
        if same:
            raise AssertionError("reference: canonical marker differs from packaging's good string %r" % theirs)
    return ours


def op_version(r):
    v = Version(limit(r["version"]))
    return {
        "normalized": str(v),
        "public": v.public,
        "epoch": v.epoch,
        "release": list(v.release),
        "local": v.local,
        "is_prerelease": v.is_prerelease,
        "is_postrelease": v.is_postrelease,
        "is_devrelease": v.is_devrelease,
    }


def op_compare(r):
    a, b = Version(limit(r["a"])), Version(limit(r["b"]))
    return {"result": (a > b) - (a < b)}


def op_contains(r):
    spec = SpecifierSet(limit(r["specifier"]))
    version = Version(limit(r["version"]))
    pre = r.get("prereleases")
    if pre not in (None, True, False):
        raise TypeError("prereleases must be null, true or false")
    # DEVIATION 5: any raising specifier makes the answer an error.
    effective = pre
    if pre is None:
        for s in spec:
            try:
                s.prereleases
            except Exception:
                raise Deviation("order-dependent prereleases")
        effective = spec.prereleases
    if effective or not version.is_prerelease:
        for s in spec:
            try:
                s.contains(version, prereleases=effective)
            except Exception:
                raise Deviation("order-dependent comparison")
    return {"result": spec.contains(version, prereleases=pre)}


def op_requirement(r):
    req = Requirement(limit(r["requirement"]))
    return {
        "name": req.name,
        "canonical_name": canonicalize_name(req.name),
        "extras": sorted(req.extras),
        "specifier": [{"operator": s.operator, "version": s.version} for s in sorted(req.specifier, key=str)],
        "url": req.url,
        "marker": marker_string(req.marker._markers) if req.marker is not None else None,
    }


class LimitedEnv(dict):
    """DEVIATION 1: a value the marker uses may not exceed the limit."""

    def __getitem__(self, key):
        return limit(dict.__getitem__(self, key), MAX_ENV_VALUE)


def op_marker(r):
    m = Marker(limit(r["marker"]))
    env = r.get("environment") or {}
    if not isinstance(env, dict):
        raise TypeError("environment must be an object")
    current = LimitedEnv()
    for k, v in env.items():
        if v is None and k == "extra":
            v = ""
        if not isinstance(v, str):
            raise TypeError("environment values must be strings")
        current[k] = v
    current.setdefault("extra", "")
    # DEVIATION 6: no defaults from this interpreter.
    return {"result": _evaluate_markers(m._markers, current)}


def op_normalize(r):
    name = r["name"]
    if not isinstance(name, str):
        raise TypeError("name must be a string")
    return {"result": canonicalize_name(name), "valid": NAME_RE.fullmatch(name) is not None}


OPS = {
    "version": op_version,
    "compare": op_compare,
    "contains": op_contains,
    "requirement": op_requirement,
    "marker": op_marker,
    "normalize": op_normalize,
}


def answer(line):
    try:
        r = json.loads(line)
        out = OPS[r["op"]](r)
        out = {"ok": True, **out}
    except AssertionError:
        raise
    except Exception as e:  # packaging raised, or the request is bad
        out = {"ok": False, "error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")}
    return json.dumps(out)


def plain_contains(r):
    return {"result": SpecifierSet(r["specifier"]).contains(r["version"], prereleases=r.get("prereleases"))}


def plain_requirement(r):
    req = Requirement(r["requirement"])
    return {
        "name": req.name,
        "canonical_name": canonicalize_name(req.name),
        "extras": sorted(req.extras),
        "specifier": [{"operator": s.operator, "version": s.version} for s in sorted(req.specifier, key=str)],
        "url": req.url,
        "marker": str(req.marker) if req.marker is not None else None,
    }


def plain_marker(r):
    return {"result": Marker(r["marker"]).evaluate(r.get("environment"))}


def plain():
    """--plain: packaging's own answers, without airlock's deviations or the
    checks that support them. This is the side `make bench` times."""
    _markers.parse_marker = _orig_parse_marker
    _parser.process_python_str = _orig_process_python_str
    OPS.update(contains=plain_contains, requirement=plain_requirement, marker=plain_marker)


def main():
    assert packaging.__version__ == "23.0", packaging.__version__
    if "--plain" in sys.argv[1:]:
        plain()
    out = sys.stdout
    for line in sys.stdin:
        out.write(answer(line) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
