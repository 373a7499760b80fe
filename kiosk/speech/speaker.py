"""The Speaker: Mandarin prompts spoken on their own thread, never blocking the screens.

A new screen interrupts whatever was being said; "再听一遍" says the last prompt again; rate
(slower than the engine default) and volume come from settings. Engines: espeak-ng through
its C library on Linux; on Windows SAPI5 through pyttsx3 2.98 or a OneCore voice through WinRT
(kiosk/speech/voices.py picks). A centre's recorded prompts play instead where present. No
engine → text only, logged once; the words are on the screen anyway.

"Spoken to the end": `say(text, on_finished=cb)` calls `cb(t)` (time.monotonic seconds, on the
speaker thread) once the utterance has been heard in full - never when a newer `say` or
`interrupt` cut it short. Every engine but SAPI hands the Speaker a WAV through the player,
so the end is when playback began plus the WAV's own duration (a player that returns early
does not make the prompt end early; a player that plays nowhere, NullPlayer, ends it when
it returns); SAPI's `runAndWait` returns at its finished-utterance
event. With no engine the text on the screen is the delivery: `cb` is called at once. The
face attempt uses this to start the action window (kiosk/vision/steps.py).
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from kiosk.config import SpeechSection
from kiosk.speech.players import NullPlayer, Player, default_player, wav_seconds

log = logging.getLogger(__name__)

Finished = Callable[[float], None]     # called with the monotonic time the utterance ended


class SpeechEngine(Protocol):
    name: str

    def speak(self, text: str, player: Player) -> None:
        """Synthesise and play `text` on the calling (speaker) thread."""

    def stop(self, player: Player) -> None: ...


class EspeakEngine:
    """espeak-ng's Mandarin voice ('cmn') into a WAV, handed to a Player."""

    name = "espeak-ng"

    def __init__(self, settings: SpeechSection) -> None:
        from kiosk.speech.espeak import EspeakSynth

        self._synth = EspeakSynth(settings.voice or "cmn")
        self._rate, self._volume = settings.rate, settings.volume
        self.last_wav: bytes = b""

    def speak(self, text: str, player: Player) -> None:
        pcm = self._synth.synth(text, rate_wpm=self._rate, volume=self._volume)
        self.last_wav = pcm.wav_bytes()
        player.play(self.last_wav)

    def stop(self, player: Player) -> None:
        player.stop()


class SapiEngine:  # pragma: no cover - Windows only
    """pyttsx3 2.98 on SAPI5 (2.99 speaks only the first utterance), Chinese voice if any."""

    name = "sapi5"

    def __init__(self, settings: SpeechSection) -> None:
        self._settings = settings
        self._engine = None

    def _ensure(self):  # created on the speaker thread: COM wants that
        if self._engine is None:
            import pyttsx3

            engine = pyttsx3.init("sapi5")
            engine.setProperty("rate", self._settings.rate)
            engine.setProperty("volume", self._settings.volume)
            voice = self._settings.voice or _chinese_voice(engine)
            if voice:
                engine.setProperty("voice", voice)
            self._engine = engine
        return self._engine

    def speak(self, text: str, player: Player) -> None:
        engine = self._ensure()
        engine.say(text)
        engine.runAndWait()         # returns after SAPI's finished-utterance event

    def stop(self, player: Player) -> None:
        if self._engine is not None:
            self._engine.stop()


def _chinese_voice(engine) -> str:  # pragma: no cover - Windows only
    for v in engine.getProperty("voices"):
        label = f"{v.id} {v.name} {v.languages}".lower()
        if any(k in label for k in ("zh", "chinese", "huihui", "kangkang", "yaoyao", "2052")):
            return v.id
    return ""


def choose_engine(settings: SpeechSection) -> SpeechEngine | None:
    """The best engine on this machine, or None (text only). A centre's own recordings
    (kiosk/speech/recorded.py) come first for the prompts they cover."""
    if not settings.enabled:
        return None
    synth = _synthesis_engine(settings)
    from kiosk.speech.recorded import RecordedFirstEngine, RecordedPrompts

    try:
        recorded = RecordedPrompts.load()
    except Exception as exc:  # noqa: BLE001 - a bad folder must not silence the kiosk
        log.warning("recorded prompts not loaded (%s)", type(exc).__name__)
        return synth
    if len(recorded):
        log.info("%d recorded prompt(s) replace synthesis", len(recorded))
        return RecordedFirstEngine(recorded, synth)
    return synth


def _synthesis_engine(settings: SpeechSection) -> SpeechEngine | None:
    try:
        if sys.platform == "win32":
            return _windows_engine(settings)
        return EspeakEngine(settings)
    except Exception as exc:  # noqa: BLE001 - any engine failure means text only
        log.warning("no speech engine (%s); prompts are shown as text only", type(exc).__name__)
        return None


def _windows_engine(settings: SpeechSection) -> SpeechEngine:  # pragma: no cover - Windows
    """SAPI5 or OneCore, whichever holds the voice `select_voice` picks."""
    import dataclasses

    from kiosk.speech.voices import collect, select_voice, sources_for

    voice = select_voice(collect(sources_for("win32")).voices, settings.voice)
    if voice is None:
        raise RuntimeError("no Mandarin voice in SAPI5 or OneCore")
    if voice.engine == "onecore":
        from kiosk.speech.windows import OneCoreEngine

        return OneCoreEngine(settings, voice.id)
    return SapiEngine(dataclasses.replace(settings, voice=voice.id))


class Speaker:
    """Owns one speech thread; `say`, `repeat` and `interrupt` return at once."""

    def __init__(self, settings: SpeechSection, *, engine: SpeechEngine | None = None,
                 player: Player | None = None, auto_engine: bool = True) -> None:
        self.settings = settings
        self.engine = engine if engine is not None or not auto_engine else choose_engine(
            settings)
        self.player = player or (default_player() if self.engine else NullPlayer())
        self.last_text = ""
        self.history: deque[str] = deque(maxlen=50)     # for tests and the staff console
        self._queue: queue.Queue[tuple[int, str, Finished | None] | None] = queue.Queue()
        self._cut = threading.Event()          # set by interrupt: stop waiting for the end
        self._generation = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._logged_text_only = False
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._thread.start()

    def say(self, text: str, *, interrupt: bool = True,
            on_finished: Finished | None = None) -> None:
        """Speak `text`; by default whatever was being said stops first. `on_finished(t)` is
        called when it has been spoken to the end (not if it is cut short)."""
        if not text:
            return
        with self._lock:
            if interrupt:
                self._cut_short()
            self.last_text = text
            self._idle.clear()
            self._queue.put((self._generation, text, on_finished))

    def repeat(self) -> None:
        """再听一遍."""
        if self.last_text:
            self.say(self.last_text)

    def interrupt(self) -> None:
        with self._lock:
            self._cut_short()

    def _cut_short(self) -> None:
        self._generation += 1
        self._cut.set()
        self._drain()
        if self.engine:
            self.engine.stop(self.player)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """For tests and the headless journey: wait until the queue is spoken."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        self.interrupt()
        self._queue.put(None)
        self._thread.join(timeout=2.0)

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            generation, text, on_finished = item
            if generation == self._generation:
                self._cut.clear()
                ended = self._speak(text)
                if ended is not None and on_finished is not None and \
                        generation == self._generation:
                    try:
                        on_finished(ended)
                    except Exception:  # noqa: BLE001 - a listener's bug must not stop speech
                        log.exception("speech finished callback failed")
            if self._queue.empty():
                self._idle.set()

    def _speak(self, text: str) -> float | None:
        """Say `text`; the monotonic time it ended, or None if it was cut short."""
        self.history.append(text)
        if self.engine is None:
            if not self._logged_text_only:
                self._logged_text_only = True
                log.info("speech is off or unavailable: prompts are text only")
            return time.monotonic()
        timed = _TimedPlayer(self.player)
        try:
            self.engine.speak(text, timed)
        except Exception as exc:  # noqa: BLE001 - speech must never take the kiosk down
            log.warning("speech failed (%s); continuing text only", type(exc).__name__)
            self.engine = None
            return time.monotonic()
        end = timed.end_due()
        if end is not None and self._cut.wait(max(0.0, end - time.monotonic())):
            return None                       # cut short while the audio was still playing
        return None if self._cut.is_set() else max(end or 0.0, time.monotonic())


class _TimedPlayer:
    """The Speaker's player seen through a clock: when the last WAV began and how long it is."""

    def __init__(self, inner: Player) -> None:
        self.inner = inner
        self.name = inner.name
        self._began: float | None = None
        self._seconds = 0.0

    def play(self, wav: bytes) -> None:
        self._began, self._seconds = time.monotonic(), wav_seconds(wav)
        self.inner.play(wav)

    def stop(self) -> None:
        self.inner.stop()

    def end_due(self) -> float | None:
        if self._began is None or not getattr(self.inner, "audible", True):
            return None
        return self._began + self._seconds
