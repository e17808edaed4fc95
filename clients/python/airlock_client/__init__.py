"""A client for airlock's HTTP API, written with the standard library only.

airlock (``airlock serve``) stands between an AI coding agent and the machine
it runs on: it vets every package request against a policy, installs only
vetted wheels into isolated environments, and runs generated code in a
sandbox. This module is what an agent framework calls instead of running
``pip install`` and ``subprocess`` itself::

    from airlock_client import Client, Denied

    client = Client("http://127.0.0.1:8470", token)   # or AIRLOCK_URL, AIRLOCK_TOKEN
    client.create_environment("job-42", exist_ok=True)
    try:
        client.install("job-42", ["requests>=2.31", "numpy"])
    except Denied as e:
        print(e)            # the findings, in words a model can act on
    result = client.run("job-42", ["python", "-m", "pytest", "-q"], files="./project")
    print(result.exit_code, result.stdout, result.files)

Every error is an :class:`AirlockError`. A refused install raises
:class:`Denied` (or :class:`NeedsReview`), whose ``str()`` lists the findings
with their suggestions and whose ``findings`` attribute holds them as
:class:`Finding` objects. 429 and 503 answers are retried a bounded number of
times, waiting as long as their Retry-After header asks (within bounds).

It needs Python 3.9 or later and nothing outside the standard library. The
API it speaks is described by the server's OpenAPI document at
/v1/openapi.json (internal/server/openapi.json in airlock's source).
"""

import base64
import collections.abc
import email.utils
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = [
    "Client",
    "Finding",
    "Report",
    "InstallResult",
    "RunResult",
    "AirlockError",
    "ConnectionFailed",
    "AuthError",
    "BadRequest",
    "NotFound",
    "Conflict",
    "RateLimited",
    "Unavailable",
    "Timeout",
    "Denied",
    "NeedsReview",
    "InstallFailed",
    "collect_files",
    "DEFAULT_URL",
]

__version__ = "0.1.0"

#: The address ``airlock serve`` listens on by default.
DEFAULT_URL = "http://127.0.0.1:8470"

#: Seconds a quick request (check, environments) may take.
DEFAULT_TIMEOUT = 30.0
#: Seconds an install may take: resolving, fetching and installing a large
#: closure can take minutes. The server's own deadline is 15 minutes; the
#: client waits a minute longer, so that it hears how the install ended.
DEFAULT_INSTALL_TIMEOUT = 960.0
#: Seconds added to a run's own time limit for the request: the sandbox's
#: start and the transfer of files (the server adds 30 s for the same).
RUN_GRACE = 60.0
#: How many times a 429 or 503 answer is retried.
DEFAULT_RETRIES = 4
#: The longest single wait for a Retry-After, in seconds; a server asking
#: for more is not waited for (the error says how long it asked).
DEFAULT_MAX_RETRY_WAIT = 30.0
#: The longest total time spent waiting for retries, in seconds.
DEFAULT_MAX_TOTAL_WAIT = 120.0

# Limits on what run() sends, matching the server's defaults (MaxRunFiles,
# DefaultMaxRunBody): a larger project is refused here with a clear message
# rather than by the server with a 413.
MAX_RUN_FILES = 1000
MAX_RUN_BYTES = 24 << 20
#: Directories collect_files() never sends: version control, caches and
#: virtual environments (a venv belongs in an airlock environment).
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox",
     ".venv", "venv", "node_modules", ".idea", ".vscode"}
)

# The error body of the API: {"error": {"code", "message", "request_id"}}.
_MAX_ERROR_BODY = 1 << 20


class Finding(object):
    """One reason for a decision: the policy rule, what it asks for (allow,
    deny or review), a message, and where one exists a suggestion of what to
    ask for instead. ``subject`` is what it is about: the requirement as
    written, or ``name version`` of a resolved release (with its dependency
    path)."""

    __slots__ = ("rule", "action", "message", "suggestion", "advisories", "similar_to", "path", "subject", "raw")

    def __init__(self, raw, subject=""):
        # type: (Mapping[str, Any], str) -> None
        self.raw = dict(raw)
        self.rule = str(raw.get("rule", ""))
        self.action = str(raw.get("action", ""))
        self.message = str(raw.get("message", ""))
        self.suggestion = str(raw.get("suggestion") or "")
        self.advisories = list(raw.get("advisories") or [])
        self.similar_to = str(raw.get("similar_to") or "")
        self.path = list(raw.get("path") or [])
        self.subject = subject

    def __str__(self):
        # type: () -> str
        s = "%s: %s" % (self.rule, self.message)
        if self.subject and self.subject not in self.message:
            s = "%s: %s" % (self.subject, s)
        if self.advisories and not any(a.split()[0] in self.message for a in self.advisories if a):
            s += " [%s]" % "; ".join(self.advisories)
        if self.suggestion:
            s += " (suggestion: %s)" % self.suggestion
        return s

    def __repr__(self):
        # type: () -> str
        return "Finding(%r, %r, %r)" % (self.rule, self.action, self.message)


def _report_findings(report):
    # type: (Optional[Mapping[str, Any]]) -> List[Finding]
    out = []  # type: List[Finding]
    for res in (report or {}).get("results") or []:
        for f in res.get("findings") or []:
            out.append(Finding(f, str(res.get("input", ""))))
    return out


def _not_allowed(findings):
    # type: (Iterable[Finding]) -> List[Finding]
    return [f for f in findings if f.action in ("deny", "review")]


class Report(object):
    """The answer to a check: the same document as ``airlock check --format
    json``. ``decision`` is the strictest decision ("allow", "deny" or
    "review"); ``findings`` are every finding, ``notes`` what the decision
    could not cover (no advisory data loaded, for instance)."""

    def __init__(self, raw, reviews=None):
        # type: (Mapping[str, Any], Optional[List[str]]) -> None
        self.raw = dict(raw)
        self.results = list(raw.get("results") or [])
        summary = raw.get("summary") or {}
        self.summary = dict(summary)
        self.notes = list(raw.get("notes") or [])
        self.findings = _report_findings(raw)
        self.reviews = list(reviews or [])
        if summary.get("deny"):
            self.decision = "deny"
        elif summary.get("review"):
            self.decision = "review"
        else:
            self.decision = "allow"

    @property
    def allowed(self):
        # type: () -> bool
        """Whether everything was allowed."""
        return self.decision == "allow"

    def raise_for_decision(self, what="the requirements"):
        # type: (str) -> Report
        """Raises :class:`Denied` or :class:`NeedsReview` unless everything
        was allowed; returns the report otherwise."""
        if self.decision == "deny":
            raise Denied("airlock denied %s" % what, findings=self.findings, notes=self.notes, result=self)
        if self.decision == "review":
            raise NeedsReview("%s need a person's review in airlock" % what, findings=self.findings,
                              notes=self.notes, result=self, reviews=self.reviews)
        return self

    def __repr__(self):
        # type: () -> str
        return "Report(decision=%r, findings=%d)" % (self.decision, len(self.findings))


class InstallResult(object):
    """The account of an install: ``outcome`` ("installed", "unchanged",
    "denied" or "review"), ``installed`` as (name, version) pairs, the
    resolved ``releases`` with their decisions, ``findings`` and ``notes``.
    ``raw`` is the server's whole document."""

    def __init__(self, raw, reviews=None):
        # type: (Mapping[str, Any], Optional[List[str]]) -> None
        self.raw = dict(raw)
        self.id = str(raw.get("id", ""))
        self.env = str(raw.get("env", ""))
        self.outcome = str(raw.get("outcome", ""))
        self.requirements = list(raw.get("requirements") or [])
        self.installed = [(str(p.get("name")), str(p.get("version"))) for p in raw.get("installed") or []]
        self.releases = list(raw.get("releases") or [])
        self.notes = list(raw.get("notes") or [])
        self.reviews = list(reviews or [])
        check = raw.get("check")
        self.check = Report(check) if check else None
        findings = _report_findings(check)
        for rel in self.releases:
            subject = "%s %s" % (rel.get("name"), rel.get("version"))
            path = rel.get("path") or []
            if path and not rel.get("requested"):
                subject += " (via %s)" % " \u2192 ".join(path)
            for f in (rel.get("decision") or {}).get("findings") or []:
                findings.append(Finding(f, subject))
        for f in raw.get("resolution") or []:
            findings.append(Finding(f, "resolution"))
        self.findings = findings

    @property
    def ok(self):
        # type: () -> bool
        """Whether the environment now has what was asked for."""
        return self.outcome in ("installed", "unchanged")

    def __repr__(self):
        # type: () -> str
        return "InstallResult(outcome=%r, installed=%r)" % (self.outcome, self.installed)


class RunResult(object):
    """The result of a sandboxed run: ``exit_code`` (128+N when signal N
    ended it), ``signal``, ``reason`` (exited, signaled, timeout, memory,
    pids, output, killed), ``explanation`` (why it was stopped, in words),
    ``stdout`` and ``stderr`` (text, cut at the output limit), the
    ``*_truncated`` flags, ``wall_ms``, ``cpu_ms``, ``peak_memory_bytes``, and
    ``files``: the files the run created or changed in its work directory,
    as a mapping from relative path to bytes (when asked for)."""

    def __init__(self, raw):
        # type: (Mapping[str, Any]) -> None
        self.raw = dict(raw)
        res = raw.get("result") or {}
        self.exit_code = int(res.get("exit_code", -1))
        self.signal = int(res.get("signal", 0))
        self.reason = str(res.get("reason", ""))
        self.stdout = str(res.get("stdout", ""))
        self.stderr = str(res.get("stderr", ""))
        self.stdout_truncated = bool(res.get("stdout_truncated"))
        self.stderr_truncated = bool(res.get("stderr_truncated"))
        self.wall_ms = int(res.get("wall_ms", 0))
        self.cpu_ms = int(res.get("cpu_ms", 0))
        self.peak_memory_bytes = int(res.get("peak_memory_bytes", 0))
        self.explanation = str(raw.get("explanation") or "")
        self.files_truncated = bool(raw.get("files_truncated"))
        files = {}  # type: Dict[str, bytes]
        modes = {}  # type: Dict[str, int]
        for f in raw.get("files") or []:
            path = str(f.get("path", ""))
            if f.get("content") is not None:
                files[path] = str(f["content"]).encode("utf-8")
            elif f.get("content_base64") is not None:
                files[path] = base64.b64decode(f["content_base64"])
            else:
                continue
            modes[path] = int(f.get("mode") or 0o644)
        self.files = files
        self.modes = modes

    @property
    def ok(self):
        # type: () -> bool
        """Whether the command exited with 0."""
        return self.exit_code == 0 and self.reason in ("exited", "")

    def write_files(self, directory):
        # type: (Union[str, os.PathLike]) -> List[str]
        """Writes the returned files below directory and returns their
        paths. A path that would leave the directory, or pass through a
        symbolic link, is refused: the sandbox chose these names."""
        base = os.path.realpath(os.fspath(directory))
        written = []
        for rel, data in sorted(self.files.items()):
            target = os.path.realpath(os.path.join(base, rel))
            if os.path.isabs(rel) or os.path.commonpath([base, target]) != base or target == base:
                raise AirlockError("the run returned a file outside its work directory: %r" % rel)
            parent = os.path.dirname(target)
            os.makedirs(parent, exist_ok=True)
            tmp = target + ".airlock-tmp"
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, (self.modes.get(rel, 0o644) & 0o755) | 0o600)
            os.replace(tmp, target)
            written.append(target)
        return written

    def __repr__(self):
        # type: () -> str
        return "RunResult(exit_code=%r, reason=%r)" % (self.exit_code, self.reason)


class AirlockError(Exception):
    """Every error of this client. ``status`` is the HTTP status (None when
    no answer came), ``code`` the API's error code, ``request_id`` the id the
    server logged it under, ``findings`` the findings behind a refusal and
    ``notes`` the server's remarks. ``str()`` is written for the model that
    made the request: what happened, each finding, and what to do."""

    def __init__(self, message, status=None, code=None, request_id=None, findings=None, notes=None, result=None,
                 retry_after=None, reviews=None):
        # type: (str, Optional[int], Optional[str], Optional[str], Optional[Sequence[Finding]], Optional[Sequence[str]], Any, Optional[float], Optional[Sequence[str]]) -> None
        super(AirlockError, self).__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.findings = list(findings or [])
        self.notes = list(notes or [])
        self.result = result
        self.retry_after = retry_after
        self.reviews = list(reviews or [])

    def __str__(self):
        # type: () -> str
        lines = [self.message]
        shown = _not_allowed(self.findings) or self.findings
        for f in shown:
            lines.append("  - %s" % f)
        hint = self._hint()
        if hint:
            lines.append(hint)
        return "\n".join(lines)

    def _hint(self):
        # type: () -> str
        return ""


class ConnectionFailed(AirlockError):
    """The server could not be reached (refused, reset, DNS, TLS)."""


class AuthError(AirlockError):
    """401: no token, or a bad, expired or revoked one; 403: the token
    lacks the scope the route needs."""

    def _hint(self):
        # type: () -> str
        return "Check AIRLOCK_TOKEN: the operator creates tokens with `airlock token create --scopes ...`."


class BadRequest(AirlockError):
    """400, 413 or 415: the request itself is wrong; the message says how."""


class NotFound(AirlockError):
    """404: no such environment, review or route."""


class Conflict(AirlockError):
    """409: the record exists already, or was decided already."""


class RateLimited(AirlockError):
    """429 after the retries: the token is over its rate or concurrency
    limit. ``retry_after`` is the seconds the server asked to wait."""

    def _hint(self):
        # type: () -> str
        if self.retry_after:
            return "Wait %g seconds before trying again." % self.retry_after
        return "Wait a little before trying again."


class Unavailable(AirlockError):
    """503 after the retries: the server cannot serve this now (capacity,
    store or sandbox unavailable, a server-side timeout). Nothing was
    decided or changed."""


class Timeout(AirlockError):
    """No answer came within the client's timeout. An install may still
    finish on the server; asking again is safe (it changes nothing twice)."""


class Denied(AirlockError):
    """airlock refused the request: nothing was installed. ``findings``
    says why, each with a suggestion where airlock has one."""

    def _hint(self):
        # type: () -> str
        return ("Nothing was installed. Change the requirements to address these findings (use the suggested "
                "names and versions; install from airlock's index only, by name and version, without pip options "
                "that change where packages come from or where they go) and try again.")


class NeedsReview(AirlockError):
    """Nothing was denied, but something needs a person's approval in
    airlock before it can be installed; ``reviews`` are the review ids."""

    def _hint(self):
        # type: () -> str
        ids = (" (review %s)" % ", ".join(self.reviews)) if self.reviews else ""
        return ("Nothing was installed. An administrator must approve this in airlock%s; or choose "
                "requirements without these findings." % ids)


class InstallFailed(AirlockError):
    """The install could not be carried out (the server's log has the
    details under request_id); nothing was changed."""


_STATUS_ERRORS = {
    400: BadRequest,
    401: AuthError,
    403: AuthError,
    404: NotFound,
    405: BadRequest,
    409: Conflict,
    413: BadRequest,
    415: BadRequest,
    429: RateLimited,
    502: InstallFailed,
    503: Unavailable,
}

_RETRY_STATUSES = (429, 503)

FileSpec = Union[str, "os.PathLike[str]", Mapping[str, Union[bytes, str]], None]


def collect_files(directory, max_files=MAX_RUN_FILES, max_bytes=MAX_RUN_BYTES, skip_dirs=SKIP_DIRS):
    # type: (Union[str, os.PathLike], int, int, Iterable[str]) -> Dict[str, bytes]
    """Returns the regular files below directory as a mapping from relative
    path (with "/") to content, for :meth:`Client.run`. Symbolic links are
    not followed or sent (one could lead outside the directory), nor are the
    directories in skip_dirs. More than max_files files or max_bytes bytes
    is an :class:`AirlockError` that says so."""
    return _collect(directory, max_files, max_bytes, skip_dirs)[0]


def _collect(directory, max_files=MAX_RUN_FILES, max_bytes=MAX_RUN_BYTES, skip_dirs=SKIP_DIRS):
    # type: (Union[str, os.PathLike], int, int, Iterable[str]) -> Tuple[Dict[str, bytes], Dict[str, int]]
    """collect_files, and the modes of the executable files."""
    base = os.fspath(directory)
    if not os.path.isdir(base):
        raise AirlockError("files: %r is not a directory" % base)
    skip = frozenset(skip_dirs)
    out = {}  # type: Dict[str, bytes]
    modes = {}  # type: Dict[str, int]
    total = 0
    for root, dirs, names in os.walk(base, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in skip and not os.path.islink(os.path.join(root, d)))
        for name in sorted(names):
            full = os.path.join(root, name)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            rel = os.path.relpath(full, base).replace(os.sep, "/")
            if len(out) >= max_files:
                raise AirlockError("files: %s has more than %d files; send fewer (a mapping of the files the run "
                                   "needs) or raise max_files" % (base, max_files))
            with open(full, "rb") as fh:
                data = fh.read(max_bytes - total + 1)
                if os.fstat(fh.fileno()).st_mode & 0o111:
                    modes[rel] = 0o755
            total += len(data)
            if total > max_bytes:
                raise AirlockError("files: the files of %s are larger than %d bytes together; send only what the "
                                   "run needs" % (base, max_bytes))
            out[rel] = data
    return out, modes


def _file_entries(files, modes=None):
    # type: (Mapping[str, Union[bytes, str]], Optional[Mapping[str, int]]) -> List[Dict[str, Any]]
    entries = []
    for path, data in sorted(files.items()):
        entry = {"path": path}  # type: Dict[str, Any]
        if isinstance(data, str):
            entry["content"] = data
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and "\x00" not in text:
                entry["content"] = text
            else:
                entry["content_base64"] = base64.b64encode(data).decode("ascii")
        if modes and path in modes:
            entry["mode"] = modes[path]
        entries.append(entry)
    return entries


def _retry_after(value, now=None):
    # type: (Optional[str], Optional[float]) -> Optional[float]
    """Reads a Retry-After header: delay-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Client(object):
    """A connection to an airlock server.

    url and token default to $AIRLOCK_URL (else http://127.0.0.1:8470) and
    $AIRLOCK_TOKEN. timeout is the seconds a quick request may take;
    install_timeout an install's. A 429 or 503 answer is retried up to
    retries times, waiting what its Retry-After asks (or 1, 2, 4 ... seconds
    without one) but never more than max_retry_wait at once or
    max_total_wait in all; past those bounds the error is raised with
    ``retry_after`` set.

    A Client holds no connection between calls and is safe to share between
    threads."""

    def __init__(self, url=None, token=None, timeout=DEFAULT_TIMEOUT, install_timeout=DEFAULT_INSTALL_TIMEOUT,
                 retries=DEFAULT_RETRIES, max_retry_wait=DEFAULT_MAX_RETRY_WAIT, max_total_wait=DEFAULT_MAX_TOTAL_WAIT,
                 user_agent=None, sleep=time.sleep):
        # type: (Optional[str], Optional[str], float, float, int, float, float, Optional[str], Callable[[float], None]) -> None
        url = url or os.environ.get("AIRLOCK_URL") or DEFAULT_URL
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise AirlockError("airlock URL %r: want http://HOST:PORT or https://HOST:PORT" % url)
        if parsed.username or parsed.password:
            raise AirlockError("airlock URL: give the token as token=, not inside the URL")
        self.url = url.rstrip("/")
        self.token = token if token is not None else os.environ.get("AIRLOCK_TOKEN", "")
        if not self.token:
            raise AuthError("no airlock token: pass token= or set AIRLOCK_TOKEN")
        self.timeout = float(timeout)
        self.install_timeout = float(install_timeout)
        self.retries = max(0, int(retries))
        self.max_retry_wait = float(max_retry_wait)
        self.max_total_wait = float(max_total_wait)
        self.user_agent = user_agent or "airlock-client-python/%s" % __version__
        self._sleep = sleep
        self._opener = urllib.request.build_opener(_NoRedirect())

    def __repr__(self):
        # type: () -> str
        return "Client(%r)" % self.url

    # The API.

    def check(self, requirements):
        # type: (Union[str, Sequence[str]]) -> Report
        """Vets requirements without installing anything: a list of
        requirement strings (each one line of a requirements file) or the
        text of a requirements file. Returns the :class:`Report`; call its
        raise_for_decision() to turn a refusal into an exception."""
        doc, headers = self._call("POST", "/v1/check", _requirements_body(requirements))
        return Report(doc, _review_ids(headers))

    def create_environment(self, name, python=None, exist_ok=False):
        # type: (str, Optional[str], bool) -> Dict[str, Any]
        """Creates an empty environment and returns it (name, python,
        python_version, created, updated, packages). With exist_ok, an
        existing one is returned instead of raising :class:`Conflict`."""
        body = {"name": name}  # type: Dict[str, Any]
        if python:
            body["python"] = python
        try:
            doc, _ = self._call("POST", "/v1/environments", body)
            return doc
        except Conflict:
            if not exist_ok:
                raise
            return self.environment(name)

    def environment(self, name):
        # type: (str) -> Dict[str, Any]
        """Returns an environment with its lock ("packages")."""
        doc, _ = self._call("GET", "/v1/environments/" + _segment(name))
        return doc

    def environments(self):
        # type: () -> List[Dict[str, Any]]
        """Lists the environments."""
        doc, _ = self._call("GET", "/v1/environments")
        return list(doc.get("environments") or [])

    def delete_environment(self, name, missing_ok=False):
        # type: (str, bool) -> None
        """Removes an environment."""
        try:
            self._call("DELETE", "/v1/environments/" + _segment(name))
        except NotFound:
            if not missing_ok:
                raise

    def install(self, env, requirements, raise_on_refusal=True):
        # type: (str, Union[str, Sequence[str]], bool) -> InstallResult
        """Runs the vetted install of requirements (a list of requirement
        strings, or the text of a requirements file) into the environment
        env. Raises :class:`Denied` or :class:`NeedsReview` (with the
        findings) when airlock refused it, unless raise_on_refusal is
        false; :class:`InstallFailed` when it could not be carried out.
        Nothing is changed unless the outcome is "installed"."""
        doc, headers = self._call("POST", "/v1/environments/%s/install" % _segment(env),
                                  _requirements_body(requirements), timeout=self.install_timeout)
        res = InstallResult(doc, _review_ids(headers))
        if raise_on_refusal:
            if res.outcome == "denied":
                raise Denied("airlock denied the install into environment %r" % env, findings=res.findings,
                             notes=res.notes, result=res)
            if res.outcome == "review":
                raise NeedsReview("the install into environment %r needs a person's review in airlock" % env,
                                  findings=res.findings, notes=res.notes, result=res, reviews=res.reviews)
        return res

    def run(self, env, command=None, code=None, files=None, stdin=None, environ=None, timeout=None, cpu_seconds=None,
            cpus=None, memory=None, pids=None, open_files=None, file_size=None, output=None, tmpfs=None,
            return_files=True, file_modes=None):
        # type: (str, Union[str, Sequence[str], None], Optional[str], FileSpec, Optional[str], Optional[Mapping[str, str]], Optional[float], Optional[float], Optional[float], Union[int, str, None], Optional[int], Optional[int], Union[int, str, None], Union[int, str, None], Union[int, str, None], bool, Optional[Mapping[str, int]]) -> RunResult
        """Runs a command in airlock's sandbox with the environment env.

        command is an argv list (["python", "-m", "pytest"]; the
        environment's interpreter is first on PATH), or a string run with
        /bin/sh -c; code is Python source to run with ``python -c`` instead.
        files is a directory whose files are placed in the sandbox's work
        directory (see :func:`collect_files`), or a mapping from relative
        path to bytes or text (file_modes may give a mapped file mode
        0o755 to make it executable). environ adds environment variables (the
        sandbox's environment is otherwise cleared). The limits (timeout
        and cpu_seconds in seconds, memory, file_size, output and tmpfs in
        bytes or as "256MiB") default to the server's.

        Returns a :class:`RunResult`; a command that fails is not an
        exception (look at exit_code), but a run the server refuses is."""
        if (command is None) == (code is None):
            raise BadRequest("run: give command or code, not both and not neither")
        if code is not None:
            argv = ["python", "-c", code]  # type: List[str]
        elif isinstance(command, str):
            argv = ["/bin/sh", "-c", command]
        else:
            argv = [str(a) for a in command or []]
        body = {"command": argv, "return_files": bool(return_files)}  # type: Dict[str, Any]
        if files is not None:
            if isinstance(files, collections.abc.Mapping):
                body["files"] = _file_entries(files, file_modes)
            else:
                body["files"] = _file_entries(*_collect(files))
        if stdin:
            body["stdin"] = stdin
        if environ:
            body["env"] = dict(environ)
        limits = {}  # type: Dict[str, Any]
        for key, value in (("timeout_seconds", timeout), ("cpu_seconds", cpu_seconds), ("cpus", cpus),
                           ("memory", memory), ("pids", pids), ("open_files", open_files),
                           ("file_size", file_size), ("output", output), ("tmpfs", tmpfs)):
            if value is not None:
                limits[key] = value
        if limits:
            body["limits"] = limits
        wall = float(timeout) if timeout is not None else 300.0
        doc, _ = self._call("POST", "/v1/environments/%s/run" % _segment(env), body, timeout=wall + RUN_GRACE)
        return RunResult(doc)

    # The transport.

    def _call(self, method, path, body=None, timeout=None):
        # type: (str, str, Optional[Mapping[str, Any]], Optional[float]) -> Tuple[Dict[str, Any], Mapping[str, str]]
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        waited = 0.0
        attempt = 0
        while True:
            try:
                return self._once(method, path, data, self.timeout if timeout is None else timeout)
            except (RateLimited, Unavailable) as e:
                delay = e.retry_after if e.retry_after is not None else float(2 ** attempt)
                if attempt >= self.retries or delay > self.max_retry_wait or waited + delay > self.max_total_wait:
                    raise
                attempt += 1
                waited += delay
                self._sleep(delay)

    def _once(self, method, path, data, timeout):
        # type: (str, str, Optional[bytes], float) -> Tuple[Dict[str, Any], Mapping[str, str]]
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        req.add_header("Accept", "application/json")
        req.add_header("User-Agent", self.user_agent)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                raw = resp.read()
                headers = resp.headers
                status = resp.status
        except urllib.error.HTTPError as e:
            try:
                raw = e.read(_MAX_ERROR_BODY)
            except Exception:  # the body is only an explanation
                raw = b""
            finally:
                e.close()
            raise self._error(e.code, e.headers, raw)
        except (socket.timeout, TimeoutError) as e:
            raise Timeout("airlock at %s did not answer %s %s within %g seconds: %s" % (self.url, method, path,
                                                                                        timeout, e))
        except urllib.error.URLError as e:
            if isinstance(e.reason, (socket.timeout, TimeoutError)):
                raise Timeout("airlock at %s did not answer %s %s within %g seconds" % (self.url, method, path,
                                                                                        timeout))
            raise ConnectionFailed("cannot reach airlock at %s: %s" % (self.url, e.reason))
        except (ConnectionError, OSError) as e:
            raise ConnectionFailed("cannot reach airlock at %s: %s" % (self.url, e))
        if status == 204 or not raw:
            return {}, headers
        try:
            doc = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise AirlockError("airlock at %s answered %s %s with something that is not JSON" % (self.url, method,
                                                                                                 path), status=status)
        if not isinstance(doc, dict):
            raise AirlockError("airlock answered %s %s with JSON that is not an object" % (method, path),
                               status=status)
        return doc, headers

    def _error(self, status, headers, raw):
        # type: (int, Mapping[str, str], bytes) -> AirlockError
        code = None
        message = ""
        request_id = headers.get("X-Request-Id") if headers else None
        try:
            doc = json.loads(raw.decode("utf-8"))
            err = doc.get("error") or {}
            code = err.get("code")
            message = str(err.get("message") or "")
            request_id = err.get("request_id") or request_id
        except (ValueError, AttributeError):
            message = raw[:200].decode("utf-8", "replace").strip()
        cls = _STATUS_ERRORS.get(status, AirlockError)
        if code == "timeout":
            cls = Unavailable
        text = "airlock: %s" % (message or "HTTP %d" % status)
        if request_id:
            text += " (request %s)" % request_id
        retry = _retry_after(headers.get("Retry-After") if headers else None)
        return cls(text, status=status, code=code, request_id=request_id, retry_after=retry)


def _requirements_body(requirements):
    # type: (Union[str, Sequence[str]]) -> Dict[str, Any]
    if isinstance(requirements, str):
        return {"text": requirements}
    reqs = [str(r) for r in requirements]
    if not reqs:
        raise BadRequest("no requirements given")
    return {"requirements": reqs}


def _review_ids(headers):
    # type: (Optional[Mapping[str, str]]) -> List[str]
    value = headers.get("Airlock-Reviews") if headers else None
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _segment(name):
    # type: (str) -> str
    return urllib.parse.quote(str(name), safe="")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuses redirects: one would carry the token to another address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401 - urllib's signature
        return None
