"""Fixtures the core tests share: a kiosk store and a receiver, each in the test's own folder
(real SQLite files), and a FaceLandmarker observer per test module."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.service import Receiver
from kiosk.store.database import Store
from tests.core.central_helpers import make_receiver


@pytest.fixture()
def store(tmp_path: Path):
    s = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3")
    yield s
    s.close()


@pytest.fixture()
def home_store(kiosk_home: Path):
    """The store where the kiosk keeps it (KIOSK_HOME), as a journey run opens it."""
    s = Store.open()
    yield s
    s.close()


@pytest.fixture()
def receiver(tmp_path: Path) -> Receiver:
    return make_receiver(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)


@pytest.fixture(scope="module")
def observer():
    """The real FaceLandmarker in VIDEO mode, loaded once per test module."""
    from kiosk.vision.observe import FaceObserver

    ob = FaceObserver()
    yield ob
    ob.close()
