"""An independent evaluator of OSV records for advisory's differential test.

It follows the OSV schema's evaluation pseudocode literally, one version at a
time, with Debian's packaging 23 for PEP 440: for each range, events sorted by
version (stable; introduced "0" first), the last event that applies decides.
Records that alias each other are merged with a union-find, as airlock does.
The rules for data that is not usable as written are the documented ones:
an unparseable introduced counts as "0", an unparseable fixed,
last_affected or limit is dropped, a range without introduced starts at "0",
an event with several fields keeps only its introduced, GIT ranges and
unparseable listed versions are ignored.

Usage: osv_eval.py DB_DIR QUERIES_JSONL. Each query is {"name", "version"};
each answer line is a JSON list of groups, each group the sorted list of its
ids, for the groups that affect that version.
"""
import functools
import json
import os
import re
import sys

import yaml
from packaging.version import InvalidVersion, Version

Loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # every scalar a string


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=None)
def parse(s):
    try:
        return Version(s.strip())
    except InvalidVersion:
        return None


MINUS_INF = object()


def range_affects(events, v):
    evs = []  # (kind, version or MINUS_INF)
    limits, unlimited = [], False
    for e in events:
        fields = [k for k in ("introduced", "fixed", "last_affected", "limit") if e.get(k)]
        if "introduced" in fields:
            s = e["introduced"].strip()
            p = None if s == "0" else parse(s)
            evs.append(("introduced", MINUS_INF if p is None else p))
            continue
        if len(fields) != 1:
            continue
        k = fields[0]
        if k == "limit":
            if "*" in e[k]:
                unlimited = True
            elif parse(e[k]) is not None:
                limits.append(parse(e[k]))
            continue
        p = parse(e[k])
        if p is not None:
            evs.append((k, p))
    if not evs:
        return False
    if not any(k == "introduced" for k, _ in evs):
        evs.insert(0, ("introduced", MINUS_INF))
    if limits and not unlimited and not any(v < l for l in limits):
        return False

    def cmp(a, b):
        x, y = a[1], b[1]
        if x is MINUS_INF or y is MINUS_INF:
            return (y is MINUS_INF) - (x is MINUS_INF)
        return (x > y) - (x < y)

    vulnerable = False
    for k, p in sorted(evs, key=functools.cmp_to_key(cmp)):
        if k == "introduced" and (p is MINUS_INF or v >= p):
            vulnerable = True
        elif k == "fixed" and v >= p:
            vulnerable = False
        elif k == "last_affected" and v > p:
            vulnerable = False
    return vulnerable


def affects(affected, v):
    for s in affected.get("versions") or []:
        p = parse(s)
        if p is not None and p == v:
            return True
    for r in affected.get("ranges") or []:
        if r.get("type", "").upper() in ("ECOSYSTEM", "SEMVER") and range_affects(r.get("events") or [], v):
            return True
    return False


def main():
    db, queries = sys.argv[1], sys.argv[2]
    records = []
    for root, dirs, files in os.walk(db):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            path = os.path.join(root, f)
            if f.endswith((".yaml", ".yml")):
                with open(path) as fh:
                    rec = yaml.load(fh, Loader=Loader)
            elif f.endswith(".json"):
                with open(path) as fh:
                    rec = json.load(fh)
            else:
                continue
            if (rec.get("withdrawn") or "").strip():
                continue
            records.append(rec)

    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rec in records:
        find(rec["id"])
        for a in rec.get("aliases") or []:
            parent[find(a)] = find(rec["id"])
    members = {}
    for rec in records:
        ids = members.setdefault(find(rec["id"]), set())
        ids.add(rec["id"])
        ids.update(rec.get("aliases") or [])

    by_pkg = {}
    for rec in records:
        for a in rec.get("affected") or []:
            pkg = a.get("package") or {}
            if (pkg.get("ecosystem") or "").strip().lower() != "pypi":
                continue
            by_pkg.setdefault(norm(pkg.get("name", "").strip()), []).append((rec, a))

    with open(queries) as fh:
        for line in fh:
            q = json.loads(line)
            v = Version(q["version"])
            groups = set()
            for rec, a in by_pkg.get(norm(q["name"]), []):
                if affects(a, v):
                    groups.add(tuple(sorted(members[find(rec["id"])])))
            print(json.dumps(sorted(list(g) for g in groups)))


main()
