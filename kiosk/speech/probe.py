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
    """SAPI5 and OneCore together: a OneCore-only Chinese voice still speaks."""
    from kiosk.speech.voices import collect, describe_voices, select_voice, sources_for

    found = collect(sources_for("win32"))
    status, reason = describe_voices(found)
    voice = select_voice(found.voices)
    return SpeechProbe(status, reason, voice.engine if voice else "none")


def probe_voices() -> tuple[str, str]:
    """Every Mandarin voice of every engine on this machine (status, reason)."""
    from kiosk.speech.voices import collect, describe_voices, sources_for

    return describe_voices(collect(sources_for()))


def probe_recordings() -> tuple[str, str]:
    """The centre's recorded prompts: which are used, which files were refused and why."""
    from kiosk.speech.recorded import RecordedPrompts, recordings_dir

    rec = RecordedPrompts.load()
    folder = recordings_dir()
    refused = "; ".join(f"{name}: {why}" for name, why in rec.problems.items())
    if not len(rec) and not refused:
        return "ok", f"none in {folder}; every prompt is synthesised"
    used = f"{len(rec)} recorded prompt(s) play instead of synthesis ({', '.join(rec.keys())})"
    if refused:
        return "warn", f"{used}; NOT used: {refused}"
    return "ok", used
