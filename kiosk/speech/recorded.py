"""A centre's own recorded prompts, played instead of synthesis where present.

Many residents understand their dialect better than Putonghua, and a familiar voice better
than a machine. A staff member records one WAV per prompt id (`welcome.wav`, `consent.wav`,
... the ids of assets/prompts/zh_CN.toml) into `<data>/recorded-prompts/`. When the flow says a
prompt's text, the recording is played; every other prompt is synthesised as before.

Matching is by the prompt's text: the flow hands the Speaker text, not ids, so a recording
stands for exactly the words on the screen. Prompts with {fields} (a date, a count) change
each time and cannot be recorded once; their files are ignored with a reason. A file that is
not a readable PCM WAV, is silent-length or longer than a minute, is skipped with a reason
(shown by the self-test) - a bad file never stops the kiosk.
"""

from __future__ import annotations

import io
import logging
import re
import wave
from dataclasses import dataclass
from pathlib import Path

from kiosk import paths
from kiosk.speech.catalogue import PromptCatalogue, default_catalogue
from kiosk.speech.players import Player

log = logging.getLogger(__name__)

FOLDER = "recorded-prompts"
MIN_SECONDS = 0.2
MAX_SECONDS = 60.0
_FIELD = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Recording:
    key: str
    path: Path
    seconds: float
    wav: bytes


def recordings_dir() -> Path:
    return paths.data_dir() / FOLDER


def inspect_wav(data: bytes) -> float:
    """Duration in seconds of a PCM WAV; ValueError with a plain reason otherwise."""
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            channels, width, rate, frames = (w.getnchannels(), w.getsampwidth(),
                                             w.getframerate(), w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a PCM WAV file ({exc})") from exc
    if channels not in (1, 2) or width not in (1, 2) or not 8000 <= rate <= 48000:
        raise ValueError(f"{channels} channel(s), {width * 8}-bit, {rate} Hz: use mono or "
                         "stereo 16-bit PCM at 8-48 kHz")
    seconds = frames / rate
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValueError(f"{seconds:.1f} s long (expected {MIN_SECONDS}-{MAX_SECONDS:.0f} s)")
    return seconds


class RecordedPrompts:
    """The usable recordings, by the text they stand for, and the files that were refused."""

    def __init__(self, by_text: dict[str, Recording], problems: dict[str, str]) -> None:
        self.by_text = by_text
        self.problems = problems          # file name -> reason

    @classmethod
    def load(cls, folder: Path | None = None,
             catalogue: PromptCatalogue | None = None) -> RecordedPrompts:
        folder = folder or recordings_dir()
        by_text: dict[str, Recording] = {}
        problems: dict[str, str] = {}
        if not folder.is_dir():
            return cls(by_text, problems)
        catalogue = catalogue or default_catalogue()
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() != ".wav":
                continue
            key = path.stem
            reason = ""
            if key not in catalogue:
                reason = "no prompt with this id"
            elif _FIELD.search(catalogue.template(key)):
                reason = "this prompt changes each time (it has a date or number in it)"
            if reason:
                problems[path.name] = reason
                continue
            try:
                data = path.read_bytes()
                seconds = inspect_wav(data)
            except (OSError, ValueError) as exc:
                problems[path.name] = str(exc)
                continue
            text = catalogue.text(key)
            by_text[text] = Recording(key, path, seconds, data)
        for name, reason in problems.items():
            log.warning("recorded prompt %s not used: %s", name, reason)
        return cls(by_text, problems)

    def __len__(self) -> int:
        return len(self.by_text)

    def for_text(self, text: str) -> Recording | None:
        return self.by_text.get(text)

    def keys(self) -> list[str]:
        return sorted(r.key for r in self.by_text.values())


class RecordedFirstEngine:
    """Plays a recording when the text has one; otherwise the synthesis engine (if any)."""

    def __init__(self, recorded: RecordedPrompts, fallback: object | None) -> None:
        self.recorded = recorded
        self.fallback = fallback
        name = getattr(fallback, "name", "text only")
        self.name = f"recorded prompts ({len(recorded)}) + {name}"
        self.last_source = ""

    def speak(self, text: str, player: Player) -> None:
        recording = self.recorded.for_text(text)
        if recording is not None:
            self.last_source = f"recording:{recording.key}"
            player.play(recording.wav)
            return
        self.last_source = getattr(self.fallback, "name", "none")
        if self.fallback is not None:
            self.fallback.speak(text, player)      # type: ignore[attr-defined]

    def stop(self, player: Player) -> None:
        player.stop()
        if self.fallback is not None:
            self.fallback.stop(player)             # type: ignore[attr-defined]
