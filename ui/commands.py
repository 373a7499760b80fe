"""Subcommands that need Qt: registered next to the core ones by the launcher."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Each Qt area adds its commands here (screenshots, staff-console)."""
    for name in ("ui.screenshots_cmd", "ui.staff.commands"):
        try:
            module = __import__(name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue
            raise
        module.register(sub)
