"""The `kiosk` console script: subcommands run headless; no subcommand opens the window."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from kiosk.cli import build_parser, run
    from kiosk.logs import quiet_third_party, setup_logging
    from ui.commands import register as register_ui

    quiet_third_party()
    parser = build_parser(extra=[register_ui])
    parser.add_argument("--quit-after", type=float, help=argparse_hidden())
    args = parser.parse_args(argv)
    setup_logging()
    if args.command is not None:
        return run(args)
    from ui.app import run_app

    return run_app(args)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())
