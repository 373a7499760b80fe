"""The `kiosk` command's headless half: argument parsing and the core subcommands.

Each area adds its own subcommands from a `commands.py` with `register(subparsers)`, so this
file does not grow with every feature. Module imports here must stay cheap (no models).
The console script itself is `ui.launcher:main`, which adds the Qt commands and opens the
window when no subcommand is given; `kiosk/` never imports the UI.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk import __version__

log = logging.getLogger(__name__)

AREA_COMMANDS: tuple[str, ...] = (
    "kiosk.models_cmd",
    "kiosk.selftest",
    "kiosk.vision.commands",
    "kiosk.idcard.commands",
    "kiosk.store.commands",
    "kiosk.sync.commands",
    "kiosk.staff.commands",
    "kiosk.staff.console_commands",
    "kiosk.journey.commands",
    "kiosk.deploy.commands",
    "kiosk.camera.commands",
)


def add_gui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--windowed", action="store_true", help="a window instead of fullscreen")
    parser.add_argument("--camera", metavar="INDEX|FILE|DIR",
                        help="webcam index, a video file or a folder of images to replay")
    parser.add_argument("--no-supervisor", action="store_true",
                        help="run the UI in this process (development)")
    parser.add_argument("--reader-sim", metavar="CARD.json", type=Path,
                        help="demo: a simulated SAM-V chip reader on a pseudo-terminal, "
                        "holding this card (save the file again to lift and lay it)")


def build_parser(extra: Sequence[Callable[[argparse._SubParsersAction], None]] = ()
                 ) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk", description="安心认证 — offline pension eligibility certification kiosk")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    add_gui_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in AREA_COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue          # that area has no commands yet
            raise
        module.register(sub)
    for register in extra:
        register(sub)
    return parser


def utf8_stdio(*streams: object) -> None:
    """Chinese output never crashes a command: a pipe or file on a Windows machine whose
    code page is not Chinese (cp1252 on an English Windows, as under Wine here) could not
    encode a selftest reason and raised UnicodeEncodeError. Pipes and files get UTF-8 (what
    the installer's checks and `--json` readers expect); a console keeps its code page and
    shows '?' for what it cannot draw."""
    for stream in streams or (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding in ("utf8", "utf8sig") or not hasattr(stream, "reconfigure"):
            continue
        try:
            tty = stream.isatty()  # type: ignore[attr-defined]
        except (OSError, ValueError):
            tty = False
        if tty:
            stream.reconfigure(errors="replace")  # type: ignore[attr-defined]
        else:
            stream.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]


def run(args: argparse.Namespace) -> int:
    """Run a parsed subcommand; returns the process exit code."""
    utf8_stdio()
    func = getattr(args, "func", None)
    if func is None:
        return 2
    try:
        result = func(args)
    except Exception as exc:  # a store that must not be used: plain words, no traceback
        from kiosk.store.integrity import plain_store_error
        message = plain_store_error(exc)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 3
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Headless entry (no GUI): `python -m kiosk.cli selftest` works without Qt installed."""
    from kiosk.logs import quiet_third_party, setup_logging

    quiet_third_party()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    setup_logging()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
