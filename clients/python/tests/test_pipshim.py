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
SANDBOX_BIN = os.path.join(CLIENT_DIR, "sandbox-bin")
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

    def test_sandboxed_python(self):
        env = self.env(PATH=SANDBOX_BIN + ":/usr/bin:/bin", AIRLOCK_ENV="job", AIRLOCK_RUN_TIMEOUT="30s")
        script = os.path.join(os.path.realpath(self.dir), "tmp_code_1.py")
        p = self.run_cmd(["python", script, "--flag", "/etc/hosts"], env)
        self.assertEqual(p.returncode, 7, p.stderr)
        self.assertEqual(p.stdout, "[run][--env][job][--workdir][%s][--timeout][30s][--][python][tmp_code_1.py]"
                                   "[--flag][/etc/hosts]\n" % os.path.realpath(self.dir))
        for argv in (["python3", "-m", "pip", "install", "x"], ["pip", "install", "x"]):
            p = self.run_cmd(argv, env)
            self.assertEqual((p.returncode, p.stdout), (7, "[pip][install][x]\n"), argv)
        del env["AIRLOCK_ENV"]
        p = self.run_cmd(["python", "x.py"], env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("set AIRLOCK_ENV", p.stderr)

    def test_missing_airlock(self):
        p = self.run_cmd([PYTHON, "-m", "pip", "install", "x"], self.env(AIRLOCK_BIN=os.path.join(self.dir, "none")))
        self.assertEqual(p.returncode, 4)
        self.assertIn("pip is routed through airlock here", p.stderr)
        self.assertIn("nothing was installed", p.stderr)

    def test_missing_airlock_shell_shims(self):
        for binary in (os.path.join(self.dir, "none"), "airlock-not-on-path"):
            for shim in (os.path.join(BIN, "pip"), os.path.join(BIN, "pip3"), os.path.join(SANDBOX_BIN, "pip")):
                p = self.run_cmd([shim, "install", "x"], self.env(AIRLOCK_BIN=binary))
                self.assertEqual(p.returncode, 4, (shim, binary, p.stderr))
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

        # sandbox-bin's python: an executor's script runs in the sandbox with
        # the environment, and what it writes lands in the work directory.
        with open(os.path.join(work, "tmp_code_1.py"), "w") as fh:
            fh.write("import os, sys, helper_lib\n"
                     "print(os.getcwd(), helper_lib.__version__, sys.prefix.endswith('/venv'), sys.argv[1:])\n"
                     "open('made.txt', 'w').write('yes')\n")
        env["PATH"] = SANDBOX_BIN + ":" + env.get("PATH", "/usr/bin:/bin")
        p = subprocess.run(["python", os.path.join(os.path.realpath(work), "tmp_code_1.py"), "arg"], env=env,
                           cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "/work 1.2 True ['arg']\n")
        with open(os.path.join(work, "made.txt")) as fh:
            self.assertEqual(fh.read(), "yes")


if __name__ == "__main__":
    unittest.main()
