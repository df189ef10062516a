"""Entry script of the frozen lrpstudio bundle (PyInstaller analyses this file).

It does three things before handing over to the CLI, in this order:

1. ``multiprocessing.freeze_support()``: a frozen app that starts a worker process
   re-executes itself; this call turns that re-execution into the worker.
2. A windowed build (Windows ``console=False``, macOS .app) starts with ``sys.stdout``
   and ``sys.stderr`` set to None; anything that prints (argparse, tqdm, warnings) would
   then crash. Both are pointed at ``console.log`` in the user's log folder instead.
3. ``lrpstudio.cli.main.main()``: with no arguments the desktop app, otherwise any
   sub-command or ``--self-test``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path
from typing import TextIO

CONSOLE_LOG = "console.log"


def log_folder() -> Path:
    """The user's lrpstudio log folder (the same one the GUI logs to)."""
    from lrpstudio.core.paths import user_log_dir

    return user_log_dir()


def ensure_streams(folder: Path | None = None) -> Path | None:
    """Point ``sys.stdout``/``sys.stderr`` at a log file where they are None.

    Parameters
    ----------
    folder
        Where the log goes (default: :func:`log_folder`).

    Returns
    -------
    Path or None
        The log file used, or None when both streams existed already.
    """
    if sys.stdout is not None and sys.stderr is not None:
        return None
    folder = folder or log_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / CONSOLE_LOG
        stream: TextIO = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives as long as the app
    except OSError:
        path, stream = Path(os.devnull), open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stdout is None:
        sys.stdout = stream
    if sys.stderr is None:
        sys.stderr = stream
    return path


def main() -> int:
    """Run lrpstudio as the frozen app does."""
    multiprocessing.freeze_support()
    ensure_streams()
    from lrpstudio.cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
