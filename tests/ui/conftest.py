"""Fixtures for the Qt tests: the styled application and the staff tests' store."""

from __future__ import annotations

import pytest
from staff_store import store  # noqa: F401 - the fixture


@pytest.fixture()
def app(qapp):
    """The kiosk's QApplication, styled as the kiosk styles it."""
    from ui.qt_app import make_app
    return make_app()
