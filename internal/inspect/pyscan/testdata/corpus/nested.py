import os
import subprocess

exec("import os\nos.system('pip install nested-a')")  # want: AL101
eval(compile("__import__('subprocess').run(['pip','install','b'])", "<s>", "exec"))  # want: AL101 AL304
subprocess.run(["python3", "-c", "import pip; pip.main(['install', 'c'])"])  # want: AL102
subprocess.run(["sh", "-c", "cd /tmp; uv pip install d"])  # want: AL101
os.system("bash -c 'sh -c \"pip install e\"'")  # want: AL101
exec("exec(\"__import__('os').system('pip install f')\")")  # want: AL101 AL304
