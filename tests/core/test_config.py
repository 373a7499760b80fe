"""Typed settings: defaults, unknown keys and bad values rejected with the key's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigError, Settings, dump_settings, load_settings, parse_settings


def test_defaults_when_no_file(kiosk_home: Path) -> None:
    s = load_settings()
    assert s == Settings()
    assert s.speech.rate < 175          # slower than the engine default
    assert s.ui.idle_timeout_s >= 60     # no punishing countdown
    assert s.vision.model == "Dlib"


def test_values_are_read_and_ints_become_floats() -> None:
    s = parse_settings('[speech]\nrate = 110\nvolume = 1\n[ui]\nfont_scale = 1.25\n')
    assert s.speech.rate == 110 and s.speech.volume == 1.0 and s.ui.font_scale == 1.25


def test_unknown_key_is_rejected_with_its_name() -> None:
    with pytest.raises(ConfigError, match=r"speech\.rte"):
        parse_settings("[speech]\nrte = 110\n")
    with pytest.raises(ConfigError, match="unknown setting cammera"):
        parse_settings("[cammera]\nsource = '0'\n")


def test_bad_type_and_range_are_rejected() -> None:
    with pytest.raises(ConfigError, match=r"ui\.fullscreen|kiosk\.fullscreen"):
        parse_settings('[kiosk]\nfullscreen = "yes"\n')
    with pytest.raises(ConfigError, match=r"speech\.volume"):
        parse_settings("[speech]\nvolume = 3.0\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_settings("[speech\n")


def test_per_model_thresholds_table() -> None:
    s = parse_settings("[vision]\nthresholds = { Dlib = 0.5, ArcFace = 0.6 }\n")
    assert s.vision.thresholds == {"Dlib": 0.5, "ArcFace": 0.6}
    with pytest.raises(ConfigError, match=r"vision\.thresholds\.Dlib"):
        parse_settings('[vision]\nthresholds = { Dlib = "low" }\n')


def test_dump_round_trips(kiosk_home: Path) -> None:
    s = parse_settings("[vision]\nthresholds = { Dlib = 0.5 }\n[kiosk]\ncentre_name = '东坝乡'\n")
    path = kiosk_home / "settings.toml"
    path.write_text(dump_settings(s), encoding="utf-8")
    assert load_settings(path) == s


def test_challenge_pool_names_only_actions_liveness_knows() -> None:
    import datetime as dt

    from kiosk.config import LIVENESS_ACTIONS
    from kiosk.flow.machine import CertificationFlow
    from kiosk.vision.challenges import CHALLENGES

    assert LIVENESS_ACTIONS == CHALLENGES            # one list, spelled in two layers
    s = parse_settings('[vision]\nchallenge_pool = "blink, open_mouth"\n')
    assert s.vision.challenge_actions() == ("blink", "open_mouth")
    flow = CertificationFlow(s, clock=dt.datetime.now)
    assert flow.challenge_pool == ("blink", "open_mouth")
    assert CertificationFlow(Settings(), clock=dt.datetime.now).challenge_pool == CHALLENGES
    with pytest.raises(ConfigError, match=r"vision\.challenge_pool: 'wink'"):
        parse_settings('[vision]\nchallenge_pool = "blink,wink"\n')
