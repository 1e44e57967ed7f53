"""``python -m culturamap``: the same as the ``culturamap`` command."""

import sys

from culturamap.cli import main

sys.exit(main())
