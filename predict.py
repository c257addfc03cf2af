"""Read the digits in many pictures at once: ``python predict.py --help``."""

import sys

from digits.cli.predict import main

if __name__ == "__main__":
    sys.exit(main())
