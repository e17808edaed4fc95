"""The pip shims: bin/pip and bin/pip3 on PATH, and the pip package shim
(shim/) first on PYTHONPATH for python -m pip."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from .helpers import CLIENT_DIR, server_client, unique

SHIM = os.path.join(CLIENT_DIR, "shim")
BIN = os.path.join(CLIENT_DIR, "bin")
PYTHON = "/usr/bin/python3"


class ShimTest(unittest.TestCase):
    """The shims hand pip's command line to `airlock pip` unchanged."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.fake = os.path.join(self.dir, "fake-airlock")
        with open(self.fake, "w") as fh:
            fh.write("#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\necho\nexit 7\n")
        os.chmod(self.fake, 0o755)

    def env(self, **more):
        env = {"PATH": BIN + ":/usr/bin:/bin", "AIRLOCK_BIN": self.fake, "PYTHONPATH": SHIM, "LANG": "C.UTF-8"}
        env.update(more)
        return env

    def run_cmd(self, argv, env):
        return subprocess.run(argv, env=env, cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=60)

    def test_python_m_pip(self):
        p = self.run_cmd([PYTHON, "-m", "pip", "install", "-r", "requirements.txt", "a b"], self.env())
        self.assertEqual(p.returncode, 7, p.stderr)
        self.assertEqual(p.stdout, "[pip][install][-r][requirements.txt][a b]\n")

    def test_pip_main(self):
        code = "import pip, sys; sys.exit(pip.main(['install', 'x']))"
        p = self.run_cmd([PYTHON, "-c", code], self.env())
        self.assertEqual((p.returncode, p.stdout), (7, "[pip][install][x]\n"))

    def test_pip_on_path(self):
        for prog in ("pip", "pip3"):
            p = self.run_cmd(["sh", "-c", prog + " --no-cache-dir install 'requests>=2'"], self.env())
            self.assertEqual(p.returncode, 7, p.stderr)
            self.assertEqual(p.stdout, "[pip][--no-cache-dir][install][requests>=2]\n")

    def test_missing_airlock(self):
        p = self.run_cmd([PYTHON, "-m", "pip", "install", "x"], self.env(AIRLOCK_BIN=os.path.join(self.dir, "none")))
        self.assertEqual(p.returncode, 4)
        self.assertIn("pip is routed through airlock here", p.stderr)
        self.assertIn("nothing was installed", p.stderr)


class RealShimTest(unittest.TestCase):
    """python -m pip through the shim, with the real airlock binary, on an
    environment of the test server's data directory."""

    def test_freeze_and_refusal(self):
        client = server_client(self)
        binary, home = os.environ.get("AIRLOCK_BIN"), os.environ.get("AIRLOCK_HOME")
        if not binary or not home:
            self.fail("AIRLOCK_BIN and AIRLOCK_HOME must be set with the test server")
        name = unique("shim")
        client.create_environment(name)
        self.addCleanup(client.delete_environment, name, missing_ok=True)
        client.install(name, ["helper-lib==1.2"])
        env = dict(os.environ, PYTHONPATH=SHIM, AIRLOCK_ENV=name)
        p = subprocess.run([PYTHON, "-m", "pip", "freeze"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (0, "helper-lib==1.2\n"), p.stderr)
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        with open(os.path.join(work, "requirements.txt"), "w") as fh:
            fh.write("reqeusts==2.31.0\n")
        p = subprocess.run([PYTHON, "-m", "pip", "install", "-r", "requirements.txt"], env=env, cwd=work,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("ERROR: airlock refused the install into %s" % name, p.stderr)
        self.assertIn('did you mean "requests"?', p.stderr)
        p = subprocess.run([PYTHON, "-m", "pip", "uninstall", "-y", "helper-lib"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn("pip uninstall is not available through airlock", p.stderr)


if __name__ == "__main__":
    unittest.main()
