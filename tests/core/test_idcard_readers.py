"""The chip-reader interface and the simulated reader (a folder of cards)."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.idcard.readers import (
    CHIP_PHOTO_SIZE,
    IdCardReader,
    ReaderError,
    SimulatedReader,
    reader_from_settings,
    write_simulated_card,
)

CARD = {"name": "测试甲", "sex": "女", "ethnicity": "汉", "birth": "1949-12-31",
        "address": "北京市某区某街1号", "id_number": "11010519491231002X",
        "authority": "北京市公安局某分局", "valid_from": "2020-01-01", "valid_to": "长期"}


def test_simulated_reader_returns_fields_and_chip_photo(tmp_path) -> None:
    photo = np.full((300, 240, 3), 200, np.uint8)
    write_simulated_card(tmp_path, "a", CARD, photo=photo)
    reader = SimulatedReader(tmp_path)
    assert isinstance(reader, IdCardReader)
    reader.open()
    assert not reader.card_present()
    assert reader.read(timeout_s=0.05) is None
    reader.present("a")
    data = reader.read()
    assert data is not None and data.fields == CARD
    assert data.photo is not None and data.photo.shape[1::-1] == CHIP_PHOTO_SIZE
    assert data.accepted_number == CARD["id_number"]
    reader.close()


def test_bad_number_on_a_chip_is_not_accepted(tmp_path) -> None:
    write_simulated_card(tmp_path, "bad", {**CARD, "id_number": "110105194912310021"})
    reader = SimulatedReader(tmp_path, auto=True)
    reader.open()
    data = reader.read()
    assert data is not None and data.number_check.code == "bad_check_digit"
    assert data.accepted_number is None and data.photo is None


def test_reader_errors_are_explicit(tmp_path) -> None:
    with pytest.raises(ReaderError):
        SimulatedReader(tmp_path / "absent").open()
    reader = SimulatedReader(tmp_path)
    with pytest.raises(ReaderError):
        reader.read()
    reader.open()
    with pytest.raises(ReaderError):
        reader.present("nobody")
    (tmp_path / "x.json").write_text('{"nmae": "typo"}', encoding="utf-8")
    reader.present("x")
    with pytest.raises(ReaderError, match="unknown keys"):
        reader.read()


def test_settings_choose_the_reader(tmp_path) -> None:
    assert reader_from_settings("camera") is None
    assert isinstance(reader_from_settings("simulated", simulated_dir=str(tmp_path)),
                      SimulatedReader)
