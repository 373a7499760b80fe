"""The malloc arena cap that keeps a long-running kiosk's RSS flat."""

from __future__ import annotations

import sys

import pytest

from kiosk.deploy.memory import limit_malloc_arenas


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_arena_cap_applies_on_linux() -> None:
    assert limit_malloc_arenas(2) is True


def test_launcher_applies_it_before_any_thread_starts() -> None:
    from pathlib import Path

    source = Path(__file__).resolve().parents[2].joinpath("ui", "launcher.py").read_text()
    main_body = source[source.index("def main("):]
    assert main_body.index("limit_malloc_arenas()") < main_body.index("parser.parse_args")
