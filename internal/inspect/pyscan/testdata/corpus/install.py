import os
import subprocess
import sys
import runpy

subprocess.check_call([sys.executable, "-m", "pip", "install", "requests==2.31.0"])  # want: AL101
subprocess.run(["pip3", "install", "--upgrade", "numpy"])  # want: AL101
subprocess.Popen("pip install pandas", shell=True)  # want: AL101
os.system("python3 -m pip install -q evil-package")  # want: AL101
os.popen("uv pip install httpx").read()  # want: AL101
subprocess.call(["uv", "add", "rich"])  # want: AL101
subprocess.call("conda install -y scipy", shell=True)  # want: AL101
os.system("easy_install six")  # want: AL101
subprocess.run(["sudo", "-H", "pip", "install", "flask"])  # want: AL101
subprocess.run("cd /tmp && pip install . && echo done", shell=True)  # want: AL101
os.execvp("pip", ["pip", "install", "x"])  # want: AL101
os.spawnlp(os.P_WAIT, "pip", "pip", "install", "x")  # want: AL101
subprocess.run(["/usr/bin/python3.11", "-m", "pip", "download", "torch"])  # want: AL101
subprocess.run(["bash", "-c", "pip install --user lxml"])  # want: AL101
subprocess.run(["pipx", "install", "black"])  # want: AL101
subprocess.run(["poetry", "add", "requests"])  # want: AL101
subprocess.run(["python", "setup.py", "install"])  # want: AL101

import pip
pip.main(["install", "colorama"])  # want: AL102
from pip._internal.cli.main import main as pip_main
pip_main(["install", "termcolor"])  # want: AL102
from pip._internal import main as internal_main
internal_main(["install", "x"])  # want: AL102

from pip._internal.commands import create_command
install_cmd = create_command("install")
install_cmd.main(["requests"])  # want: AL102

runpy.run_module("pip", run_name="__main__")  # want: AL103
runpy._run_module_as_main("pip")  # want: AL103

# Not installs: these run pip for information only, or other programs.
subprocess.run(["pip", "list"])  # want: AL203
subprocess.run(["pip", "--version"])  # want: AL203
