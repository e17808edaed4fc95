"""What pip itself makes of requirements files and command lines.

Run with Debian's /usr/bin/python3, whose pip (23.0.1) is the reference for
package reqfile. Reads one JSON request per line on stdin and writes one JSON
answer per line on stdout. Nothing here touches the network: a PipSession
and a PackageFinder are built, but nothing is fetched (includes in the corpus
are local files).

Requests:
  {"op": "file", "dir": D, "file": F, "constraint": bool}
      parse_requirements(F) in directory D with a finder, as pip install
      does, classifying each requirement with
      install_req_from_parsed_requirement; answers the requirements, the
      option lines pip handled, and the finder's state afterwards.
  {"op": "argv", "dir": D, "argv": [...]}
      pip's main parser, then the install command's parser, on argv (pip's
      arguments, without the program); answers the options and arguments.
  {"op": "options"}
      the option tables of the requirements-file parser, the main parser
      and the install command's parser.
  {"op": "trusted_host", "host": H}
      whether PipSession.add_trusted_host(H) raises.
  {"op": "codec", "name": N}
      the codec Python's codecs.lookup(N) finds, or null.
  {"op": "lines", "texts": [...]}
      for each text, the logical lines of pip's preprocess (joining,
      comments; no variable is set, so nothing is expanded), each split by
      break_args_options, shlex.split and the requirements-file option
      parser.
"""

import codecs
import contextlib
import io
import json
import math
import optparse
import os
import shlex
import sys

os.environ["_PIP_RUNNING_IN_SUBPROCESS"] = "1"  # never re-run pip for --python

from pip._internal.cli import cmdoptions
from pip._internal.cli.main_parser import create_main_parser, parse_command
from pip._internal.commands import create_command
from pip._internal.index.collector import LinkCollector
from pip._internal.index.package_finder import PackageFinder
from pip._internal.models.format_control import FormatControl
from pip._internal.models.search_scope import SearchScope
from pip._internal.models.selection_prefs import SelectionPreferences
from pip._internal.network.session import PipSession
from pip._internal.req import req_file
from pip._internal.req.constructors import (
    install_req_from_editable,
    install_req_from_line,
    install_req_from_parsed_requirement,
)


def jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if isinstance(v, FormatControl):
        return {"no_binary": sorted(v.no_binary), "only_binary": sorted(v.only_binary)}
    if isinstance(v, (set, frozenset)):
        return sorted(jsonable(x) for x in v)
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return repr(v)


def error_text(e):
    return f"{type(e).__name__}: {e}"


def parse_file(req):
    os.chdir(req["dir"])
    session = PipSession()
    trusted = []
    orig_add = session.add_trusted_host

    def add_trusted_host(host, source=None, suppress_logging=False):
        trusted.append(host)
        return orig_add(host, source=source, suppress_logging=True)

    session.add_trusted_host = add_trusted_host
    scope = SearchScope(find_links=[], index_urls=["DEFAULT"], no_index=False)
    finder = PackageFinder.create(
        link_collector=LinkCollector(session=session, search_scope=scope),
        selection_prefs=SelectionPreferences(
            allow_yanked=True, format_control=FormatControl(set(), set())
        ),
    )
    options = optparse.Values({"require_hashes": False, "features_enabled": []})
    option_lines = []
    orig_handle = req_file.handle_option_line

    def handle_option_line(opts, filename, lineno, finder=None, options=None, session=None):
        option_lines.append({"file": filename, "line": lineno})
        return orig_handle(opts, filename, lineno, finder, options, session)

    req_file.handle_option_line = handle_option_line
    reqs = []
    out = {"ok": True}
    try:
        for pr in req_file.parse_requirements(
            req["file"], session, finder=finder, options=options,
            constraint=req.get("constraint", False),
        ):
            r = {
                "requirement": pr.requirement,
                "editable": pr.is_editable,
                "comes_from": pr.comes_from,
                "constraint": pr.constraint,
                "options": jsonable(pr.options or {}),
            }
            reqs.append(r)
            ireq = install_req_from_parsed_requirement(pr)
            r["name"] = ireq.req.name if ireq.req else None
            r["req"] = str(ireq.req) if ireq.req else None
            r["specifier"] = str(ireq.req.specifier) if ireq.req else None
            r["url"] = ireq.req.url if ireq.req else None
            r["link"] = ireq.link.url if ireq.link else None
            r["vcs"] = bool(ireq.link and ireq.link.is_vcs)
            r["wheel"] = ireq.link.filename if ireq.link and ireq.link.is_wheel else None
            r["marker"] = str(ireq.markers) if ireq.markers else None
            r["extras"] = sorted(ireq.extras)
    except BaseException as e:  # pip's own exceptions, ValueError, RecursionError
        out = {"ok": False, "error": error_text(e)}
    finally:
        req_file.handle_option_line = orig_handle
    out["reqs"] = reqs
    out["option_lines"] = option_lines
    out["finder"] = {
        "index_urls": list(finder.index_urls),
        "find_links": list(finder.find_links),
        "no_index": finder.search_scope.no_index,
        "trusted_hosts": trusted,
        "pre": finder._candidate_prefs.allow_all_prereleases,
        "prefer_binary": finder._candidate_prefs.prefer_binary,
        "format_control": jsonable(finder.format_control),
        "require_hashes": options.require_hashes,
        "features": options.features_enabled,
    }
    return out


def parse_argv(req):
    os.chdir(req["dir"])
    try:
        with contextlib.redirect_stdout(sys.stderr):
            name, args = parse_command(list(req["argv"]))
            if name != "install":
                return {"ok": False, "error": f"command {name}"}
            cmd = create_command(name)
            # optparse's append action appends to the default list itself:
            # copy the defaults before parsing.
            defaults = jsonable(vars(cmd.parser.get_default_values()))
            opts, args = cmd.parse_args(args)
    except SystemExit as e:
        return {"ok": False, "exit": e.code if isinstance(e.code, int) else 1,
                "error": f"SystemExit: {e.code}"}
    except BaseException as e:
        return {"ok": False, "error": error_text(e)}
    out = {
        "ok": True,
        "args": args,
        "options": jsonable(vars(opts)),
        "defaults": defaults,
    }
    # pip install builds its session next, adding the trusted hosts, and
    # then makes requirements of its arguments and editables.
    try:
        session = PipSession()
        for host in opts.trusted_hosts or []:
            session.add_trusted_host(host, suppress_logging=True)
        for arg in args:
            install_req_from_line(arg)
        for ed in opts.editables:
            install_req_from_editable(ed)
    except BaseException as e:
        out["install_error"] = error_text(e)
    return out


def option_table(parser):
    rows = []
    for o in parser._get_all_options():
        rows.append({
            "short": o._short_opts,
            "long": o._long_opts,
            "dest": o.dest,
            "action": o.action,
            "type": o.type,
            "takes_value": o.takes_value(),
            "choices": o.choices,
        })
    return rows


def options(_):
    return {
        "ok": True,
        "file": option_table(req_file.build_parser()),
        "main": option_table(create_main_parser()),
        "install": option_table(create_command("install").parser),
    }


_session = None


def trusted_host(req):
    global _session
    if _session is None:
        _session = PipSession()
    try:
        _session.add_trusted_host(req["host"], suppress_logging=True)
    except BaseException as e:
        return {"ok": False, "error": error_text(e)}
    return {"ok": True}


def codec(req):
    try:
        return {"ok": True, "codec": codecs.lookup(req["name"]).name}
    except LookupError:
        return {"ok": True, "codec": None}


def lines(req):
    out = []
    defaults = jsonable(vars(req_file.build_parser().get_default_values()))
    for text in req["texts"]:
        rows = []
        for n, line in req_file.preprocess(text):
            row = {"n": n, "line": line}
            args, options = req_file.break_args_options(line)
            row["args"] = args
            try:
                words = shlex.split(options)
            except ValueError as e:
                row["split_error"] = str(e)
                rows.append(row)
                continue
            row["words"] = words
            cmdoptions.use_new_feature.keywords["default"] = []
            parser = req_file.build_parser()
            try:
                with contextlib.redirect_stderr(io.StringIO()):
                    opts, largs = parser.parse_args(words)
                row["opts"] = jsonable(vars(opts))
                row["largs"] = largs
            except req_file.OptionParsingError as e:
                row["opt_error"] = e.msg
            except BaseException as e:  # pip's CommandError from --no-binary
                row["opt_error"] = error_text(e)
            rows.append(row)
        out.append(rows)
    return {"ok": True, "results": out, "defaults": defaults}


OPS = {"file": parse_file, "argv": parse_argv, "options": options,
       "trusted_host": trusted_host, "codec": codec, "lines": lines}

if __name__ == "__main__":
    sys.setrecursionlimit(400)  # an include cycle fails fast
    for line in sys.stdin:
        req = json.loads(line)
        # --use-feature and --use-deprecated share one default list across
        # parsers, which optparse's append action extends: in pip, within
        # one run; here, across requests. Start each request afresh.
        cmdoptions.use_new_feature.keywords["default"] = []
        cmdoptions.use_deprecated_feature.keywords["default"] = []
        print(json.dumps(OPS[req["op"]](req)), flush=True)
