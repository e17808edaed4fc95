import subprocess as sp
from os import system as s
from subprocess import *
import importlib
import os

sp.check_call(["pip", "install", "a"])  # want: AL101
s("pip install b")  # want: AL101
x = os.system
x("pip install c")  # want: AL101
call(["pip", "install", "d"])  # want: AL101

cmd = "pi" + "p ins" + "tall e"
os.system(cmd)  # want: AL101
cmd2 = "pip"
cmd2 += " install"
cmd2 += " f"
os.system(cmd2)  # want: AL101
os.system("%s install %s" % ("pip", "g"))  # want: AL101
os.system("{} install {}".format("pip", "h"))  # want: AL101
os.system(" ".join(["pip", "install", "i"]))  # want: AL101
os.system("i llatsni pip"[::-1])  # want: AL101
tool = "pip"
os.system(f"{tool} install j")  # want: AL101
parts = ["p", "i", "p"]
os.system("".join(parts) + " install k")  # want: AL101

getattr(os, "sys" + "tem")("pip install l")  # want: AL101 AL304
__import__("os").system("pip install m")  # want: AL101 AL304
importlib.import_module("subprocess").run(["pip", "install", "n"])  # want: AL101 AL304
f = getattr(__import__("o" + "s"), "popen")  # want: AL304
f("pip install o")  # want: AL101 AL304
import sys
sys.modules["os"].system("pip install p")  # want: AL101 AL304
os.__dict__["system"]("pip install q")  # want: AL101 AL304
a, b = "pip", "install"
os.system(a + " " + b + " r")  # want: AL101
os.system(chr(112) + chr(105) + chr(112) + chr(32) + "install s")  # want: AL101 AL302
import string
os.system(string.ascii_lowercase[15] + "ip install t")  # want: AL101


def helper():
    runner = sp.run
    runner(["pip", "install", "u"])  # want: AL101
