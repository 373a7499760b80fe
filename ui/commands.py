"""Subcommands that need Qt: registered next to the core ones by the launcher."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Each Qt area adds its commands here (screenshots, staff-console, report, slip)."""
    from ui import screenshots_cmd
    from ui.staff import commands as staff_commands

    screenshots_cmd.register(sub)
    staff_commands.register(sub)
