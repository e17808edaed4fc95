"""airlock_client.Client against a real `airlock serve` (see helpers.server_client)."""

import os
import shutil
import tempfile
import unittest

from airlock_client import (AirlockError, AuthError, BadRequest, Client, Conflict, Denied, NotFound, Report,
                            collect_files)

from .helpers import server_client, unique


class CheckTest(unittest.TestCase):
    def setUp(self):
        self.client = server_client(self)

    def test_typosquat_denied_with_finding(self):
        rep = self.client.check(["reqeusts==2.31.0", "helper-lib==1.2"])
        self.assertIsInstance(rep, Report)
        self.assertEqual(rep.decision, "deny")
        self.assertFalse(rep.allowed)
        self.assertEqual(rep.summary, {"allow": 1, "deny": 1, "review": 0})
        rules = [(f.subject, f.rule, f.action) for f in rep.findings]
        self.assertIn(("reqeusts==2.31.0", "typosquat", "deny"), rules)
        typo = [f for f in rep.findings if f.rule == "typosquat"][0]
        self.assertEqual(typo.similar_to, "requests")
        self.assertIn('did you mean "requests"?', str(typo))
        with self.assertRaises(Denied) as cm:
            rep.raise_for_decision()
        text = str(cm.exception)
        self.assertIn("reqeusts==2.31.0: typosquat: reqeusts looks like the popular project", text)
        self.assertIn('(suggestion: did you mean "requests"?)', text)
        self.assertIn("Change the requirements", text)

    def test_text_with_options(self):
        rep = self.client.check("--index-url http://elsewhere.example/simple/\nhelper-lib==1.2\n")
        self.assertEqual(rep.decision, "deny")
        self.assertEqual([f.rule for f in rep.findings], ["index-option"])
        self.assertTrue(rep.notes, "the server notes that no advisory data is loaded")

    def test_allowed(self):
        rep = self.client.check(["helper-lib>=1"])
        self.assertTrue(rep.allowed)
        self.assertIs(rep.raise_for_decision(), rep)

    def test_empty_request_is_refused_here(self):
        with self.assertRaises(BadRequest):
            self.client.check([])


class EnvironmentTest(unittest.TestCase):
    def setUp(self):
        self.client = server_client(self)
        self.name = unique("client")
        self.client.create_environment(self.name)
        self.addCleanup(self.client.delete_environment, self.name, missing_ok=True)

    def test_lifecycle(self):
        with self.assertRaises(Conflict):
            self.client.create_environment(self.name)
        again = self.client.create_environment(self.name, exist_ok=True)
        self.assertEqual(again["name"], self.name)
        self.assertEqual(again["packages"], [])
        self.assertIn(self.name, [e["name"] for e in self.client.environments()])
        self.client.delete_environment(self.name)
        with self.assertRaises(NotFound):
            self.client.environment(self.name)
        self.client.delete_environment(self.name, missing_ok=True)
        with self.assertRaises(BadRequest):
            self.client.create_environment("../escape")

    def test_install_run_and_files(self):
        # A typosquat: refused before anything is fetched; nothing changes.
        with self.assertRaises(Denied) as cm:
            self.client.install(self.name, ["reqeusts==2.31.0"])
        err = cm.exception
        self.assertEqual([f.rule for f in err.findings], ["typosquat"])
        self.assertEqual(err.result.outcome, "denied")
        self.assertIn('did you mean "requests"?', str(err))
        self.assertIn("Nothing was installed", str(err))
        res = self.client.install(self.name, ["reqeusts==2.31.0"], raise_on_refusal=False)
        self.assertEqual(res.outcome, "denied")
        self.assertEqual(self.client.environment(self.name)["packages"], [])

        # A clean install, with its dependency, from the test index.
        res = self.client.install(self.name, "webapp-kit>=1.0\n")
        self.assertTrue(res.ok)
        self.assertEqual(res.outcome, "installed")
        self.assertEqual(sorted(res.installed), [("helper-lib", "1.2"), ("webapp-kit", "1.0")])
        locked = {p["name"]: p for p in self.client.environment(self.name)["packages"]}
        self.assertEqual(sorted(locked), ["helper-lib", "webapp-kit"])
        self.assertEqual(locked["helper-lib"]["path"], ["webapp-kit 1.0", "helper-lib 1.2"])
        self.assertEqual(self.client.install(self.name, ["helper-lib"]).outcome, "unchanged")

        # A run with the files of a directory; written files come back.
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        os.makedirs(os.path.join(work, "pkg"))
        os.makedirs(os.path.join(work, "__pycache__"))
        with open(os.path.join(work, "main.py"), "w") as fh:
            fh.write("import helper_lib, pkg.data as d\n"
                     "print('helper', helper_lib.__version__, d.VALUE)\n"
                     "open('blob.bin', 'wb').write(bytes(range(256)))\n")
        with open(os.path.join(work, "pkg", "__init__.py"), "w") as fh:
            fh.write("")
        with open(os.path.join(work, "pkg", "data.py"), "w") as fh:
            fh.write("VALUE = 42\n")
        with open(os.path.join(work, "__pycache__", "junk.pyc"), "wb") as fh:
            fh.write(b"\x00junk")
        os.symlink("/etc/passwd", os.path.join(work, "leak"))
        self.assertEqual(sorted(collect_files(work)), ["main.py", "pkg/__init__.py", "pkg/data.py"])
        run = self.client.run(self.name, ["python", "main.py"], files=work)
        self.assertEqual((run.exit_code, run.reason), (0, "exited"), run.stderr)
        self.assertTrue(run.ok)
        self.assertEqual(run.stdout, "helper 1.2 42\n")
        self.assertEqual(run.files.get("blob.bin"), bytes(range(256)))
        self.assertNotIn("main.py", run.files, "unchanged files are not returned")

        dest = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, dest)
        written = run.write_files(dest)
        self.assertEqual(len(written), len(run.files))
        with open(os.path.join(dest, "blob.bin"), "rb") as fh:
            self.assertEqual(fh.read(), bytes(range(256)))

        # code=, a mapping of files, stdin and environment variables.
        run = self.client.run(self.name, code="import sys, os; print(sys.stdin.read().upper(), os.environ['X'])",
                              stdin="hi", environ={"X": "y"}, files={"a.txt": "text"})
        self.assertEqual(run.stdout, "HI y\n")
        # A shell string; a failing command is a result, not an exception.
        run = self.client.run(self.name, "echo out; echo err >&2; exit 3")
        self.assertEqual((run.exit_code, run.stdout, run.stderr), (3, "out\n", "err\n"))
        self.assertFalse(run.ok)
        # No network in the sandbox.
        run = self.client.run(self.name, code="import socket\n"
                                               "try:\n"
                                               "    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
                                               "    print('connected')\n"
                                               "except OSError as e:\n"
                                               "    print('no network')\n")
        self.assertEqual(run.stdout, "no network\n")
        # The sandbox's limits stop a runaway command, and say why.
        run = self.client.run(self.name, code="import time; time.sleep(30)", timeout=1)
        self.assertEqual(run.reason, "timeout")
        self.assertIn("wall-clock limit", run.explanation)

        with self.assertRaises(BadRequest):
            self.client.run(self.name)
        with self.assertRaises(BadRequest) as cm:
            self.client.run(self.name, ["true"], timeout=24 * 3600)
        self.assertIn("timeout_seconds", str(cm.exception))
        with self.assertRaises(NotFound):
            self.client.run(unique("missing"), ["true"])

    def test_write_files_refuses_escapes(self):
        from airlock_client import RunResult

        dest = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, dest)
        for bad in ("../x", "/etc/x", "a/../../x"):
            res = RunResult({"result": {"exit_code": 0, "reason": "exited"}, "files": [{"path": bad, "content": "x"}]})
            with self.assertRaises(AirlockError):
                res.write_files(dest)
        self.assertEqual(os.listdir(dest), [])


class AuthTest(unittest.TestCase):
    def test_bad_token(self):
        good = server_client(self)
        bad = Client(good.url, "alk_not-a-real-token")
        with self.assertRaises(AuthError) as cm:
            bad.check(["helper-lib"])
        self.assertEqual(cm.exception.status, 401)
        self.assertEqual(cm.exception.code, "unauthenticated")
        self.assertIn("AIRLOCK_TOKEN", str(cm.exception))

    def test_missing_token(self):
        env = dict(os.environ)
        try:
            os.environ.pop("AIRLOCK_TOKEN", None)
            with self.assertRaises(AuthError):
                Client("http://127.0.0.1:1")
        finally:
            os.environ.clear()
            os.environ.update(env)

    def test_scope(self):
        # The test token has check, install and run, not admin.
        client = server_client(self)
        with self.assertRaises(AuthError) as cm:
            client._call("GET", "/v1/audit")
        self.assertEqual(cm.exception.status, 403)

    def test_bad_urls(self):
        for url in ("ftp://host/", "localhost:8470", "http://user:pw@host/"):
            with self.assertRaises(AirlockError):
                Client(url, "t")


if __name__ == "__main__":
    unittest.main()
