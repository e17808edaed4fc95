# STAND-IN, NOT METAGPT.
#
# This module reproduces the signatures and the call pattern of RunCode in
# MetaGPT's metagpt/actions/run_code.py at commit 1dfce070 (June 2025), so
# that airlock_client.metagpt can be tested where MetaGPT cannot be
# installed. It is written for these tests; it holds none of MetaGPT's
# prompts, its Action base class, its context or its logging. What it keeps:
#
#   - async run_script(self, working_directory, additional_python_paths=[],
#     command=[]) -> Tuple[str, str]: copies the environment, puts the
#     working directory and the additional paths first on PYTHONPATH, calls
#     the static RunCode._install_dependencies(working_directory=..., env=env),
#     then runs subprocess.Popen(command, cwd=working_directory, env=env) with
#     a 10-second timeout (killing the process when it runs over) and returns
#     the decoded (stdout, stderr);
#   - _install_dependencies calls RunCode._install_requirements(working_directory,
#     env) and RunCode._install_pytest(working_directory, env), both static;
#   - _install_requirements runs "python -m pip install -r requirements.txt"
#     when requirements.txt exists and is not empty, _install_pytest "python -m
#     pip install pytest", both through subprocess.run(..., check=True,
#     cwd=working_directory, env=env) wrapped so that a CalledProcessError is
#     logged and swallowed (MetaGPT's handle_exception decorator).
#
# The tests never let the unpatched methods run pip: they patch first, or
# call only what they patched.
import logging
import os
import subprocess
from pathlib import Path
from typing import Tuple

logger = logging.getLogger("metagpt.standin")

INSTALL_LOG = []  # what the unpatched installers would have run


def _swallow_called_process_error(func):
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except subprocess.CalledProcessError as e:
            logger.error("%s failed: %s", func.__name__, e)
            return None

    return wrapper


class RunCode(object):
    name = "RunCode"

    async def run_script(self, working_directory, additional_python_paths=[], command=[]) -> Tuple[str, str]:
        working_directory = str(working_directory)
        additional_python_paths = [str(path) for path in additional_python_paths]
        env = os.environ.copy()
        paths = ":".join([working_directory] + additional_python_paths)
        env["PYTHONPATH"] = paths + ":" + env.get("PYTHONPATH", "")
        RunCode._install_dependencies(working_directory=working_directory, env=env)
        process = subprocess.Popen(command, cwd=working_directory, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env)
        try:
            stdout, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        return stdout.decode("utf-8"), stderr.decode("utf-8")

    @staticmethod
    @_swallow_called_process_error
    def _install_via_subprocess(cmd, check, cwd, env):
        INSTALL_LOG.append(list(cmd))
        return subprocess.run(cmd, check=check, cwd=cwd, env=env)

    @staticmethod
    def _install_requirements(working_directory, env):
        file_path = Path(working_directory) / "requirements.txt"
        if not file_path.exists():
            return
        if file_path.stat().st_size == 0:
            return
        RunCode._install_via_subprocess(["python", "-m", "pip", "install", "-r", "requirements.txt"],
                                        check=True, cwd=working_directory, env=env)

    @staticmethod
    def _install_pytest(working_directory, env):
        RunCode._install_via_subprocess(["python", "-m", "pip", "install", "pytest"],
                                        check=True, cwd=working_directory, env=env)

    @staticmethod
    def _install_dependencies(working_directory, env):
        RunCode._install_requirements(working_directory, env)
        RunCode._install_pytest(working_directory, env)
