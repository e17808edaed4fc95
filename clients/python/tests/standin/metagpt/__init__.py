# STAND-IN, NOT METAGPT. A minimal package that reproduces only what
# airlock_client.metagpt patches; see actions/run_code.py. MetaGPT itself
# cannot be installed on the machines that run these tests.
