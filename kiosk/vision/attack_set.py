"""The attack set and genuine streams of `kiosk eval liveness --draws`, built from shared data.

Nothing is written to disk: every stream is generated, observed once and kept as
observations. `liveness_dir` is the shared `liveness` folder (clips, events.csv); stills come
from the first frames of those clips and from the `spoof` folder beside it.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.camera.sources import read_image
from kiosk.vision import attacks
from kiosk.vision.liveness_eval import (
    DrawItem,
    Event,
    Stream,
    attack_draws,
    frames_in,
    genuine_draws,
    observe_stream,
    read_clip,
    read_events,
    still_draws,
    summarise_draws,
)

ATTACK_KINDS = ("loop_injected", "loop_phone", "montage", "still_screen", "still_print",
                "warped_photo")
SPOOF_STILLS = ("silent_face/image_F1.jpg", "silent_face/image_T1.jpg",
                "hyperfas/fake_screen.png")


def clip_names(liveness_dir: Path) -> list[str]:
    return sorted(p.name for p in liveness_dir.glob("*.mp4"))


def _stills(liveness_dir: Path, clips: dict[str, tuple[list[np.ndarray], float]]
            ) -> list[tuple[str, np.ndarray]]:
    out = [(f"{name}#0", frames[0]) for name, (frames, _) in clips.items() if frames]
    for rel in SPOOF_STILLS:
        img = read_image(liveness_dir.parent / "spoof" / rel)
        if img is not None:
            out.append((rel, img))
    return out


def _montage_segments(clips: dict[str, tuple[list[np.ndarray], float]], events: list[Event]
                      ) -> list[list[np.ndarray]]:
    """One segment per labelled challenge action (+0.6 s either side); a mirrored turn gives
    the other direction, so the montage holds all five challenges."""
    segs = []
    for e in events:
        if e.file not in clips:
            continue
        frames, fps = clips[e.file]
        seg = frames_in(frames, fps, max(0.0, e.start_s - 0.6), e.end_s + 0.6)
        segs.append(seg)
        if e.challenge == "turn_right":
            segs.append([cv2.flip(f, 1) for f in seg])
    return segs


def _face_rows(observer: Any, img: np.ndarray) -> tuple[float, float, float] | None:
    from kiosk.vision.observe import LEFT_IRIS, MOUTH_BOTTOM, MOUTH_TOP, RIGHT_IRIS

    o = None
    for i in range(3):
        o = observer.observe(img, getattr(observer, "_last_ts", 0) + 1000 + i)
    if o is None or o.landmarks is None or o.box is None:
        return None
    lm = o.landmarks
    eyes = float((lm[LEFT_IRIS, 1] + lm[RIGHT_IRIS, 1]) / 2)
    mouth = float((lm[MOUTH_TOP, 1] + lm[MOUTH_BOTTOM, 1]) / 2)
    return eyes, mouth, float(o.box[3])


def build_streams(liveness_dir: Path, observer: Any, *, kinds: Iterable[str] = ATTACK_KINDS,
                  clips: Iterable[str] | None = None, seed: int = 0,
                  progress: Callable[[str], None] | None = None, camera_jpeg: int = 0
                  ) -> tuple[list[Stream], list[Stream], list[Event]]:
    """(genuine streams, attack streams, labelled events); `camera_jpeg`: every frame the
    camera would see, genuine or attack, JPEG-compressed at that quality (MJPEG webcams)."""
    look = functools.partial(observe_stream, jpeg=camera_jpeg)
    say = progress or (lambda _m: None)
    names = list(clips) if clips is not None else clip_names(liveness_dir)
    loaded = {n: read_clip(liveness_dir / n) for n in names}
    events = read_events(liveness_dir / "events.csv")
    genuine = []
    for n, (frames, fps) in loaded.items():
        say(f"genuine {n}")
        genuine.append(look(n, n, "genuine", frames, observer, fps=fps))
    kinds = tuple(kinds)
    out = []
    rng = random.Random(seed)
    for n, (frames, fps) in loaded.items():
        if "loop_injected" in kinds:
            say(f"loop_injected {n}")
            out.append(look(f"loop3:{n}", "loop_injected", "attack",
                                      attacks.looped(frames, seed=rng.randrange(1 << 30)),
                                      observer, fps=fps))
        if "loop_phone" in kinds:
            say(f"loop_phone {n}")
            out.append(look(f"phone_loop3:{n}", "loop_phone", "attack",
                                      attacks.on_phone(attacks.looped(frames, seed=rng.randrange(1 << 30)),
                                                       seed=rng.randrange(1 << 30), fps=fps),
                                      observer, fps=fps))
    if "montage" in kinds:
        segs = _montage_segments(loaded, events)
        if segs:
            say("montage")
            out.append(look("montage:all_actions", "montage", "attack",
                                      attacks.montage(segs, seed=rng.randrange(1 << 30)),
                                      observer))
    stills = _stills(liveness_dir, loaded) if {"still_screen", "still_print",
                                               "warped_photo"} & set(kinds) else []
    for name, img in stills:
        if "still_screen" in kinds:
            say(f"still_screen {name}")
            out.append(look(f"screen:{name}", "still_screen", "attack",
                                      attacks.still_on_phone(img, seed=rng.randrange(1 << 30)),
                                      observer))
        if "still_print" in kinds:
            say(f"still_print {name}")
            out.append(look(f"print:{name}", "still_print", "attack",
                                      attacks.held_print(img, seed=rng.randrange(1 << 30)),
                                      observer))
        if "warped_photo" in kinds:
            rows = _face_rows(observer, img)
            if rows is not None:
                say(f"warped_photo {name}")
                out.append(look(
                    f"warp:{name}", "warped_photo", "attack",
                    attacks.warped_photo(img, eyes_y=rows[0], mouth_y=rows[1], face_h=rows[2],
                                         seed=rng.randrange(1 << 30)), observer))
    return genuine, out, events


def evaluate_draws(liveness_dir: Path, *, draws: int, seed: int = 0,
                   kinds: Iterable[str] = ATTACK_KINDS, clips: Iterable[str] | None = None,
                   genuine_draws_per_event: int | None = None, observer: Any = None,
                   progress: Callable[[str], None] | None = None, camera_jpeg: int = 0
                   ) -> tuple[list[DrawItem], dict[str, Any], list[Stream]]:
    from kiosk.vision.observe import FaceObserver

    own = observer is None
    observer = observer or FaceObserver()
    try:
        genuine, attack, events = build_streams(liveness_dir, observer, kinds=kinds,
                                                clips=clips, seed=seed, progress=progress,
                                                camera_jpeg=camera_jpeg)
    finally:
        if own:
            observer.close()
    g_draws = genuine_draws_per_event or max(1, draws // 10)
    items: list[DrawItem] = []
    skipped = 0
    for st in genuine:
        got, sk = genuine_draws(st, events, g_draws, seed)
        items += got
        skipped += sk
        got, sk = still_draws(st, events, g_draws, seed)
        items += got
        skipped += sk
    for st in attack:
        items += attack_draws(st, draws, seed)
    summary = summarise_draws(items, skipped)
    summary.update({"seed": seed, "draws": draws, "camera_jpeg": camera_jpeg,
                    "genuine_draws_per_event": g_draws,
                    "streams": {s.name: s.cues | {"frame_reasons": list(s.frame_reasons)}
                                for s in genuine + attack}})
    return items, summary, genuine + attack
