"""A stand-in for pip that sends every pip command to airlock.

With this directory (clients/python/shim) first on PYTHONPATH, ``python -m
pip ...`` and ``pip.main([...])`` run ``airlock pip ...`` instead of pip:
installs become vetted installs into the current airlock environment
($AIRLOCK_ENV). $AIRLOCK_BIN names the airlock binary (default: airlock on
PATH). No sitecustomize is involved. See docs/integrations.md.
"""

import os
import sys

__all__ = ["main"]


def main(args=None):
    """Replaces this process with ``airlock pip ARGS`` (sys.argv[1:] by
    default). Returns 4, airlock's "could not decide", when airlock cannot
    be started: nothing is installed then."""
    argv = list(sys.argv[1:] if args is None else args)
    binary = os.environ.get("AIRLOCK_BIN") or "airlock"
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvp(binary, [binary, "pip"] + argv)
    except OSError as e:
        sys.stderr.write("ERROR: pip is routed through airlock here, but %r cannot be run (%s); nothing was installed."
                         " Set AIRLOCK_BIN or put airlock on PATH.\n" % (binary, e.strerror or e))
        return 4
