"""``python -m skill``: the local command line (see ``skill.tools.cli``)."""

import sys

from skill.tools.cli import main

sys.exit(main())
