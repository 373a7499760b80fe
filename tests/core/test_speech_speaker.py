"""The prompt catalogue and the Speaker thread (WAV produced, not sound heard)."""

from __future__ import annotations

import io
import wave

from kiosk.config import SpeechSection
from kiosk.flow.query import CHANNELS
from kiosk.flow.states import CARD_REASONS, CHALLENGE_PROMPT, QUALITY_REASONS, STEP, State
from kiosk.speech.catalogue import PromptCatalogue, default_catalogue
from kiosk.speech.players import NullPlayer
from kiosk.speech.speaker import EspeakEngine, Speaker


def test_catalogue_has_every_prompt_the_flow_uses() -> None:
    c = default_catalogue()
    # these states speak a line chosen by their outcome, listed below
    by_outcome = (State.RESULT_FAILED, State.ASSISTANCE, State.GOODBYE, State.QUERY_RESULT)
    needed = [s.value for s in STEP if s not in by_outcome]
    needed += [f"quality_{r}" for r in QUALITY_REASONS] + list(CHALLENGE_PROMPT.values())
    needed += [f"card_{r}" for r in CARD_REASONS]
    needed += [f"result_failed_{o}" for o in ("no_match", "liveness_failed", "spoof")]
    needed += ["assistance_attempts", "assistance_non_face", "goodbye_passed",
               "goodbye_counter", "goodbye_home_visit", "goodbye_already", "idle_warning",
               "staff_called", "slip_printed", "keypad_error", "quality_ok", "challenge_ok"]
    needed += ["query_done", "query_due", "query_not_in_roster", "query_number_invalid"]
    needed += [f"query_done_{c}" for c in CHANNELS]
    missing = [k for k in needed if k not in c]
    assert not missing
    assert c.text("result_passed", [("window", "2027年")]).count("2027年") == 1
    assert c.text("quality_too_far") == "请离近一点。"


def test_unknown_prompt_does_not_crash(tmp_path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[hello]\ntext = "你好{name}"\n[buttons]\nok = "好"\n', encoding="utf-8")
    c = PromptCatalogue.load(path)
    assert c.text("hello") == "你好"
    assert c.text("nope") == "" and c.button("ok") == "好" and c.button("x") == "x"


def test_speaker_without_engine_is_text_only_and_never_blocks() -> None:
    s = Speaker(SpeechSection(enabled=False))
    s.say("请离近一点。")
    s.say("请张一张嘴。")
    s.repeat()
    assert s.wait_idle(5)
    assert s.last_text == "请张一张嘴。"
    assert list(s.history)[-1] == "请张一张嘴。"
    s.close()


def test_espeak_speaks_mandarin_into_a_wav_at_the_configured_rate() -> None:
    settings = SpeechSection(rate=110, volume=0.8)
    player = NullPlayer()
    s = Speaker(settings, engine=EspeakEngine(settings), player=player)
    s.say("您好，请看着屏幕。")
    assert s.wait_idle(10)
    with wave.open(io.BytesIO(player.last_wav)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds > 0.8
    s.close()


def test_new_prompt_interrupts_queued_ones() -> None:
    s = Speaker(SpeechSection(enabled=False))
    for i in range(20):
        s.say(f"第{i}句")
    assert s.wait_idle(5)
    assert list(s.history)[-1] == "第19句"
    s.close()
