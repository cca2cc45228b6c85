"""``python -m simulators``: run the simulated treadmill on its own (see ``--help``)."""

from __future__ import annotations

import sys

from simulators.cli import standalone

if __name__ == "__main__":
    sys.exit(standalone(sys.argv[1:]))
