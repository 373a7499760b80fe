"""The `kiosk` and `kiosk-central` commands end to end: simulate, identity, register-kiosk,
export, import, export-ack, stats --json, openapi."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from central.cli import main as central_main
from kiosk.cli import main as kiosk_main


def test_usb_round_trip_through_the_commands(tmp_path: Path, kiosk_home: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KIOSK_CENTRAL_HOME", str(tmp_path / "central"))
    usb = tmp_path / "usb"
    assert central_main(["keygen"]) == 0
    receiver_pub = tmp_path / "central" / "receiver.pub.json"
    assert kiosk_main(["simulate", "--residents", "5", "--certifications", "8"]) == 0
    assert kiosk_main(["identity", "--out", str(tmp_path / "kiosk.json")]) == 0
    assert central_main(["register-kiosk", str(tmp_path / "kiosk.json")]) == 0
    kiosk_id = json.loads((tmp_path / "kiosk.json").read_text())["name"]
    assert kiosk_main(["export", "--to", str(usb), "--receiver-key", str(receiver_pub),
                       "--include-synthetic"]) == 0
    [bundle] = usb.glob("*.anxb")
    assert central_main(["import", str(bundle)]) == 0
    assert central_main(["import", str(bundle)]) == 1              # replay refused
    capsys.readouterr()
    assert central_main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["certifications"] == 8 and stats["synthetic"] == 8 and stats["kiosks"] == 1
    assert central_main(["export-ack", "--kiosk", kiosk_id, "--to", str(usb / "back")]) == 0
    [ack] = (usb / "back").glob("*.anxb")
    assert kiosk_main(["import", str(ack), "--receiver-key", str(receiver_pub)]) == 0
    assert kiosk_main(["import", str(ack), "--receiver-key", str(receiver_pub)]) == 1
    capsys.readouterr()
    assert kiosk_main(["store", "status"]) == 0
    assert "0 pending, 0 synthetic, 8 acknowledged" in capsys.readouterr().out
    assert kiosk_main(["audit", "verify"]) == 0


def test_openapi_is_published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KIOSK_CENTRAL_HOME", str(tmp_path))
    assert central_main(["openapi"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"/v1/records", "/v1/roster", "/v1/bundles"} <= set(schema["paths"])
    published = Path(__file__).resolve().parents[2] / "docs" / "central-openapi.json"
    assert set(json.loads(published.read_text())["paths"]) == set(schema["paths"])
