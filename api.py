"""Serve the digit reader at http://localhost:8001: ``python api.py --help``."""

import sys

from digits.cli.serve import main

if __name__ == "__main__":
    sys.exit(main())
