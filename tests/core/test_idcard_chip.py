"""Chip readers on real stand-ins: the SAM-V protocol over a pseudo-terminal pair (pyserial
on one end, the simulator on the other) and a C library compiled here, loaded by the real
ctypes bindings for sdtapi and Termb. Cards are fictional (synthetic.fake_resident)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import ConfigError, parse_settings
from kiosk.idcard import samv
from kiosk.idcard import synthetic as syn
from kiosk.idcard.chip_text import ChipTextError, decode_text, encode_text
from kiosk.idcard.readers import ReaderError, reader_from_settings
from kiosk.idcard.samv import SamvReader
from kiosk.idcard.wlt import NO_PHOTO, NOT_DECODED, decode_wlt

pty_only = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals need POSIX")


def card_of(seed: int, **kw) -> dict[str, str]:
    return syn.fake_resident(seed, **kw).chip_card()


# ---- the text block -------------------------------------------------------------------

def test_text_block_round_trips_for_each_card_type():
    resident = card_of(1)
    assert decode_text(encode_text(resident)).fields == resident
    permit = {k: v for k, v in card_of(2).items() if k != "ethnicity"}
    permit["id_number"] = "810000" + permit["id_number"][6:]
    permit |= {"pass_number": "H12345678", "issue_count": "01"}
    got = decode_text(encode_text(permit, "permit_hmt"))
    assert got.card_type == "permit_hmt" and got.fields == permit
    foreign = {"name_en": "SMITH, JOHN", "sex": "男", "id_number": "USA310012345678",
               "nationality": "USA", "name": "史密斯", "birth": "1950-01-02",
               "valid_from": "2020-05-06", "valid_to": "2030-05-06", "card_version": "01",
               "authority": "1500"}
    got = decode_text(encode_text(foreign, "foreign_permanent"))
    assert got.card_type == "foreign_permanent" and got.fields == foreign


def test_text_block_codes_follow_the_standards():
    block = encode_text(card_of(3) | {"sex": "女", "ethnicity": "蒙古"})
    assert block[30:32].decode("utf-16-le") == "2"          # GB/T 2261.1: 2 = female
    assert block[32:36].decode("utf-16-le") == "02"         # GB 3304: 02 = Mongol
    assert block[248:250].decode("utf-16-le") == " "
    with pytest.raises(ChipTextError):
        decode_text(b"\x00" * 100)


# ---- SAM-V frames and the serial reader ---------------------------------------------------

def test_command_frames_match_the_protocol_bytes():
    assert samv.command_frame(*samv.FIND).hex() == "aaaaaa9669000320 0122".replace(" ", "")
    assert samv.command_frame(*samv.SELECT).hex().endswith("20022 1".replace(" ", ""))
    assert samv.command_frame(*samv.READ).hex() == "aaaaaa96690003300132"


@pytest.fixture
def sim():
    from kiosk.idcard.reader_sim import SamvSimulator

    with SamvSimulator() as s:
        yield s


@pty_only
def test_samv_reads_a_card_laid_on_the_simulated_module(sim):
    card = card_of(10)
    sim.present(card)
    reader = SamvReader(sim.path)
    reader.open()
    data = reader.read(timeout_s=2)
    reader.close()
    assert data.fields == card and data.card_type == "resident"
    assert data.accepted_number == card["id_number"]
    assert data.wlt == bytes(1024) and data.photo is None and NO_PHOTO in data.notes
    assert sim.commands[:4] == [samv.STATUS, samv.FIND, samv.SELECT, samv.READ]


@pty_only
def test_samv_waits_then_reads_the_next_card_and_no_card_is_none(sim):
    reader = SamvReader(sim.path)
    reader.open()
    assert reader.read(timeout_s=0.3) is None and not reader.card_present()
    first, second = card_of(11), card_of(12)
    sim.present(first)
    assert reader.read(timeout_s=1).fields["id_number"] == first["id_number"]
    sim.present(second)                                   # swapped on the reader
    assert reader.read(timeout_s=1).fields["id_number"] == second["id_number"]
    reader.close()


@pty_only
def test_samv_bad_number_expired_and_foreign_cards_are_told_apart(sim):
    reader = SamvReader(sim.path)
    reader.open()
    sim.present(card_of(13, wrong_check=True))
    bad = reader.read(timeout_s=1)
    assert bad.accepted_number is None and bad.number_check.code == "bad_check_digit"
    sim.present(card_of(14, expired=True))
    old = reader.read(timeout_s=1)
    assert old.expired and old.accepted_number            # still identifies the resident
    sim.present({"name": "史密斯", "sex": "男", "id_number": "USA310012345678",
                 "card_type": "foreign_permanent", "valid_to": "2030-01-01"})
    foreign = reader.read(timeout_s=1)
    assert foreign.card_type == "foreign_permanent" and foreign.accepted_number is None
    reader.close()


@pty_only
def test_samv_read_failure_and_unplugging_raise_reader_error(sim):
    reader = SamvReader(sim.path, reply_timeout_s=0.5)
    reader.open()
    sim.present(card_of(15))
    sim.read_status = samv.READ_FAILED
    with pytest.raises(ReaderError, match="read failed"):
        reader.read(timeout_s=1)
    sim.read_status = samv.OK
    sim.unplug()
    with pytest.raises(ReaderError):
        reader.read(timeout_s=1)


def test_samv_open_on_a_missing_port_says_so():
    with pytest.raises(ReaderError, match="cannot open"):
        SamvReader("/dev/no-such-reader").open()
    with pytest.raises(ReaderError, match="no serial port"):
        SamvReader("").open()


# ---- vendor libraries, on a C stand-in compiled here ---------------------------------

@pytest.fixture(scope="module")
def standin_lib(tmp_path_factory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or sys.platform == "win32":
        pytest.skip("no C compiler here: the vendor-library stand-in cannot be built")
    out = tmp_path_factory.mktemp("standin") / "libstandin.so"
    src = Path(__file__).with_name("idcard_vendor_standin.c")
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", str(out), str(src)], check=True)
    return out


@pytest.fixture
def standin_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("STANDIN_DIR", str(tmp_path))
    return tmp_path


def lay_card(folder: Path, card: dict[str, str]) -> None:
    (folder / "card.bin").write_bytes(encode_text(card) + bytes(range(256)) * 4)
    for i, key in enumerate(("name", "sex", "ethnicity", "birth", "address", "id_number",
                             "authority", "valid_from", "valid_to")):
        value = card[key].replace("-", "") if key in ("birth", "valid_from") else card[key]
        (folder / f"field{i}.gbk").write_bytes(value.encode("gbk"))


def test_sdtapi_binding_scans_ports_and_reads(standin_lib, standin_dir):
    reader = reader_from_settings("sdtapi", library=str(standin_lib))
    reader.open()                                           # found on 1001 by the scan
    assert reader.read(timeout_s=0.2) is None
    card = card_of(20)
    lay_card(standin_dir, card)
    data = reader.read(timeout_s=1)
    assert data.fields == card and data.accepted_number == card["id_number"]
    assert len(data.wlt) == 1024 and NOT_DECODED in data.notes
    (standin_dir / "unplugged").touch()
    with pytest.raises(ReaderError, match="unplugged"):
        reader.read(timeout_s=1)
    reader.close()


def test_sdtapi_wrong_port_and_missing_library_are_reader_errors(standin_lib, standin_dir):
    with pytest.raises(ReaderError, match="port 7"):
        reader_from_settings("sdtapi", library=str(standin_lib), port="7").open()
    with pytest.raises(ReaderError, match="cannot load"):
        reader_from_settings("sdtapi", library=str(standin_dir / "nope.so")).open()


def test_termb_binding_reads_the_getters(standin_lib, standin_dir):
    card = card_of(21)
    lay_card(standin_dir, card)
    reader = reader_from_settings("termb", library=str(standin_lib))
    reader.open()
    data = reader.read(timeout_s=1)
    reader.close()
    assert data.fields == card and data.accepted_number == card["id_number"]
    assert data.photo is None and NOT_DECODED in data.notes


def test_auto_finds_the_library_reader(standin_lib, standin_dir):
    found = reader_from_settings("auto", library=str(standin_lib))
    assert found is not None and found.name == "sdtapi"


# ---- settings, photo decoder, command line --------------------------------------------

def test_unknown_reader_setting_is_rejected_with_its_key():
    with pytest.raises(ConfigError, match="idcard.reader"):
        parse_settings('[idcard]\nreader = "magic"\n')
    assert parse_settings('[idcard]\nreader = "samv"\nport = "/dev/ttyUSB0"\n').idcard.port
    with pytest.raises(ValueError, match="idcard.reader"):
        reader_from_settings("magic")


def test_wlt_without_a_decoder_keeps_the_bytes_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_WLT_LIBRARY", str(tmp_path / "absent.so"))
    assert decode_wlt(bytes(1024)) == (None, NO_PHOTO)
    assert decode_wlt(bytes(range(256)) * 4) == (None, NOT_DECODED)


@pty_only
def test_kiosk_idcard_chip_reads_once_masked(sim, capsys):
    from kiosk.cli import build_parser, run

    card = card_of(30)
    sim.present(card)
    args = build_parser().parse_args(["idcard", "chip", "--port", sim.path, "--json"])
    assert run(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["number_ok"] and out["fields"]["id_number"] != card["id_number"]
    assert out["fields"]["id_number"][-4:] == card["id_number"][-4:]
    args = build_parser().parse_args(["idcard", "chip", "--port", sim.path, "--show-number"])
    assert run(args) == 0 and card["id_number"] in capsys.readouterr().out


# ---- the watcher the journey listens to ------------------------------------------------

@pty_only
def test_watcher_turns_reader_happenings_into_calm_events(sim):
    from kiosk.idcard.chip_watch import ChipWatcher

    events = []
    watcher = ChipWatcher(SamvReader(sim.path, reply_timeout_s=0.5), events.append)
    watcher.reader.open()
    watcher.poll_once()
    assert events == []                                   # nothing on the reader
    first = card_of(40)
    sim.present(first)
    watcher.poll_once()
    watcher.poll_once()                                   # same card still there: no event
    assert [e.kind for e in events] == ["card_read"] and events[0].usable
    assert events[0].card.accepted_number == first["id_number"]
    sim.present(card_of(41, expired=True))                # another person's card
    watcher.poll_once()
    assert events[-1].kind == "card_swapped" and events[-1].reason == "chip_expired"
    assert events[-1].usable and "有效期" in events[-1].message_zh
    sim.present(card_of(42, wrong_check=True))
    watcher.poll_once()
    assert events[-1].reason == "chip_number_invalid" and not events[-1].usable
    sim.present({"name": "史密斯", "sex": "男", "id_number": "USA310012345678",
                 "card_type": "foreign_permanent"})
    watcher.poll_once()
    assert events[-1].reason == "chip_foreign_card" and not events[-1].usable
    sim.present(card_of(43))
    sim.read_status = samv.READ_FAILED
    watcher.poll_once()
    assert events[-1].kind == "failed" and events[-1].reason == "chip_read_failed"
    sim.unplug()
    watcher.poll_once()
    assert events[-1].kind == "reader_lost" and events[-1].reason == "reader_unplugged"
    assert all(e.message_zh and "0x" not in e.message_zh for e in events)
