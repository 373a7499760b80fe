"""A centre's recorded prompts play instead of synthesis (real WAV files through the real
Speaker), and the voice list / choice across engines (SAPI5 and OneCore as plain values)."""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

from kiosk.config import SpeechSection
from kiosk.speech.catalogue import default_catalogue
from kiosk.speech.players import NullPlayer
from kiosk.speech.probe import probe_recordings, probe_voices
from kiosk.speech.recorded import FOLDER, RecordedFirstEngine, RecordedPrompts
from kiosk.speech.speaker import Speaker
from kiosk.speech.voices import (
    EspeakVoices,
    Voice,
    collect,
    describe_voices,
    mandarin_voices,
    select_voice,
)


def _tone(path: Path, hz: float, seconds: float = 0.6, rate: int = 16000) -> bytes:
    """A staff member's 'recording' (a tone: each file distinct), written with `wave`."""
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
                      for i in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path.read_bytes()


def _folder(home: Path) -> Path:
    folder = home / FOLDER
    folder.mkdir()
    return folder


def test_a_recorded_prompt_replaces_synthesis_the_rest_is_synthesised(kiosk_home: Path) -> None:
    folder = _folder(kiosk_home)
    welcome = _tone(folder / "welcome.wav", 440)
    identity = _tone(folder / "identity.wav", 660)    # (consent holds {days}: not fixed)
    catalogue = default_catalogue()
    player = NullPlayer()
    speaker = Speaker(SpeechSection(), player=player)      # engine chosen as in the kiosk
    try:
        assert isinstance(speaker.engine, RecordedFirstEngine)
        speaker.say(catalogue.text("welcome"))
        assert speaker.wait_idle(30)
        assert player.last_wav == welcome
        speaker.say(catalogue.text("identity"))
        assert speaker.wait_idle(30)
        assert player.last_wav == identity
        speaker.say(catalogue.text("quality_too_far"))          # not recorded: espeak-ng
        assert speaker.wait_idle(60)
        synthesised = player.last_wav
        assert synthesised not in (welcome, identity)
        with wave.open(io.BytesIO(synthesised)) as w:
            assert w.getnframes() > 0
        assert speaker.engine.last_source == "espeak-ng"
        speaker.repeat()                                        # 再听一遍 of a recording
        speaker.say(catalogue.text("welcome"))
        assert speaker.wait_idle(30) and player.last_wav == welcome
    finally:
        speaker.close()


def test_bad_files_are_refused_with_a_reason_and_lose_nothing(kiosk_home: Path) -> None:
    folder = _folder(kiosk_home)
    good = _tone(folder / "goodbye_counter.wav", 500)
    (folder / "welcome.wav").write_bytes(b"RIFF not really a wav")
    _tone(folder / "result_passed.wav", 300)          # has {window}: changes every time
    _tone(folder / "no_such_prompt.wav", 300)
    _tone(folder / "consent.wav", 300, seconds=0.05)  # a click, not a recording
    rec = RecordedPrompts.load()
    assert rec.keys() == ["goodbye_counter"]
    assert set(rec.problems) == {"welcome.wav", "result_passed.wav", "no_such_prompt.wav",
                                 "consent.wav"}
    assert "not a PCM WAV" in rec.problems["welcome.wav"]
    assert rec.for_text(default_catalogue().text("goodbye_counter")).wav == good
    status, reason = probe_recordings()
    assert status == "warn" and "welcome.wav" in reason and "goodbye_counter" in reason


def test_recordings_play_even_without_any_synthesis_engine(kiosk_home: Path) -> None:
    folder = _folder(kiosk_home)
    wav = _tone(folder / "welcome.wav", 440)
    engine = RecordedFirstEngine(RecordedPrompts.load(), None)
    player = NullPlayer()
    speaker = Speaker(SpeechSection(), engine=engine, player=player)
    try:
        speaker.say("这句没有录音")
        speaker.say(default_catalogue().text("welcome"), interrupt=False)
        assert speaker.wait_idle(10)
        assert player.played == 1 and player.last_wav == wav
    finally:
        speaker.close()


SAPI_EN = Voice("sapi5", r"HKLM\...\TTS_MS_EN-US_ZIRA_11.0", "Microsoft Zira Desktop", "en-US")
ONECORE_HK = Voice("onecore", "MSTTS_V110_zhHK_TracyM", "Microsoft Tracy", "zh-HK")
ONECORE_TW = Voice("onecore", "MSTTS_V110_zhTW_HanHanM", "Microsoft Hanhan", "zh-TW")
ONECORE_CN = Voice("onecore", "MSTTS_V110_zhCN_HuihuiM", "Microsoft Huihui", "zh-CN")
SAPI_CN = Voice("sapi5", r"HKLM\...\TTS_MS_ZH-CN_HUIHUI_11.0", "Microsoft Huihui Desktop",
                "zh-CN")


def test_a_voice_only_onecore_has_is_found_and_chosen() -> None:
    # English Windows with Chinese added in Settings: SAPI5 lists only English
    assert select_voice([SAPI_EN, ONECORE_HK, ONECORE_TW, ONECORE_CN]) == ONECORE_CN
    assert select_voice([SAPI_EN, ONECORE_HK]) is None              # Cantonese is not Mandarin
    assert select_voice([SAPI_EN, ONECORE_HK, ONECORE_TW]) == ONECORE_TW
    # both stores: the desktop voice first (pyttsx3 drives it), and the setting wins
    assert select_voice([ONECORE_CN, SAPI_CN]) == SAPI_CN
    assert select_voice([ONECORE_CN, SAPI_CN], "Microsoft Huihui") == ONECORE_CN
    assert mandarin_voices([SAPI_EN, ONECORE_TW, SAPI_CN, ONECORE_CN]) == [
        SAPI_CN, ONECORE_CN, ONECORE_TW]


def test_the_selftest_lists_every_mandarin_voice_here() -> None:
    found = collect([EspeakVoices()])
    assert not found.problems
    names = {v.id for v in mandarin_voices(found.voices)}
    assert "cmn" in names and "yue" not in names                # real espeak-ng voice list
    status, reason = probe_voices()
    assert status == "ok" and "espeak-ng:" in reason and "cmn" in reason
    status, reason = describe_voices(collect([_Broken(), _Fixed([ONECORE_CN])]))
    assert status == "ok" and "Microsoft Huihui" in reason and "onecore: ImportError" in reason


class _Broken:
    engine = "onecore"

    def voices(self) -> list[Voice]:
        raise ImportError("winrt is not installed")


class _Fixed:
    engine = "sapi5"

    def __init__(self, voices: list[Voice]) -> None:
        self._voices = voices

    def voices(self) -> list[Voice]:
        return self._voices
