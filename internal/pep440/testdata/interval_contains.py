"""Answers SpecifierSet(spec).contains(version, prereleases=pre) with
packaging, for interval_test.go's TestSpecifierVersionsAgainstPackaging.

Input: a file of JSON lines {"spec", "version", "pre"}; output: one line per
query, "True", "False" or "error" (packaging raised).
"""
import json
import sys

from packaging.specifiers import SpecifierSet
from packaging.version import Version

cache = {}
with open(sys.argv[1]) as f:
    for line in f:
        q = json.loads(line)
        try:
            ss = cache.get(q["spec"])
            if ss is None:
                ss = cache[q["spec"]] = SpecifierSet(q["spec"])
            print(ss.contains(Version(q["version"]), prereleases=q["pre"]))
        except Exception:
            print("error")
