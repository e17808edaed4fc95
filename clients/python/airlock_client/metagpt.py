"""Route MetaGPT's installs and test runs through airlock.

MetaGPT's ``RunCode`` action installs whatever ``requirements.txt`` the model
wrote with ``python -m pip install -r requirements.txt`` into the host's own
interpreter, installs pytest the same way, swallows any failure into a log
line, and then runs the tests on the host with ``subprocess.Popen``.
:func:`patch` replaces the three methods involved, keeping their signatures:

``RunCode._install_requirements(working_directory, env)`` (static)
    becomes a vetted install of the project's requirements.txt into the
    project's own airlock environment. A refusal raises :class:`Denied` (or
    :class:`NeedsReview`) whose message is the findings, so the model reads
    why and can change its request; it is not swallowed.
``RunCode._install_pytest(working_directory, env)`` (static)
    becomes a vetted install of pytest into the same environment.
``async RunCode.run_script(self, working_directory, additional_python_paths=[], command=[]) -> Tuple[str, str]``
    installs as above (through ``RunCode._install_dependencies``, as MetaGPT
    does), then runs the command in airlock's sandbox with the project's
    environment, the files of the working directory (and of the additional
    Python paths) in its work directory, no network, and MetaGPT's 10-second
    limit; it returns the decoded ``(stdout, stderr)``, with airlock's reason
    appended to stderr when the sandbox stopped the command.

Each project gets one environment, named from its working directory: see
:func:`environment_name`.

The signatures and the call pattern are those of MetaGPT's
metagpt/actions/run_code.py at commit 1dfce070 (June 2025). Call
:func:`patch` before or after MetaGPT is imported: when
``metagpt.actions.run_code`` is already imported it is patched at once;
otherwise an import hook patches it as it is imported. The client comes from
the argument, else from $AIRLOCK_URL and $AIRLOCK_TOKEN.
"""

import asyncio
import hashlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import AirlockError, Client, Denied, NeedsReview, _collect

__all__ = ["patch", "unpatch", "is_patched", "environment_name", "MODULE", "Denied", "NeedsReview"]

#: The module that defines RunCode.
MODULE = "metagpt.actions.run_code"

#: MetaGPT's own limit on a test run, in seconds (process.communicate's
#: timeout in run_script).
DEFAULT_TIMEOUT = 10.0

#: Where the sandbox's work directory is: the command's current directory
#: (POST /v1/environments/{name}/run).
SANDBOX_WORKDIR = "/work"

#: Where additional Python paths outside the working directory are placed
#: inside the sandbox's work directory.
EXTRA_PATHS_DIR = ".airlock-paths"

_PATCHED = ("run_script", "_install_requirements", "_install_pytest")

_lock = threading.RLock()
_state = {"client": None, "timeout": DEFAULT_TIMEOUT, "prefix": "metagpt", "finder": None, "known": set()}  # type: Dict[str, Any]


def environment_name(working_directory, prefix="metagpt"):
    # type: (Any, str) -> str
    """Returns the airlock environment of a project: prefix, the directory's
    base name (letters, digits, '.', '_' and '-' only, at most 40) and eight
    hex digits of the SHA-256 of its absolute path, so two projects with the
    same name do not share one. It fits airlock's rule for names (1 to 64
    characters, starting with a letter or digit)."""
    path = os.path.abspath(os.fspath(working_directory))
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", os.path.basename(path.rstrip(os.sep)) or "root").strip(".-_")[:40]
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    parts = [p for p in (prefix, base, digest) if p]
    return "-".join(parts)[:64]


def _client():
    # type: () -> Client
    c = _state["client"]
    if c is None:
        raise AirlockError("airlock_client.metagpt: patch() has not been called")
    return c


def _ensure_environment(working_directory):
    # type: (Any) -> str
    name = environment_name(working_directory, _state["prefix"])
    with _lock:
        known = name in _state["known"]
    if not known:
        _client().create_environment(name, exist_ok=True)
        with _lock:
            _state["known"].add(name)
    return name


def _install_requirements(working_directory, env):
    # type: (Any, Optional[Dict[str, str]]) -> None
    """Replaces RunCode._install_requirements: a vetted install of the
    project's requirements.txt, when it exists and is not empty, into the
    project's airlock environment. Raises Denied or NeedsReview with the
    findings when airlock refuses it."""
    path = os.path.join(os.fspath(working_directory), "requirements.txt")
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        return
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    if not text.strip():
        return
    name = _ensure_environment(working_directory)
    _client().install(name, text)


def _install_pytest(working_directory, env):
    # type: (Any, Optional[Dict[str, str]]) -> None
    """Replaces RunCode._install_pytest: a vetted install of pytest into
    the project's airlock environment."""
    name = _ensure_environment(working_directory)
    _client().install(name, ["pytest"])


def _sandbox_paths(working_directory, additional_python_paths):
    # type: (str, Sequence[str]) -> Tuple[Dict[str, bytes], Dict[str, int], List[str]]
    """The files to send and the PYTHONPATH inside the sandbox: the working
    directory is the work directory; an additional path inside it keeps its
    place, and one outside it is sent under EXTRA_PATHS_DIR/N."""
    files, modes = _collect(working_directory)
    pythonpath = [SANDBOX_WORKDIR]
    root = os.path.realpath(working_directory)
    for i, extra in enumerate(additional_python_paths):
        real = os.path.realpath(extra)
        if real == root or real.startswith(root + os.sep):
            rel = os.path.relpath(real, root).replace(os.sep, "/")
            pythonpath.append(SANDBOX_WORKDIR if rel == "." else SANDBOX_WORKDIR + "/" + rel)
            continue
        if not os.path.isdir(real):
            continue
        prefix = "%s/%d" % (EXTRA_PATHS_DIR, i)
        more, more_modes = _collect(real)
        for rel, data in more.items():
            files[prefix + "/" + rel] = data
        for rel, mode in more_modes.items():
            modes[prefix + "/" + rel] = mode
        pythonpath.append(SANDBOX_WORKDIR + "/" + prefix)
    return files, modes, pythonpath


def _run_in_sandbox(working_directory, additional_python_paths, command):
    # type: (str, List[str], List[str]) -> Tuple[str, str]
    name = environment_name(working_directory, _state["prefix"])
    files, modes, pythonpath = _sandbox_paths(working_directory, additional_python_paths)
    res = _client().run(name, command, files=files, file_modes=modes, environ={"PYTHONPATH": ":".join(pythonpath)},
                        timeout=_state["timeout"], return_files=False)
    stderr = res.stderr
    if res.reason not in ("exited", "") and res.explanation:
        stderr += ("" if not stderr or stderr.endswith("\n") else "\n") + "airlock: %s\n" % res.explanation
    return res.stdout, stderr


async def _run_script(self, working_directory, additional_python_paths=[], command=[]):
    # type: (Any, Any, Sequence[Any], Sequence[str]) -> Tuple[str, str]
    """Replaces RunCode.run_script: the dependencies are installed through
    airlock (RunCode._install_dependencies, which calls the patched
    _install_requirements and _install_pytest), then the command runs in
    airlock's sandbox with the project's environment. Returns (stdout,
    stderr)."""
    working_directory = str(working_directory)
    additional_python_paths = [str(p) for p in additional_python_paths]
    env = dict(os.environ)
    env["PYTHONPATH"] = ":".join([working_directory] + additional_python_paths) + ":" + env.get("PYTHONPATH", "")
    cls = type(self)
    install = getattr(cls, "_install_dependencies", None)
    loop = asyncio.get_running_loop()
    if install is not None:
        await loop.run_in_executor(None, lambda: install(working_directory=working_directory, env=env))
    else:
        await loop.run_in_executor(None, lambda: (_install_requirements(working_directory, env),
                                                  _install_pytest(working_directory, env)))
    _ensure_environment(working_directory)
    return await loop.run_in_executor(None, _run_in_sandbox, working_directory, additional_python_paths,
                                      [str(c) for c in command])


def _patch_class(cls):
    # type: (type) -> None
    with _lock:
        if cls.__dict__.get("_airlock_originals") is not None:
            return
        originals = {n: cls.__dict__[n] for n in _PATCHED if n in cls.__dict__}
        cls._airlock_originals = originals
        cls.run_script = _run_script
        cls._install_requirements = staticmethod(_install_requirements)
        cls._install_pytest = staticmethod(_install_pytest)


def _patch_module(module):
    # type: (Any) -> None
    cls = getattr(module, "RunCode", None)
    if cls is None:
        raise AirlockError("airlock_client.metagpt: %s has no RunCode class; this MetaGPT version is not supported"
                           % MODULE)
    _patch_class(cls)


class _Loader(importlib.abc.Loader):
    """Wraps the real loader of metagpt.actions.run_code and patches RunCode
    once the module has run."""

    def __init__(self, loader):
        # type: (Any) -> None
        self.loader = loader

    def create_module(self, spec):
        # type: (Any) -> Any
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # type: (Any) -> None
        self.loader.exec_module(module)
        _patch_module(module)

    def __getattr__(self, name):
        # type: (str) -> Any
        return getattr(self.loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds metagpt.actions.run_code with the other finders and wraps its
    loader in a _Loader."""

    def find_spec(self, fullname, path, target=None):
        # type: (str, Any, Any) -> Any
        if fullname != MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader)
                return spec
        return None


def patch(client=None, timeout=DEFAULT_TIMEOUT, prefix="metagpt"):
    # type: (Optional[Client], float, str) -> None
    """Routes MetaGPT's RunCode installs and test runs through airlock.

    client is the :class:`Client` to use, else one made from $AIRLOCK_URL
    and $AIRLOCK_TOKEN (an error now, not at the first install, when there
    is no token). timeout is a test run's wall-clock limit in seconds
    (MetaGPT's is 10); prefix starts every environment's name. Calling it
    again changes the client and settings. If metagpt.actions.run_code is
    imported, it is patched now; otherwise it is patched when imported."""
    with _lock:
        _state["client"] = client if client is not None else Client()
        _state["timeout"] = float(timeout)
        _state["prefix"] = prefix
        _state["known"] = set()
        module = sys.modules.get(MODULE)
        if module is not None:
            _patch_module(module)
            return
        if _state["finder"] is None:
            finder = _Finder()
            sys.meta_path.insert(0, finder)
            _state["finder"] = finder


def unpatch():
    # type: () -> None
    """Restores the original methods and removes the import hook."""
    with _lock:
        finder = _state["finder"]
        if finder is not None:
            try:
                sys.meta_path.remove(finder)
            except ValueError:
                pass
            _state["finder"] = None
        module = sys.modules.get(MODULE)
        cls = getattr(module, "RunCode", None) if module is not None else None
        if cls is not None and cls.__dict__.get("_airlock_originals") is not None:
            for n, v in cls._airlock_originals.items():
                setattr(cls, n, v)
            del cls._airlock_originals


def is_patched(cls=None):
    # type: (Optional[type]) -> bool
    """Reports whether RunCode (or cls) is patched."""
    if cls is None:
        module = sys.modules.get(MODULE)
        cls = getattr(module, "RunCode", None) if module is not None else None
    return cls is not None and cls.__dict__.get("_airlock_originals") is not None
