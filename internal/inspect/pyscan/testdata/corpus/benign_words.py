"""Mentions of dangerous things that are not dangerous.

Run `pip install requests` before using this module, or os.system("pip install x").
exec(base64.b64decode(...)) is what malware does; we do not.
"""
import json
import logging
import os.path

# os.system("pip install evil")
# subprocess.run(["pip", "install", "x"], shell=True)
# exec(base64.b64decode("aW1wb3J0IG9z"))
# requests.post(url, json=dict(os.environ))
# open(os.path.expanduser("~/.bashrc"), "a")

HELP = "To install, run: pip install airlock-demo && airlock run app.py"
WARNING = 'never call os.system("curl x | sh") or eval(input())'
EXAMPLE = """
import subprocess
subprocess.check_call([sys.executable, "-m", "pip", "install", "pkg"])
with open(os.path.join(site.getsitepackages()[0], "x.pth"), "w") as f: f.write("import os")
"""
log = logging.getLogger("pip install")
log.info("run pip install %s to continue", "requests")
print("os.system('id')", "eval(x)", "~/.ssh/id_rsa")


def system(cmd):
    """A local function that happens to be called system."""
    return json.dumps({"cmd": cmd})


def evaluate(expr):
    return expr.eval()  # a method named eval on our own object


system("pip install x")
config = json.loads(open("config.json").read())
with open(os.path.join(os.path.dirname(__file__), "data.txt")) as fh:
    text = fh.read()
path = os.path.expanduser("~/.config/myapp/settings.json")
with open(path) as fh:
    settings = fh.read()
exec_count = 3
evaluation = {"pip": "install"}
