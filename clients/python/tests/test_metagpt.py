"""airlock_client.metagpt against the MetaGPT stand-in (tests/standin, which
reproduces the signatures and call pattern of MetaGPT's RunCode at commit
1dfce070) and a real `airlock serve`."""

import asyncio
import importlib
import inspect
import os
import shutil
import sys
import tempfile
import unittest

from airlock_client import AuthError, Denied
from airlock_client import metagpt as airlock_metagpt

from .helpers import STANDIN, server_client

MODULES = ("metagpt", "metagpt.actions", "metagpt.actions.run_code")


def _forget_metagpt():
    """Unpatches and removes the stand-in from sys.modules, so the next
    import runs it again."""
    airlock_metagpt.unpatch()
    for name in MODULES:
        sys.modules.pop(name, None)
    importlib.invalidate_caches()


class _Base(unittest.TestCase):
    def setUp(self):
        if STANDIN not in sys.path:
            sys.path.insert(0, STANDIN)
        _forget_metagpt()
        self.addCleanup(_forget_metagpt)

    def project(self, files):
        work = tempfile.mkdtemp(prefix="metagpt-project-")
        self.addCleanup(shutil.rmtree, work)
        for rel, text in files.items():
            path = os.path.join(work, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(text)
        return work


class PatchTest(_Base):
    """How the patch is applied; no server needed."""

    def originals(self):
        from metagpt.actions.run_code import RunCode

        return RunCode, {n: inspect.signature(getattr(RunCode, n)) for n in airlock_metagpt._PATCHED}

    def check_patched(self, cls, signatures):
        self.assertTrue(airlock_metagpt.is_patched(cls))
        self.assertIs(cls.__dict__["run_script"], airlock_metagpt._run_script)
        self.assertTrue(inspect.iscoroutinefunction(cls.run_script))
        self.assertIsInstance(cls.__dict__["_install_requirements"], staticmethod)
        self.assertIsInstance(cls.__dict__["_install_pytest"], staticmethod)
        for name, sig in signatures.items():
            self.assertEqual(inspect.signature(getattr(cls, name)).parameters.keys(), sig.parameters.keys(), name)
        self.assertEqual(inspect.signature(cls.run_script).parameters["additional_python_paths"].default, [])
        self.assertEqual(inspect.signature(cls.run_script).parameters["command"].default, [])

    def test_already_imported(self):
        cls, signatures = self.originals()
        self.assertFalse(airlock_metagpt.is_patched())
        airlock_metagpt.patch(server_client_or_dummy())
        self.check_patched(cls, signatures)
        # Patching twice is harmless; unpatch restores the originals.
        airlock_metagpt.patch(server_client_or_dummy())
        airlock_metagpt.unpatch()
        self.assertFalse(airlock_metagpt.is_patched(cls))
        self.assertEqual(inspect.signature(cls.run_script), signatures["run_script"])
        self.assertNotIn("_airlock_originals", cls.__dict__)

    def test_import_hook(self):
        _, signatures = self.originals()
        _forget_metagpt()
        self.assertNotIn("metagpt.actions.run_code", sys.modules)
        airlock_metagpt.patch(server_client_or_dummy())
        self.assertNotIn("metagpt.actions.run_code", sys.modules, "patch() must not import MetaGPT")
        from metagpt.actions.run_code import RunCode  # the hook patches it here

        self.check_patched(RunCode, signatures)
        # The module is otherwise the real one, loaded by the real loader.
        mod = sys.modules["metagpt.actions.run_code"]
        self.assertEqual(os.path.dirname(mod.__file__), os.path.join(STANDIN, "metagpt", "actions"))
        self.assertIn("_install_via_subprocess", RunCode.__dict__)
        # Other modules load as usual.
        import metagpt.actions  # noqa: F401

        airlock_metagpt.unpatch()
        self.assertNotIn(True, [isinstance(f, airlock_metagpt._Finder) for f in sys.meta_path])

    def test_client_from_environment(self):
        saved = dict(os.environ)
        self.addCleanup(lambda: (os.environ.clear(), os.environ.update(saved)))
        os.environ.pop("AIRLOCK_TOKEN", None)
        with self.assertRaises(AuthError):
            airlock_metagpt.patch()
        os.environ["AIRLOCK_URL"] = "http://127.0.0.1:9"
        os.environ["AIRLOCK_TOKEN"] = "t"
        airlock_metagpt.patch()
        self.assertEqual(airlock_metagpt._client().url, "http://127.0.0.1:9")

    def test_environment_name(self):
        a = airlock_metagpt.environment_name("/work/projects/snake game!")
        b = airlock_metagpt.environment_name("/other/projects/snake game!")
        self.assertRegex(a, r"^metagpt-snake-game-[0-9a-f]{8}$")
        self.assertNotEqual(a, b)
        long = airlock_metagpt.environment_name("/x/" + "y" * 200)
        self.assertLessEqual(len(long), 64)
        self.assertRegex(airlock_metagpt.environment_name("/"), r"^metagpt-root-[0-9a-f]{8}$")


def server_client_or_dummy():
    """A client for tests that make no requests."""
    from airlock_client import Client

    return Client(os.environ.get("AIRLOCK_URL") or "http://127.0.0.1:9", os.environ.get("AIRLOCK_TOKEN") or "t")


class RunCodeTest(_Base):
    """The patched RunCode against a real server."""

    def setUp(self):
        super(RunCodeTest, self).setUp()
        self.client = server_client(self)
        airlock_metagpt.patch(self.client, timeout=20)
        from metagpt.actions import run_code

        self.run_code = run_code
        self.RunCode = run_code.RunCode
        run_code.INSTALL_LOG.clear()

    def cleanup_env(self, work):
        name = airlock_metagpt.environment_name(work)
        self.addCleanup(self.client.delete_environment, name, missing_ok=True)
        return name

    def test_typosquat_raises_with_the_finding(self):
        work = self.project({"requirements.txt": "reqeusts==2.31.0\n", "tests/test_x.py": "x = 1\n"})
        name = self.cleanup_env(work)
        with self.assertRaises(Denied) as cm:
            asyncio.run(self.RunCode().run_script(work, command=["python", "-m", "pytest", "tests/test_x.py"]))
        text = str(cm.exception)
        self.assertIn("typosquat: reqeusts looks like the popular project \"requests\"", text)
        self.assertIn('did you mean "requests"?', text)
        self.assertEqual([f.rule for f in cm.exception.findings], ["typosquat"])
        # No pip ran on the host, and nothing was installed.
        self.assertEqual(self.run_code.INSTALL_LOG, [])
        self.assertEqual(self.client.environment(name)["packages"], [])
        # The static method alone raises too (MetaGPT's own callers).
        with self.assertRaises(Denied):
            self.RunCode._install_requirements(work, dict(os.environ))

    def test_clean_project_installs_and_runs_in_the_sandbox(self):
        work = self.project({
            "requirements.txt": "# written by the model\nwebapp-kit>=1.0\n",
            "game/__init__.py": "",
            "game/logic.py": "import helper_lib\n\ndef score(n):\n    return n * 2\n\nLIB = helper_lib.__version__\n",
            "tests/test_logic.py": (
                "import os, sys, unittest\n"
                "from game.logic import score, LIB\n"
                "class T(unittest.TestCase):\n"
                "    def test_score(self):\n"
                "        self.assertEqual(score(21), 42)\n"
                "    def test_where(self):\n"
                "        print('cwd', os.getcwd(), 'lib', LIB, 'prefix-venv', sys.prefix.endswith('/venv'))\n"
                "        sys.stderr.write('to stderr\\n')\n"),
        })
        extra = tempfile.mkdtemp(prefix="metagpt-extra-")
        self.addCleanup(shutil.rmtree, extra)
        with open(os.path.join(extra, "extra_mod.py"), "w") as fh:
            fh.write("VALUE = 'extra'\n")
        with open(os.path.join(work, "tests", "test_extra.py"), "w") as fh:
            fh.write("import unittest, extra_mod\n"
                     "class E(unittest.TestCase):\n"
                     "    def test_extra(self):\n"
                     "        self.assertEqual(extra_mod.VALUE, 'extra')\n")
        name = self.cleanup_env(work)
        outs, errs = asyncio.run(self.RunCode().run_script(
            working_directory=work, additional_python_paths=[os.path.join(work, "game"), extra],
            command=["python", "-m", "pytest", "tests/test_logic.py", "tests/test_extra.py"]))
        self.assertIsInstance(outs, str)
        self.assertIsInstance(errs, str)
        self.assertIn("cwd /work lib 1.2 prefix-venv True", outs)
        self.assertIn("fake pytest: 3 test(s), 0 bad", outs)
        self.assertIn("to stderr", errs)
        # Everything came through vetted installs into the project's own
        # environment; pip never ran on the host.
        self.assertEqual(self.run_code.INSTALL_LOG, [])
        locked = sorted(p["name"] for p in self.client.environment(name)["packages"])
        self.assertEqual(locked, ["helper-lib", "pytest", "webapp-kit"])

        # A failing test is output, not an exception, as in MetaGPT.
        with open(os.path.join(work, "tests", "test_logic.py"), "a") as fh:
            fh.write("    def test_bad(self):\n        self.assertEqual(score(1), 3)\n")
        outs, errs = asyncio.run(self.RunCode().run_script(work, [], ["python", "-m", "pytest", "tests/test_logic.py"]))
        self.assertIn("fake pytest: 3 test(s), 1 bad", outs)
        # The sandbox has no network and cannot see the host's files.
        with open(os.path.join(work, "probe.py"), "w") as fh:
            fh.write("import os, socket\n"
                     "print('home visible', os.path.exists(%r))\n"
                     "try:\n"
                     "    socket.create_connection(('127.0.0.1', 22), timeout=1); print('net yes')\n"
                     "except OSError:\n"
                     "    print('net no')\n" % os.path.expanduser("~"))
        outs, errs = asyncio.run(self.RunCode().run_script(work, command=["python", "probe.py"]))
        self.assertIn("home visible False", outs)
        self.assertIn("net no", outs)

    def test_timeout_is_reported(self):
        airlock_metagpt.patch(self.client, timeout=1)
        work = self.project({"slow.py": "import time\nprint('started', flush=True)\ntime.sleep(30)\n"})
        self.cleanup_env(work)
        outs, errs = asyncio.run(self.RunCode().run_script(work, command=["python", "slow.py"]))
        self.assertIn("started", outs)
        self.assertIn("airlock: killed: wall-clock limit of 1s reached", errs)


if __name__ == "__main__":
    unittest.main()
