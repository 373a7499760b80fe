"""Shared fixtures: every test gets its own data folder; shared data is read, never copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("KIOSK_SHARED_DATA", ROOT.parent / "shared" / "data"))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def shared(*parts: str) -> Path:
    """A file under ../shared/data; the test is skipped with a reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path


@pytest.fixture(autouse=True)
def kiosk_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Keep the developer's own data folder and settings out of every test."""
    home = tmp_path_factory.mktemp("kiosk_home")
    monkeypatch.setenv("KIOSK_HOME", str(home))
    monkeypatch.delenv("KIOSK_MODELS_DIR", raising=False)
    monkeypatch.setenv("KIOSK_MODELS_DIR", str(_session_models_dir()))
    yield home
    # a test that called monkeypatch.undo() ran on the developer's real data folder
    assert os.environ.get("KIOSK_HOME") == str(home), "KIOSK_HOME was dropped during the test"


_MODELS: Path | None = None


def _session_models_dir() -> Path:
    """One provisioned models folder per test run (copied from installed packages, verified)."""
    global _MODELS
    if _MODELS is None:
        import tempfile

        from kiosk import models
        _MODELS = Path(tempfile.mkdtemp(prefix="kiosk_models_"))
        report = models.provision(_MODELS)
        assert not report.missing, report
        models.prepare_deepface_home(_MODELS)
    return _MODELS


@pytest.fixture(scope="session")
def models_dir() -> Path:
    return _session_models_dir()


@pytest.fixture(scope="session")
def shared_file():
    """`shared_file("liveness", "eval.csv")` -> Path, skipping when shared data is absent."""
    return shared


@pytest.fixture(scope="session")
def vision_link(models_dir: Path):
    """ONE loaded vision worker (MediaPipe + DeepFace) for every real-pipeline test of the run.

    Journeys attach to it in turn (kiosk.face.attempt.WorkerLink), so the models load
    once (≈ 3-4 s here) instead of once per test.
    """
    from kiosk.config import Settings, with_changes
    from kiosk.face.link import WorkerLink

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIOSK_MODELS_DIR", str(models_dir))   # read while the worker loads
        # journeys replay shared clips as the camera: only with the explicit test setting
        link = WorkerLink(with_changes(Settings(), "camera", replay_for_tests=True)).start()
        if not link.wait_loaded(180):
            link.stop()
            pytest.skip(f"vision models did not load: {link.status or 'timeout'}")
    yield link
    link.stop()

