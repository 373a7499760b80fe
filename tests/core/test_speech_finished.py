"""'Spoken to the end': the Speaker's finished callback, with the real espeak-ng engine.

The action window of a liveness step opens when its prompt has been heard in full, so the
time the Speaker reports must be the real end of a real utterance: playback start + the WAV's
own length, never earlier, and never for an utterance that a newer prompt cut short.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from memory_ports import MemoryRecords, MemoryRoster, ScriptedVision

from kiosk.config import Settings, SpeechSection
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.runtime import DELIVERED_PROMPTS, FlowRuntime, Outputs, Ports
from kiosk.speech.catalogue import default_catalogue
from kiosk.speech.players import NullPlayer, PacedPlayer, wav_seconds
from kiosk.speech.speaker import EspeakEngine, Speaker


class Ended:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.event = threading.Event()

    def __call__(self, t: float) -> None:
        self.times.append(t)
        self.event.set()


def _speaker(player) -> Speaker:
    settings = SpeechSection(rate=130)
    return Speaker(settings, engine=EspeakEngine(settings), player=player)


def test_finished_is_the_real_end_of_a_real_utterance() -> None:
    player = PacedPlayer()
    s = _speaker(player)
    lengths = []
    for text in ("请眨眨眼。", "请慢慢张开嘴巴，然后再合上，不用着急。"):
        done = Ended()
        asked = time.monotonic()
        s.say(text, on_finished=done)
        assert done.event.wait(20)
        seconds = wav_seconds(player.last_wav)
        lengths.append(seconds)
        took = done.times[0] - asked
        # never before the audio could have ended; synthesis adds a little before playback
        assert seconds - 0.02 <= took <= seconds + 1.5, (took, seconds)
    assert lengths[1] > lengths[0] + 1.0          # a longer prompt ends later, as heard
    s.close()


def test_a_prompt_cut_short_is_never_reported_as_delivered() -> None:
    s = _speaker(PacedPlayer())
    first, second = Ended(), Ended()
    s.say("请慢慢张开嘴巴，然后再合上，不用着急，慢慢来。", on_finished=first)
    time.sleep(0.6)                                # it is playing now
    s.say("请眨眨眼。", on_finished=second)       # a new screen interrupts it
    assert second.event.wait(20)
    assert not first.times
    s.interrupt()
    third = Ended()
    s.say("请慢慢张开嘴巴，然后再合上。", on_finished=third)
    time.sleep(0.4)
    s.interrupt()                                  # the visit was cleared
    assert s.wait_idle(10)
    time.sleep(0.2)
    assert not third.times
    s.close()


def test_a_player_that_returns_early_does_not_end_the_prompt_early() -> None:
    class Returns(NullPlayer):                     # a sink that queues the audio, returns
        audible = True

    player = Returns()
    s = _speaker(player)
    done = Ended()
    asked = time.monotonic()
    s.say("请点点头。", on_finished=done)
    assert done.event.wait(20)
    assert done.times[0] - asked >= wav_seconds(player.last_wav) - 0.02
    s.close()


def test_no_sound_or_no_engine_means_the_text_on_screen_is_the_delivery() -> None:
    for s in (_speaker(NullPlayer()), Speaker(SpeechSection(enabled=False))):
        done = Ended()
        asked = time.monotonic()
        s.say("请眨眨眼。", on_finished=done)
        assert done.event.wait(20)
        assert done.times[0] - asked < 1.0
        s.close()


class TellingVision(ScriptedVision):
    def __init__(self) -> None:
        super().__init__()
        self.told: list[float] = []
        self.event = threading.Event()

    def prompt_delivered(self, at: float) -> None:
        self.told.append(at)
        self.event.set()


def test_the_runtime_tells_the_attempt_when_a_step_prompt_was_spoken() -> None:
    vision = TellingVision()
    player = PacedPlayer()
    speaker = _speaker(player)
    outputs = Outputs(show=lambda v: None, say=speaker.say,
                      say_then=lambda text, done: speaker.say(text, on_finished=done))
    runtime = FlowRuntime(CertificationFlow(Settings(), clock=dt.datetime.now),
                          Ports(vision, MemoryRoster(), MemoryRecords()), outputs,
                          catalogue=default_catalogue(), post=lambda e: None)
    try:
        assert {"challenge_blink", "challenge_hold_still",
                "coach_wrong_action_blink"} <= DELIVERED_PROMPTS
        runtime._apply([ev.Say("challenge_ok")])    # not a step prompt: nobody is told
        assert speaker.wait_idle(20) and not vision.told
        asked = time.monotonic()
        runtime._apply([ev.Say("challenge_blink")])
        assert vision.event.wait(20)
        assert vision.told[0] - asked >= wav_seconds(player.last_wav) - 0.02
    finally:
        runtime.close()
        speaker.close()
