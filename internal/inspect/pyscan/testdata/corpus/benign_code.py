"""Ordinary code: HTTP calls, files, literal eval, imports by name."""
import ast
import base64
import hashlib
import importlib
import os
import tempfile

import requests

API = os.environ.get("SERVICE_URL", "https://api.example.invalid")
TOKEN = os.environ.get("SERVICE_TOKEN")


def fetch(item):
    r = requests.get(API + "/items/" + item, headers={"Authorization": "Bearer " + TOKEN}, timeout=10)
    r.raise_for_status()
    return r.json()


def save(data, name):
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        f.write(data)
    with open(os.path.join("out", name), "w") as out:
        out.write(data)


def parse(text):
    return ast.literal_eval(text)


def digest(blob):
    return hashlib.sha256(base64.b64decode(blob)).hexdigest()


json_mod = importlib.import_module("json")
home = os.path.expanduser("~")
cache = os.path.join(home, ".cache", "myapp")
os.makedirs(cache, exist_ok=True)
with open(os.path.join(cache, "index.json"), "w") as f:
    f.write("{}")
value = eval("2 ** 10")
exec("result = value * 2")
