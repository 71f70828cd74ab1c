"""``python -m cli``: the command line without the desktop app."""

import sys

from cli.main import main

sys.exit(main())
