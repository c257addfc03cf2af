"""Train a handwritten-digit recogniser on MNIST: ``python trainer.py --help``."""

import sys

from digits.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
