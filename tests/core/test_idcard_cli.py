"""`kiosk idcard read` / `check` and the `kiosk eval idcard` entry point, run in-process."""

from __future__ import annotations

import argparse
import csv
import json

import cv2
import pytest

from kiosk import cli
from kiosk.idcard import evaluate
from kiosk.idcard import synthetic as syn


def test_check_command(capsys) -> None:
    assert cli.main(["idcard", "check", "11010519491231002X"]) == 0
    assert "1101**********002X" in capsys.readouterr().out
    assert cli.main(["idcard", "check", "110105194912310021"]) == 1
    out = capsys.readouterr().out
    assert "bad_check_digit" in out and "最后一位" in out


@pytest.mark.slow
def test_read_command_json_and_portrait(tmp_path, capsys) -> None:
    person = syn.fake_resident(81)
    frame, _ = syn.place_in_scene(syn.render_front(person), syn.SceneParams(angle=7), seed=8)
    image = tmp_path / "card.png"
    cv2.imwrite(str(image), frame)
    out_png = tmp_path / "portrait.png"
    assert cli.main(["idcard", "read", str(image), "--json", "--portrait", str(out_png)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["side"] == "front"
    assert report["fields"]["id_number"] == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    assert report["fields"]["name"] == person.name
    assert all(report["checks"].values())
    assert cv2.imread(str(out_png)) is not None


@pytest.mark.slow
def test_read_command_explains_failure(tmp_path, capsys) -> None:
    image = tmp_path / "bank.png"
    cv2.imwrite(str(image), syn.place_in_scene(syn.render_bank_card(), syn.SceneParams())[0])
    assert cli.main(["idcard", "read", str(image)]) == 1
    out = capsys.readouterr().out
    assert "not_id_card" in out and "不是居民身份证" in out


@pytest.mark.slow
def test_eval_main_reports_rates_and_rejections(tmp_path, capsys) -> None:
    rows = []
    for k in range(2):
        person = syn.fake_resident(90 + k)
        frame, _ = syn.place_in_scene(syn.render_front(person), syn.SceneParams(angle=4 * k),
                                      seed=k)
        cv2.imwrite(str(tmp_path / f"f{k}.png"), frame)
        rows.append({"path": f"f{k}.png", "side": "front", "name": person.name,
                     "sex": person.sex, "ethnicity": person.ethnicity,
                     "birth": f"{person.birth.year}年{person.birth.month}月{person.birth.day}日",
                     "address": person.address, "id_number": person.id_number})
    cv2.imwrite(str(tmp_path / "bank.png"), syn.render_bank_card())
    rows.append({"path": "bank.png", "side": "front"})
    rows.append({"path": "gone.png", "side": ""})
    manifest = tmp_path / "m.csv"
    with manifest.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["path", "side", *evaluate.SCORED])
        writer.writeheader()
        writer.writerows(rows)
    assert evaluate.main(argparse.Namespace(manifest=str(manifest), json=True)) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cards"] == 3 and report["read"] == 2
    assert report["rejected"] == {"not_id_card": 1}
    assert report["field_accuracy"] == {k: 1.0 for k in evaluate.SCORED}
    assert report["missing_files"] == ["gone.png"]
    assert evaluate.main(argparse.Namespace(manifest=str(manifest), json=False)) == 0
    text = capsys.readouterr().out
    assert "id_number" in text and "100.0 %" in text and person.id_number not in text
