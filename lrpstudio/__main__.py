"""``python -m lrpstudio``: the desktop app when no sub-command is given."""

import multiprocessing
import sys

from lrpstudio.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen bundle re-enters here in worker processes
    sys.exit(main())
