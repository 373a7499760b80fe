"""Can this machine speak Mandarin? Used by the self-test; never raises."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class SpeechProbe:
    status: str         # ok | warn
    reason: str
    engine: str


def probe_speech() -> SpeechProbe:
    if sys.platform == "win32":
        return _probe_sapi()
    try:
        from kiosk.speech.espeak import EspeakSynth, EspeakUnavailable
    except ImportError as exc:  # pragma: no cover - broken install
        return SpeechProbe("warn", f"speech module missing: {exc}", "none")
    try:
        pcm = EspeakSynth("cmn").synth("您好", rate_wpm=130)
    except EspeakUnavailable as exc:
        return SpeechProbe("warn", f"no Mandarin speech, text only: {exc}", "none")
    if pcm.seconds <= 0.1:
        return SpeechProbe("warn", "espeak-ng produced no audio; text only", "espeak-ng")
    player = next((p for p in ("pw-play", "paplay", "aplay") if shutil.which(p)), None)
    out = f"plays through {player}" if player else "plays through the UI's audio output"
    return SpeechProbe("ok", f"espeak-ng Mandarin voice 'cmn' ({pcm.seconds:.1f}s test phrase); "
                       f"{out}", "espeak-ng")


def _probe_sapi() -> SpeechProbe:  # pragma: no cover - Windows only
    try:
        import pyttsx3
        engine = pyttsx3.init("sapi5")
        voices = engine.getProperty("voices")
    except Exception as exc:  # noqa: BLE001 - any driver failure means text only
        return SpeechProbe("warn", f"SAPI5 unavailable, text only: {exc}", "none")
    zh = [v for v in voices if "zh" in str(v.languages).lower() or "chinese" in v.name.lower()
          or "huihui" in v.name.lower() or "2052" in str(v.id)]
    if not zh:
        return SpeechProbe("warn", "SAPI5 has no Chinese voice installed (add one in Windows "
                           "Settings > Time & language > Speech)", "sapi5")
    return SpeechProbe("ok", f"SAPI5 voice {zh[0].name}", "sapi5")
