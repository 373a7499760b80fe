"""Mandarin speech on Linux through espeak-ng's C library, shipped by the espeakng-loader wheel.

pyttsx3's espeak driver needs aplay/ffmpeg on the machine; this talks to libespeak-ng directly
and returns PCM, so a fresh machine needs nothing from the system package manager. Playback is
someone else's job (a Qt audio sink in the UI, or an `aplay`-like command when present).
"""

from __future__ import annotations

import ctypes
import io
import os
import threading
import wave
from dataclasses import dataclass

AUDIO_OUTPUT_SYNCHRONOUS = 0x02
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE = 1
ESPEAK_VOLUME = 2

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.c_void_p)


class EspeakUnavailable(RuntimeError):
    """libespeak-ng or its data could not be loaded."""


@dataclass(frozen=True)
class Pcm:
    samples: bytes            # 16-bit little-endian mono
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / 2 / self.rate if self.rate else 0.0

    def wav_bytes(self) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(self.samples)
        return buf.getvalue()


class EspeakSynth:
    """One espeak-ng instance (the library is a process-wide singleton); thread-safe."""

    _lock = threading.Lock()
    _lib: ctypes.CDLL | None = None
    _rate_hz = 0

    def __init__(self, voice: str = "cmn") -> None:
        self.voice = voice
        self._chunks: list[bytes] = []
        self._cb = _CALLBACK(self._on_samples)
        self._load()

    @classmethod
    def _load(cls) -> None:
        if cls._lib is not None:
            return
        try:
            import espeakng_loader
        except ImportError as exc:
            raise EspeakUnavailable("espeakng-loader is not installed") from exc
        data = espeakng_loader.get_data_path()
        os.environ.setdefault("ESPEAK_DATA_PATH", data)
        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
        except OSError as exc:
            raise EspeakUnavailable(f"libespeak-ng did not load: {exc}") from exc
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint,
                                     ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                     ctypes.c_void_p, ctypes.c_void_p]
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), 0)
        if rate <= 0:
            raise EspeakUnavailable(f"espeak_Initialize failed ({rate})")
        cls._lib, cls._rate_hz = lib, rate

    def _on_samples(self, wav, count, _events) -> int:
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    def synth(self, text: str, *, rate_wpm: int = 130, volume: float = 1.0) -> Pcm:
        """Speak `text` into PCM; returns nothing audible by itself."""
        lib = self._lib
        assert lib is not None
        with self._lock:
            self._chunks = []
            lib.espeak_SetSynthCallback(self._cb)
            if lib.espeak_SetVoiceByName(self.voice.encode()) != 0:
                raise EspeakUnavailable(f"voice {self.voice!r} is not available")
            lib.espeak_SetParameter(ESPEAK_RATE, int(rate_wpm), 0)
            lib.espeak_SetParameter(ESPEAK_VOLUME, int(max(0.0, min(1.0, volume)) * 100), 0)
            raw = text.encode("utf-8") + b"\0"
            buf = ctypes.create_string_buffer(raw)
            err = lib.espeak_Synth(buf, len(raw), 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8,
                                   None, None)
            lib.espeak_Synchronize()
            if err != 0:
                raise EspeakUnavailable(f"espeak_Synth failed ({err})")
            return Pcm(b"".join(self._chunks), self._rate_hz)
