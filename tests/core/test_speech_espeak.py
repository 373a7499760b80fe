"""Mandarin speech from the bundled espeak-ng library (no system packages)."""

from __future__ import annotations

import io
import sys
import wave

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="espeak path is Linux-only")


def test_mandarin_phrase_becomes_audio() -> None:
    from kiosk.speech.espeak import EspeakSynth

    synth = EspeakSynth("cmn")
    short = synth.synth("好")
    long = synth.synth("光线太暗，请到亮一点的地方")
    assert short.rate > 8000
    assert long.seconds > short.seconds > 0.05
    with wave.open(io.BytesIO(long.wav_bytes())) as w:
        assert w.getnchannels() == 1 and w.getframerate() == long.rate


def test_slower_rate_gives_longer_audio() -> None:
    from kiosk.speech.espeak import EspeakSynth

    synth = EspeakSynth("cmn")
    fast = synth.synth("请离近一点", rate_wpm=200)
    slow = synth.synth("请离近一点", rate_wpm=100)
    assert slow.seconds > fast.seconds * 1.3


def test_unknown_voice_is_a_clear_error() -> None:
    from kiosk.speech.espeak import EspeakSynth, EspeakUnavailable

    with pytest.raises(EspeakUnavailable, match="voice"):
        EspeakSynth("no-such-voice").synth("你好")
