import os
import subprocess
import importlib

def run(user_input, name):
    subprocess.run("ls " + user_input, shell=True)  # want: AL201
    subprocess.run("ls -l", shell=True)  # want: AL201
    os.system("echo hello")  # want: AL201
    os.system(user_input)  # want: AL201
    subprocess.run(["ls", "-l", user_input])  # want: AL203
    subprocess.check_output(["git", "status"])  # want: AL203
    eval(user_input)  # want: AL204
    exec(compile(user_input, "<x>", "exec"))  # want: AL204
    eval("1 + 2")
    exec("x = 1")
    __import__(name)  # want: AL205
    importlib.import_module("plugins." + name)  # want: AL205
    importlib.import_module("json")
    os.execv("/bin/ls", ["ls"])  # want: AL203
    import pty
    pty.spawn("/bin/bash")  # want: AL203
