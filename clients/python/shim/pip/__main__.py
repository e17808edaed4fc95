"""python -m pip: hands the command line to airlock pip."""

import sys

from pip import main

if __name__ == "__main__":
    sys.exit(main())
