#!/usr/bin/env python3
"""Build the study guide. See README.md, or run: python build.py --help"""
import sys

from studyguide.cli import main

if __name__ == "__main__":
    sys.exit(main())
