"""Where synthesised speech goes: a sound command when the machine has one, else nowhere.

Tests check the WAV that was produced, not the sound. The UI may hand the Speaker a player of
its own; players are called from the speaker thread only and must stop quickly on `stop()`.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

COMMANDS = ("pw-play", "paplay", "aplay")


class Player(Protocol):
    name: str

    def play(self, wav: bytes) -> None:
        """Play to the end (blocking the speaker thread), unless `stop()` is called."""

    def stop(self) -> None: ...


def wav_seconds(wav: bytes) -> float:
    """The length of a PCM WAV in seconds (0.0 for anything unreadable)."""
    try:
        with wave.open(io.BytesIO(wav), "rb") as w:
            return w.getnframes() / w.getframerate() if w.getframerate() else 0.0
    except (wave.Error, EOFError):
        return 0.0


class NullPlayer:
    """No audio device: the speech is produced and dropped (the text is on screen, and that
    is the delivery: the Speaker does not wait for a sound nobody hears)."""

    name = "none"
    audible = False

    def __init__(self) -> None:
        self.last_wav: bytes = b""
        self.played = 0

    def play(self, wav: bytes) -> None:
        self.last_wav = wav
        self.played += 1

    def stop(self) -> None:
        pass


class PacedPlayer:
    """A sound device without sound: takes the WAV at its sample rate (returns after its
    duration), stopped at once by `stop()`. For a kiosk whose audio is routed elsewhere and
    for tests that need a real utterance's real end time."""

    name = "paced"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self.last_wav: bytes = b""
        self.played = 0

    def play(self, wav: bytes) -> None:
        self._stop.clear()
        self.last_wav = wav
        self.played += 1
        self._stop.wait(wav_seconds(wav))

    def stop(self) -> None:
        self._stop.set()


class CommandPlayer:
    """Plays a temporary WAV file with pw-play / paplay / aplay; `stop()` kills it."""

    def __init__(self, command: str) -> None:
        self.name = command
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._dir = Path(tempfile.mkdtemp(prefix="kiosk_speech_"))

    def play(self, wav: bytes) -> None:
        path = self._dir / "prompt.wav"
        path.write_bytes(wav)
        with self._lock:
            self._proc = subprocess.Popen([self.name, str(path)], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
            proc = self._proc
        proc.wait()

    def stop(self) -> None:
        with self._lock:
            if self._proc and self._proc.poll() is None:
                self._proc.terminate()


def default_player() -> Player:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        from kiosk.speech.windows import WinsoundPlayer

        return WinsoundPlayer()
    for command in COMMANDS:
        if shutil.which(command):
            return CommandPlayer(command)
    log.info("no sound command found; speech is produced but not played")
    return NullPlayer()
