"""`kiosk eval liveness --draws N`: attacks and genuine answers under many random draws.

Each stream (a generated attack, or a shared genuine clip) goes through the landmarker once;
its frame cues (frozen frames, surroundings moving with the face) are measured in that same
pass. Then each draw replays the observations through a fresh `LivenessSession` with a random
plan (2 actions + hold still, random order and pauses), a random moment at which the attacker
starts the video, and random speech durations before each prompt is delivered, exactly as the
kiosk asks. A draw passes only if the session passes and no frame cue fired.

Genuine answers simulate a person answering a prompt honestly from `events.csv`: for a
labelled action, the prompt is delivered 0.8-2.5 s (uniform) before the labelled start, the
clip is cut so that the baseline, the pause and the speech precede it, and that action is
asked. A cut whose lead-in holds another labelled challenge action (a person asked to blink
does not nod first) cannot be made and is counted as skipped, never as passed.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.vision import pad as padlib
from kiosk.vision.challenges import LivenessConfig
from kiosk.vision.liveness import FROZEN_FRAME, HANDHELD_PLANE, SPLICED_STREAM, LivenessSession
from kiosk.vision.observe import FaceObservation
from kiosk.vision.sequence import AttemptPlan, AttemptPlanner
from kiosk.vision.splice import CutDetector
from kiosk.vision.surround import SurroundTracker

SPEECH_S = (1.0, 2.5)          # how long a prompt takes to say, drawn per step
REACTION_S = (0.8, 2.5)        # genuine answers: action starts this long after the prompt
# The one labelled head turn (d3, "side glance") peaks at 10 deg of yaw, measured: a glance,
# not the 18-deg turn the prompt asks for, so it is no genuine *answer* (the montage uses it).
NOT_AN_ANSWER = frozenset({"turn_left", "turn_right"})


@dataclass(frozen=True)
class Stream:
    name: str
    kind: str                       # genuine clip name, or the attack kind
    label: str                      # genuine | attack
    observations: tuple[FaceObservation, ...] = field(repr=False)
    fps: float = 30.0
    frame_reasons: tuple[str, ...] = ()
    cues: dict[str, Any] = field(default_factory=dict)
    cut_frames: tuple[int, ...] = ()     # first frame after each cut (splice.py)


@dataclass(frozen=True)
class DrawItem:
    path: str
    label: str
    kind: str
    draw: int
    challenges: tuple[str, ...]
    passed: bool
    reasons: tuple[str, ...]
    completed: tuple[str, ...]
    onset_delays_s: tuple[float, ...] = ()


def webcam_jpeg(frames: Iterable[np.ndarray], quality: int) -> Iterator[np.ndarray]:
    """Frames as a USB webcam's MJPEG stream delivers them (JPEG at `quality`)."""
    import cv2

    for f in frames:
        yield cv2.imdecode(cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], 1)


def observe_stream(name: str, kind: str, label: str, frames: Iterable[np.ndarray], observer: Any,
                   *, fps: float = 30.0, cfg: LivenessConfig | None = None,
                   jpeg: int = 0) -> Stream:
    """One pass: observations plus the frame cues of the whole stream (`jpeg`: every frame
    JPEG-compressed at that quality first, as the camera would deliver it)."""
    cfg = cfg or LivenessConfig()
    if jpeg:
        frames = webcam_jpeg(frames, jpeg)
    surround = SurroundTracker()
    cuts = CutDetector()
    obs: list[FaceObservation] = []
    prev = None
    pairs = frozen = 0
    start = getattr(observer, "_last_ts", -1) + 1000      # VIDEO mode: time must grow
    for i, frame in enumerate(frames):
        o = observer.observe(frame, int(start + i * 1000.0 / fps))
        obs.append(o)
        surround.feed(frame, o)
        cuts.feed(frame, o)
        if prev is not None:
            pairs += 1
            frozen += padlib.frame_difference(prev, frame) < cfg.frozen_diff
        prev = frame
    reasons = []
    if pairs >= 5 and frozen / pairs >= cfg.frozen_max_share:
        reasons.append(FROZEN_FRAME)
    if surround.rigid_share(cfg.surround_max_ratio, cfg.surround_min_frames):
        reasons.append(HANDHELD_PLANE)
    if cuts.cuts and label == "genuine":     # attacks: judged per draw, on its own frames
        reasons.append(SPLICED_STREAM)
    cues = {"frozen_share": frozen / pairs if pairs else None,
            "surround_ratio": surround.median_ratio(), "surround_frames": surround.moving_frames,
            "faces": sum(o.has_face for o in obs), "frames": len(obs),
            "cuts": len(cuts.cuts), "largest_cut_ratio": cuts.largest_ratio}
    return Stream(name, kind, label, tuple(obs), fps, tuple(reasons), cues,
                  tuple(cuts.cuts))


def replay(observations: Iterable[FaceObservation], plan: AttemptPlan, rng: random.Random,
           cfg: LivenessConfig | None = None, *, deliver_at: dict[int, float] | None = None
           ) -> LivenessSession:
    """Run one attempt over observations, delivering each prompt after a drawn speech time
    (or at the given session time for step i in `deliver_at`)."""
    s = LivenessSession(plan.steps, cfg, pauses_s=plan.pauses_s, prompt_mode="told")
    scheduled: tuple[Any, float] | None = None
    t0 = None
    s.frames_used = 0                     # type: ignore[attr-defined]
    for o in observations:
        s.frames_used += 1                # type: ignore[attr-defined]
        t = o.timestamp_ms / 1000.0
        t0 = t if t0 is None else t0
        if scheduled is not None and t - t0 >= scheduled[1]:
            s.prompt_delivered(t0 + scheduled[1])
            scheduled = (scheduled[0], float("inf"))      # told once
        p = s.update(o)
        if s.done:
            break
        if p.awaiting_prompt:
            key = (p.index, p.coaching)
            if scheduled is None or scheduled[0] != key:
                if deliver_at is not None and p.index in deliver_at and p.coaching is None:
                    when = deliver_at[p.index]
                else:
                    when = (t - t0) + rng.uniform(*SPEECH_S)
                scheduled = (key, when)
    s.finish()
    return s


def attack_draws(stream: Stream, draws: int, seed: int, cfg: LivenessConfig | None = None
                 ) -> list[DrawItem]:
    items = []
    for d in range(draws):
        rng = random.Random(f"{seed}:{stream.name}:{d}")
        plan = AttemptPlanner(rng).plan(count=2)
        n = len(stream.observations)
        start = rng.randrange(0, max(1, n // 3))     # the attacker starts the video any time
        s = replay(stream.observations[start:], plan, rng, cfg)
        r = s.result
        assert r is not None
        # a cut counts only if it fell inside the frames this attempt saw
        end = start + s.frames_used               # type: ignore[attr-defined]
        cut = (SPLICED_STREAM,) if any(start < c < end for c in stream.cut_frames) else ()
        frame_reasons = (*stream.frame_reasons, *cut)
        reasons = tuple(dict.fromkeys((*r.reasons, *frame_reasons)))
        items.append(DrawItem(stream.name, stream.label, stream.kind, d, plan.steps,
                              r.passed and not frame_reasons, reasons, r.completed,
                              tuple(s.onset_delays)))
    return items


# --- genuine answers -----------------------------------------------------------------------

def challenge_of(event: str) -> str | None:
    """The challenge a labelled event of events.csv performs, or None."""
    e = event.strip().lower()
    if e.startswith("blink (partial)") or e.startswith("wink"):
        return None
    if e.startswith("blink") or e.startswith("eyes_closed"):
        return "blink"
    if e.startswith("mouth_open_wide"):
        return "open_mouth"
    if e.startswith("head_turn") and "right" in e:
        return "turn_right"
    if e.startswith("head_tilt_down"):
        return "nod"
    return None


@dataclass(frozen=True)
class Event:
    file: str
    start_s: float
    end_s: float
    challenge: str


def read_events(path: Path) -> list[Event]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        c = challenge_of(r["event"])
        if c is not None:
            out.append(Event(r["file"], float(r["t_start_s"]), float(r["t_end_s"]), c))
    return out


def _clash(o: Event, ev: Event, base0: float, base1: float, announce: float,
           deliver: float) -> bool:
    """Would a person honestly answering `ev` not have done `o` where it lies? The baseline
    holds no labelled action; between the announcement and the answer no other challenge
    action; the asked action itself only before the prompt ended (then it does not count)."""
    if o is ev or o.challenge == "blink":
        return False
    if o.end_s > base0 and o.start_s < base1:
        return True
    if o.challenge != ev.challenge:
        return o.end_s > announce and o.start_s < ev.start_s
    return o.end_s > deliver and o.start_s < ev.start_s


def genuine_draws(stream: Stream, events: list[Event], draws: int, seed: int,
                  cfg: LivenessConfig | None = None) -> tuple[list[DrawItem], int]:
    """Each labelled action of this clip answered under `draws` drawn delays; (items, skipped)."""
    cfg = cfg or LivenessConfig()
    mine = [e for e in events if e.file == stream.name]
    answers = [e for e in mine if e.challenge not in NOT_AN_ANSWER]
    items, skipped = [], 0
    obs = stream.observations
    t_first = obs[0].timestamp_ms / 1000.0
    for k, ev in enumerate(answers):
        for d in range(draws):
            rng = random.Random(f"{seed}:{stream.name}:{k}:{d}")
            for _ in range(40):        # a cut this clip allows, delay still 0.8-2.5 s
                delay = rng.uniform(*REACTION_S)
                speech = rng.uniform(*SPEECH_S)
                pause = rng.uniform(0.3, 1.5)
                deliver = ev.start_s - delay
                cut = deliver - speech - pause - cfg.baseline_s - 0.1
                if cut >= 0 and not any(_clash(o, ev, cut, cut + cfg.baseline_s + 0.1,
                                               deliver - speech, deliver) for o in mine):
                    break
            else:
                skipped += 1
                continue
            seg = [o for o in obs if cut <= o.timestamp_ms / 1000.0 - t_first
                   <= ev.end_s + cfg.finish_s]
            plan = AttemptPlan((ev.challenge,), (pause,))
            seg_t0 = seg[0].timestamp_ms / 1000.0 - t_first
            s = replay(seg, plan, rng, cfg, deliver_at={0: deliver - seg_t0})
            r = s.result
            assert r is not None
            reasons = tuple(dict.fromkeys((*r.reasons, *stream.frame_reasons)))
            items.append(DrawItem(f"{stream.name}@{ev.start_s:.2f}", "genuine",
                                  ev.challenge, d, plan.steps,
                                  r.passed and not stream.frame_reasons, reasons, r.completed,
                                  tuple(s.onset_delays)))
    return items, skipped


def still_draws(stream: Stream, events: list[Event], draws: int, seed: int,
                cfg: LivenessConfig | None = None) -> tuple[list[DrawItem], int]:
    """'Hold still' asked of a genuine clip at moments with no labelled challenge action."""
    cfg = cfg or LivenessConfig()
    mine = [e for e in events if e.file == stream.name and e.challenge != "blink"]
    obs = stream.observations
    t_first = obs[0].timestamp_ms / 1000.0
    length = obs[-1].timestamp_ms / 1000.0 - t_first
    items, skipped = [], 0
    for d in range(draws):
        rng = random.Random(f"{seed}:{stream.name}:still:{d}")
        pause, speech = rng.uniform(0.3, 1.5), rng.uniform(*SPEECH_S)
        deliver = rng.uniform(cfg.baseline_s + pause + speech + 0.1,
                              max(0.0, length - cfg.still_grace_s - cfg.still_s - 0.1))
        cut = deliver - speech - pause - cfg.baseline_s - 0.1
        end = deliver + cfg.still_grace_s + cfg.still_s + 0.2
        if cut < 0 or end > length or any(e.end_s > cut and e.start_s < end for e in mine):
            skipped += 1
            continue
        seg = [o for o in obs if cut <= o.timestamp_ms / 1000.0 - t_first <= end]
        seg_t0 = seg[0].timestamp_ms / 1000.0 - t_first
        s = replay(seg, AttemptPlan(("hold_still",), (pause,)), rng, cfg,
                   deliver_at={0: deliver - seg_t0})
        r = s.result
        assert r is not None
        items.append(DrawItem(f"{stream.name}@still{deliver:.2f}", "genuine", "hold_still", d,
                              ("hold_still",), r.passed, r.reasons, r.completed))
    return items, skipped


def summarise_draws(items: list[DrawItem], skipped: int = 0) -> dict[str, Any]:
    attacks = [i for i in items if i.label == "attack"]
    genuine = [i for i in items if i.label == "genuine" and i.kind != "hold_still"]
    still = [i for i in items if i.label == "genuine" and i.kind == "hold_still"]
    per_kind: dict[str, Any] = {}
    for kind in sorted({i.kind for i in attacks}):
        mine = [i for i in attacks if i.kind == kind]
        cues: dict[str, int] = {}
        for i in mine:
            for r in i.reasons:
                cues[r] = cues.get(r, 0) + 1
        per_kind[kind] = {"draws": len(mine), "passed": sum(i.passed for i in mine),
                          "apcer": sum(i.passed for i in mine) / len(mine), "stopped_by": cues}
    per_action: dict[str, Any] = {}
    for kind in sorted({i.kind for i in genuine + still}):
        mine = [i for i in genuine + still if i.kind == kind]
        fails: dict[str, int] = {}
        for i in mine:
            for r in i.reasons:
                fails[r] = fails.get(r, 0) + 1
        per_action[kind] = {"answers": len(mine), "rejected": sum(not i.passed for i in mine),
                            "reasons": fails}
    delays = [d for i in genuine for d in i.onset_delays_s]
    return {
        "apcer": sum(i.passed for i in attacks) / len(attacks) if attacks else None,
        "bpcer": sum(not i.passed for i in genuine) / len(genuine) if genuine else None,
        # the shared clips show performers never asked to hold still: reported apart
        "bpcer_hold_still": sum(not i.passed for i in still) / len(still) if still else None,
        "attacks": len(attacks), "genuine": len(genuine), "genuine_skipped": skipped,
        "per_attack": per_kind, "per_genuine_action": per_action,
        "genuine_onset_delay_s": (None if not delays else
                                  {"min": min(delays), "p50": float(np.median(delays)),
                                   "p95": float(np.percentile(delays, 95)),
                                   "max": max(delays)}),
    }


def read_clip(path: Path) -> tuple[list[np.ndarray], float]:
    from kiosk.camera.video_file import file_fps, read_frames

    return read_frames(path), file_fps(path)


def frames_in(frames: list[np.ndarray], fps: float, start_s: float, end_s: float
              ) -> list[np.ndarray]:
    return frames[int(start_s * fps):int(end_s * fps) + 1]


def iter_limit(frames: Iterator[np.ndarray], n: int) -> Iterator[np.ndarray]:
    for i, f in enumerate(frames):
        if i >= n:
            return
        yield f
