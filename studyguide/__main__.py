"""``python -m studyguide``: the ``studyguide`` command."""
import sys

from .cli import main

sys.exit(main())
