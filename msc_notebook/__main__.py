"""``python -m msc_notebook``: the ``msc-notebook`` command."""

import sys

from .frontends.terminal import main

sys.exit(main())
