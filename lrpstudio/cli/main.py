"""Entry point of the ``lrpstudio`` console script.

Each sub-command lives in its own module under :mod:`lrpstudio.cli` and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a function
``run(args) -> int``. This module is the CLI's error boundary: a core
:class:`~lrpstudio.core.errors.LrpStudioError` becomes one line on stderr and the
error's exit code (2 bad input, 1 internal); an operating-system failure the core did
not name (full disk, permission, name too long) becomes one line naming its path and
what to do, exit code 2; anything else is an internal failure.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from lrpstudio import __version__
from lrpstudio.core.errors import LrpStudioError, storage_error

#: Sub-command name -> module under lrpstudio.cli. Order = order in --help.
SUBCOMMANDS: dict[str, str] = {
    "gui": "gui_cmd",
    "demo-data": "demo_data",
    "inspect": "inspect_cmd",
    "prepare": "prepare_cmd",
    "train": "train_cmd",
    "evaluate": "evaluate_cmd",
    "experiment": "experiment_cmd",
    "explain": "explain_cmd",
    "similar": "similar_cmd",
    "review": "review_cmd",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser, with every installed sub-command (or just ``only``).

    Parsing one command imports just that command's module: the others pull in torch,
    which costs seconds that ``lrpstudio inspect`` should not pay.
    """
    parser = argparse.ArgumentParser(
        prog="lrpstudio",
        description="Explanation-guided training on brain MRI: review and correct tumour "
        "masks, train with LRPLoss, compare models, inspect similar cases.",
        epilog="With no sub-command the desktop app starts: `lrpstudio [PATH]`.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lrpstudio {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        if only is not None and name != only:
            continue
        try:
            module = importlib.import_module(f"lrpstudio.cli.{module_name}")
        except ModuleNotFoundError as error:
            if error.name != f"lrpstudio.cli.{module_name}":
                raise
            continue  # a sub-command that is not part of this build
        module.register(subparsers)
    return parser


def _normalise(argv: list[str]) -> list[str]:
    """Make ``lrpstudio`` and ``lrpstudio PATH`` mean ``lrpstudio gui [PATH]``."""
    if not argv:
        return ["gui"]
    first = argv[0]
    if first in SUBCOMMANDS or first in ("-h", "--help", "--version"):
        return argv
    return ["gui", *argv]


def _tolerate_undecodable_names() -> None:
    """Let reports print file names that are not valid UTF-8.

    Python hands such names over as lone surrogates; a strict stdout would raise on
    them after all the work is done. They are printed as backslash escapes instead.
    """
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # a detached or closed stream: nothing to print to
            pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args_list = _normalise(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(only=args_list[0] if args_list[0] in SUBCOMMANDS else None)
    args = parser.parse_args(args_list)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    _tolerate_undecodable_names()
    try:
        return int(handler(args) or 0)
    except LrpStudioError as error:
        print(f"lrpstudio {args.command}: error: {error.message()}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        named = storage_error(error, action="read or write")
        print(f"lrpstudio {args.command}: error: {named.message()}", file=sys.stderr)
        return named.exit_code
    except KeyboardInterrupt:
        print(f"lrpstudio {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
