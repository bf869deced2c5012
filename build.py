#!/usr/bin/env python3
"""Build this repository's study guide (content/ into output/). See README.md, or run:
python build.py --help. Any other book: the installed ``studyguide`` command."""
import sys
from pathlib import Path

from studyguide.cli import script

if __name__ == "__main__":
    sys.exit(script(Path(__file__).resolve().parent))
