# STAND-IN, NOT METAGPT: see run_code.py.
