"""Every Mandarin voice this machine can use, from every engine, and which one speaks.

Windows has two voice stores. SAPI5 (what pyttsx3 lists) holds "Huihui Desktop" only on
Chinese-language Windows; voices added through Settings > Time & language > Speech are
OneCore voices, reached through the WinRT SpeechSynthesizer (`winrt-Windows.Media.
SpeechSynthesis`), which SAPI5 enumeration does not see. Linux has espeak-ng's 'cmn'. Each
store is a `VoiceSource`; the self-test lists the Mandarin voices of all of them, and
`select_voice` picks the one the Speaker uses: the configured voice when it exists, else the
first mainland Mandarin (zh-CN) voice in engine order (SAPI5, then OneCore), else any other
Mandarin (zh-TW). Cantonese (zh-HK, yue) is not Mandarin and is never chosen.

Only the selection and the espeak-ng source run here; the SAPI5 and OneCore sources are
Windows-only and marked so.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

ENGINE_ORDER = ("sapi5", "onecore", "espeak-ng")


@dataclass(frozen=True)
class Voice:
    engine: str          # sapi5 | onecore | espeak-ng
    id: str              # what the engine is given to select it
    name: str
    language: str        # BCP-47-ish: zh-CN, zh-TW, cmn, yue, en-US ...


@dataclass(frozen=True)
class VoiceList:
    voices: tuple[Voice, ...]
    problems: tuple[str, ...]        # "onecore: winrt not installed", ...


class VoiceSource(Protocol):
    engine: str

    def voices(self) -> list[Voice]:
        """The installed voices; raises when the engine itself is unavailable."""


def mandarin_rank(voice: Voice) -> int | None:
    """0 for mainland Mandarin, 1 for other Mandarin, None for anything else."""
    lang = voice.language.lower().replace("_", "-")
    label = f"{voice.name} {voice.id}".lower()
    if lang.startswith(("zh-hk", "zh-mo", "yue")) or "cantonese" in label:
        return None
    if lang in ("zh-cn", "zh-hans", "zh-hans-cn", "cmn", "zh", "2052") or \
            lang.startswith(("zh-cn", "cmn")):
        return 0
    if lang.startswith(("zh-tw", "zh-sg", "zh-hant")):
        return 1
    if not lang and any(k in label for k in ("huihui", "kangkang", "yaoyao", "xiaoxiao",
                                               "chinese", "zh-cn", "2052")):
        return 0
    return None


def mandarin_voices(voices: Iterable[Voice]) -> list[Voice]:
    """Mandarin voices, best first (mainland, then engine order), stable otherwise."""
    ranked = [(mandarin_rank(v), v) for v in voices]
    chosen = [(r, v) for r, v in ranked if r is not None]
    order = {e: i for i, e in enumerate(ENGINE_ORDER)}
    chosen.sort(key=lambda rv: (rv[0], order.get(rv[1].engine, 99)))
    return [v for _, v in chosen]


def select_voice(voices: Iterable[Voice], wanted: str = "") -> Voice | None:
    """The configured voice (by id or name, any engine) if present, else the best Mandarin."""
    pool = list(voices)
    if wanted:
        w = wanted.lower()
        for v in pool:
            if w in (v.id.lower(), v.name.lower()):
                return v
    best = mandarin_voices(pool)
    return best[0] if best else None


def collect(sources: Iterable[VoiceSource]) -> VoiceList:
    voices: list[Voice] = []
    problems: list[str] = []
    for source in sources:
        try:
            voices.extend(source.voices())
        except Exception as exc:  # noqa: BLE001 - one broken engine must not hide the others
            problems.append(f"{source.engine}: {type(exc).__name__}: {exc}")
    return VoiceList(tuple(voices), tuple(problems))


class EspeakVoices:
    """espeak-ng's voice list through its C library (espeak_ListVoices)."""

    engine = "espeak-ng"

    class _Voice(ctypes.Structure):
        _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_void_p),
                    ("identifier", ctypes.c_char_p), ("gender", ctypes.c_ubyte),
                    ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                    ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int),
                    ("spare", ctypes.c_void_p)]

    def voices(self) -> list[Voice]:
        from kiosk.speech.espeak import EspeakSynth

        EspeakSynth._load()
        lib = EspeakSynth._lib
        assert lib is not None
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(self._Voice))
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        table = lib.espeak_ListVoices(None)
        out = []
        i = 0
        while table[i]:
            v = table[i].contents
            langs = _espeak_languages(v.languages)
            name = (v.name or b"").decode("utf-8", "replace")
            ident = (v.identifier or b"").decode("utf-8", "replace")
            out.append(Voice(self.engine, langs[0] if langs else ident, name,
                             langs[0] if langs else ""))
            i += 1
        return out


def _espeak_languages(address: int | None) -> list[str]:
    """espeak's languages field: (priority byte, NUL-terminated name)* then a 0 byte."""
    out: list[str] = []
    if not address:
        return out
    pos = address
    for _ in range(16):
        if ctypes.c_ubyte.from_address(pos).value == 0:
            break
        text = ctypes.string_at(pos + 1)
        out.append(text.decode("ascii", "replace"))
        pos += 1 + len(text) + 1
    return out


class Sapi5Voices:  # pragma: no cover - Windows only
    """SAPI5 desktop voices as pyttsx3 lists them."""

    engine = "sapi5"

    def voices(self) -> list[Voice]:
        import pyttsx3

        engine = pyttsx3.init("sapi5")
        out = []
        for v in engine.getProperty("voices"):
            langs = [lang.decode() if isinstance(lang, bytes) else str(lang)
                     for lang in (v.languages or [])]
            lang = langs[0] if langs else ("zh-CN" if "2052" in str(v.id) else "")
            out.append(Voice(self.engine, str(v.id), str(v.name), lang))
        return out


class OneCoreVoices:  # pragma: no cover - Windows only
    """OneCore voices (those added in Windows Settings) through WinRT."""

    engine = "onecore"

    def voices(self) -> list[Voice]:
        from winrt.windows.media.speechsynthesis import SpeechSynthesizer

        return [Voice(self.engine, v.id, v.display_name, v.language)
                for v in SpeechSynthesizer.all_voices]


def sources_for(platform: str = sys.platform) -> list[VoiceSource]:
    if platform == "win32":
        return [Sapi5Voices(), OneCoreVoices()]
    return [EspeakVoices()]


def describe_voices(found: VoiceList) -> tuple[str, str]:
    """(status, reason) for the self-test: every usable Mandarin voice, by engine."""
    zh = mandarin_voices(found.voices)
    notes = f"; not available: {'; '.join(found.problems)}" if found.problems else ""
    if not zh:
        return "warn", ("no Mandarin voice on this machine; prompts are text only (Windows: "
                        "Settings > Time & language > Speech > Add voices > 中文(简体)" + ")"
                        + notes)
    listed = ", ".join(f"{v.engine}:{v.name} [{v.language}]" for v in zh)
    return "ok", f"{len(zh)} Mandarin voice(s): {listed}{notes}"
