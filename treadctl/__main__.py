"""``python -m treadctl`` runs the command line."""

import sys

from treadctl.cli import entry

sys.exit(entry())
