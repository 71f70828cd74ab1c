"""``python -m gui``: same as the ``federator`` command."""

import sys

from gui.launch import main

sys.exit(main())
