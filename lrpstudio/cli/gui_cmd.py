"""``lrpstudio gui [PATH] [--screenshot OUT.png] [--workspace WS]``: the desktop app.

Qt is imported inside :func:`run` only, so ``lrpstudio --help`` and every other command
work on a machine without a display or without Qt libraries.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lrpstudio.core.errors import InputError

HELP = "open the desktop app (default when no command is given)"
DESCRIPTION = """\
Open the desktop app on a BraTS folder or an lrpstudio workspace. Without PATH the
folder opened last is reopened; on the first launch the built-in demo data is opened
(generated into your data folder on first use, which takes a minute or more).

Display: radiological convention (patient left on screen right), labelled in every view.
Edits are journaled to the workspace within two seconds; after a crash the next launch
offers to restore them. Help > Keyboard shortcuts (F1) lists every key.

examples:
  lrpstudio gui                                  # last folder (first launch: demo data)
  lrpstudio gui ~/data/MICCAI_BraTS2020_TrainingData
  lrpstudio gui ~/data/BraTS2021 --workspace ~/ws/brats21
  lrpstudio gui ~/data/BraTS2021/.lrpstudio      # reopen a workspace
  lrpstudio gui ~/data/BraTS2021 --screenshot main.png   # render and exit
  lrpstudio --self-test --report selftest.json   # check this installation, offscreen
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``gui`` sub-command."""
    parser = subparsers.add_parser("gui", help=HELP, description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", type=Path, default=None,
                        help="a BraTS data folder or a workspace folder (default: the last one opened, "
                             "or the demo data)")
    parser.add_argument("--screenshot", type=Path, default=None, metavar="OUT.png",
                        help="render the main window with the first case open to OUT.png and exit")
    parser.add_argument("--workspace", type=Path, default=None, metavar="WS",
                        help="workspace folder for corrections, review status and recovery "
                             "(default: <data>/.lrpstudio, or a per-user folder if read-only)")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation end to end (offscreen window, demo case, paint, "
                             "undo, save/reload, one LRPLoss step, one heatmap); exit 0 if all pass")
    parser.add_argument("--report", type=Path, default=None, metavar="FILE",
                        help="with --self-test: write the JSON report to FILE")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the GUI (imports Qt lazily)."""
    if getattr(args, "self_test", False):
        from lrpstudio.gui.shell.selftest import run_self_test  # offscreen; Qt is loaded only here

        return run_self_test(args.report)
    if getattr(args, "report", None) is not None:
        raise InputError("--report needs --self-test", args.report)
    if args.path is not None and not args.path.exists():
        raise InputError("folder does not exist", args.path)
    from lrpstudio.gui.shell.launch import run_gui  # Qt is loaded only here

    return run_gui(args.path, args.screenshot, args.workspace)
