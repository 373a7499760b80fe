"""Windows-only speech pieces: the OneCore (WinRT) voice engine and a WAV player.

NOT RUN HERE (no Windows machine): both sit behind the small interfaces the Linux code uses
(`SpeechEngine`, `Player`), so everything around them - which voice, recorded prompts first,
stop on a new screen - is exercised by the tests on Linux; these classes are the thin ends.
`winrt-Windows.Media.SpeechSynthesis` (+ `winrt-Windows.Storage.Streams`) provide the WinRT
calls; `winsound` is in the Windows standard library.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

from kiosk.config import SpeechSection
from kiosk.speech.players import Player

log = logging.getLogger(__name__)


class WinsoundPlayer:  # pragma: no cover - Windows only
    """Plays a WAV synchronously on the speaker thread; `stop()` purges it."""

    name = "winsound"

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="kiosk_speech_"))
        self._lock = threading.Lock()

    def play(self, wav: bytes) -> None:
        import winsound

        path = self._dir / "prompt.wav"
        with self._lock:
            path.write_bytes(wav)
        winsound.PlaySound(str(path), winsound.SND_FILENAME | winsound.SND_NODEFAULT)

    def stop(self) -> None:
        import winsound

        winsound.PlaySound(None, winsound.SND_PURGE)


class OneCoreEngine:  # pragma: no cover - Windows only
    """A OneCore voice through WinRT's SpeechSynthesizer: text -> WAV stream -> Player."""

    name = "onecore"

    def __init__(self, settings: SpeechSection, voice_id: str) -> None:
        from winrt.windows.media.speechsynthesis import SpeechSynthesizer

        self._synth = SpeechSynthesizer()
        voice = next((v for v in SpeechSynthesizer.all_voices if v.id == voice_id), None)
        if voice is None:
            raise RuntimeError(f"OneCore voice {voice_id!r} not installed")
        self._synth.voice = voice
        # WinRT speaking rate is a multiplier (1.0 = normal); settings are words/min and the
        # engines' normal is about 180 wpm.
        self._synth.options.speaking_rate = max(0.5, min(3.0, settings.rate / 180))
        self._synth.options.audio_volume = settings.volume

    def speak(self, text: str, player: Player) -> None:
        import asyncio

        player.play(asyncio.run(self._wav(text)))

    async def _wav(self, text: str) -> bytes:
        from winrt.windows.storage.streams import DataReader

        stream = await self._synth.synthesize_text_to_stream_async(text)
        size = stream.size
        reader = DataReader(stream.get_input_stream_at(0))
        await reader.load_async(size)
        buf = bytearray(size)
        reader.read_bytes(buf)
        return bytes(buf)

    def stop(self, player: Player) -> None:
        player.stop()
