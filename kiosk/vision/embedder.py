"""Face embeddings computed ahead of the decision, in a child process.

Why a process: dlib's ResNet (the offline default) costs ~140 ms per face on these 2 cores
(no BLAS, one thread) and holds the GIL while it runs, so a thread next to the vision worker
would stall the per-frame pipeline for 140 ms at a time (measured: a 1 ms sleeper thread
got 5 turns in 0.4 s of embedding). A child process runs on the other core and never touches
the worker's frames. It owns its own FaceMatcher (the same pinned weights, the same
alignment), so its vectors are the ones the worker would compute.

What it is given, and when:
- references, as soon as the resident is known (the vision port's `prepare_references`,
  before liveness starts): the child inspects, aligns and embeds each still;
- probes, while the attempt runs: every candidate that enters the current best-K set (the
  worker's probe choice) is aligned on the worker (~1 ms) and sent, at most one every
  `min_gap_s` and at most `max_in_flight` waiting, so the child uses at most part of a core;
- at the decision, whatever is still missing is split between the child and the worker.

So after liveness passes, the decision is mostly distances. Without the child (it failed to
start, or `VisionOptions.embedder` is off) everything is embedded in the worker, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing as mp
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 120.0
RESULT_TIMEOUT_S = 15.0


def content_key(image: Any) -> bytes:
    """The same key FaceMatcher's reference cache uses (content, not identity)."""
    if not isinstance(image, np.ndarray) or not image.size:
        return b""
    return hashlib.sha1(image.tobytes()).digest() + str(image.shape).encode()


def _serve(conn: Any, model_name: str, models_dir: str | None) -> None:
    """The child: build the matcher, then answer requests in order until 'stop'."""
    from kiosk.logs import quiet_third_party
    from kiosk.vision.match import FaceMatcher, StillFace

    quiet_third_party()
    try:
        matcher = FaceMatcher(model_name, models_dir=Path(models_dir) if models_dir else None)
        cold = matcher.warm_up()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which falls back
        conn.send(("failed", type(exc).__name__))
        return
    conn.send(("ready", cold))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        kind = msg[0]
        if kind == "stop":
            break
        key = msg[1]
        try:
            if kind == "ref":
                still, vec = matcher.embed_reference(msg[2])
                meta = StillFace(None, still.faces, still.face_px, still.problem)
                conn.send(("ref", key, meta, vec))
            elif kind == "probe":
                conn.send(("probe", key, None, matcher.embed_aligned([msg[2]])[0]))
        except Exception as exc:  # noqa: BLE001
            conn.send(("error", key, type(exc).__name__, None))
    matcher.close()


class Embedder:
    """The parent's handle on the child. One owner thread (the vision worker)."""

    def __init__(self, model_name: str = "Dlib", *, models_dir: Path | None = None,
                 min_gap_s: float = 0.25, max_in_flight: int = 2) -> None:
        self.model_name = model_name
        self.min_gap_s = min_gap_s
        self.max_in_flight = max_in_flight
        self._models_dir = models_dir
        self._conn: Any = None
        self._proc: Any = None
        self.ready = False
        self.cold_start_s: float | None = None
        self._pending: set[Any] = set()
        self._done: dict[Any, tuple[Any, Any]] = {}      # key -> (meta or None, vector)
        self._last_probe_sent = -1e9
        self._next_probe = 0
        self._probe_keys: dict[int, tuple[Any, int]] = {}  # id(probe) -> (probe, key)

    # --- life ---------------------------------------------------------------------------
    def start(self, timeout: float = READY_TIMEOUT_S) -> bool:
        self.launch()
        return self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the child (it loads while the caller does other work)."""
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, name="face-embedder", daemon=True,
                                 args=(child, self.model_name,
                                       str(self._models_dir) if self._models_dir else None))
        self._proc.start()
        child.close()
        self._conn = parent

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> bool:
        parent = self._conn
        if parent is None:
            return False
        if not parent.poll(timeout):
            log.error("face embedder did not start in %.0f s", timeout)
            self.close()
            return False
        msg = parent.recv()
        if msg[0] != "ready":
            log.error("face embedder failed: %s", msg[1])
            self.close()
            return False
        self.ready, self.cold_start_s = True, float(msg[1])
        return True

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(("stop",))
        if self._proc is not None:
            self._proc.join(5.0)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(2.0)
        if self._conn is not None:
            self._conn.close()
        self._conn, self._proc, self.ready = None, None, False

    # --- requests -----------------------------------------------------------------------
    def _send(self, msg: tuple) -> bool:
        if not self.ready:
            return False
        try:
            self._conn.send(msg)
        except (OSError, ValueError):
            log.error("face embedder gone")
            self.ready = False
            return False
        self._pending.add(msg[1])
        return True

    def collect(self) -> None:
        """Take in every answer that has arrived (never blocks)."""
        while self.ready and self._conn.poll():
            self._take()

    def _take(self) -> None:
        try:
            kind, key, meta, vec = self._conn.recv()
        except (EOFError, OSError):
            self.ready = False
            return
        self._pending.discard(key)
        if kind != "error":
            self._done[key] = (meta, vec)

    def wait(self, keys: Sequence[Any], timeout: float = RESULT_TIMEOUT_S) -> None:
        end = time.monotonic() + timeout
        while self.ready and any(k in self._pending for k in keys):
            left = end - time.monotonic()
            if left <= 0 or not self._conn.poll(left):
                log.error("face embedder late; embedding here instead")
                return
            self._take()

    def prepare_references(self, images: Sequence[Any]) -> int:
        """Send references not known yet; returns how many were sent."""
        sent = 0
        for image in images:
            key = ("ref", content_key(image))
            if key[1] and key not in self._done and key not in self._pending:
                sent += self._send((key[0], key, image))
        return sent

    def offer_probes(self, chosen: Sequence[Any], align: Callable[[Any], np.ndarray]) -> None:
        """The worker's current best-K probes: send one not sent yet, if the child has room
        and the last one went at least min_gap_s ago."""
        self.collect()
        now = time.monotonic()
        if now - self._last_probe_sent < self.min_gap_s:
            return
        if sum(1 for k in self._pending if k[0] == "probe") >= self.max_in_flight:
            return
        for probe in chosen:
            if id(probe) in self._probe_keys or not probe.observation.has_face:
                continue
            key = self._probe_key(probe)
            if self._send(("probe", key, align(probe))):
                self._last_probe_sent = now
            return

    def _probe_key(self, probe: Any) -> tuple[str, int]:
        self._next_probe += 1
        key = ("probe", self._next_probe)
        self._probe_keys[id(probe)] = (probe, key)   # the probe kept alive: id stays unique
        return key

    def forget_probes(self) -> None:
        """A new attempt or a cleared visit: probes of the old one are never used again."""
        for _, key in self._probe_keys.values():
            self._done.pop(key, None)
        self._probe_keys.clear()

    def forget_all(self) -> None:
        self.forget_probes()
        self._done.clear()

    # --- at the decision ----------------------------------------------------------------
    def resolve(self, matcher: Any, references: Sequence[Any], probes: Sequence[Any]
                ) -> tuple[list[np.ndarray], list[tuple[Any, Any]]]:
        """Probe vectors and (StillFace, vector) per reference, using what the child has
        done; the rest split between the child and this thread."""
        self.collect()
        ref_keys = [("ref", content_key(r.image)) for r in references]
        for r, key in zip(references, ref_keys, strict=True):
            if key[1] and key not in self._done and key not in self._pending \
                    and key[1] not in matcher._ref_cache:
                self._send(("ref", key, r.image))
        faces = [p for p in probes if p.observation.has_face]
        keys: list[Any] = []
        local: list[int] = []
        for i, p in enumerate(faces):
            got = self._probe_keys.get(id(p))
            if got is not None and (got[1] in self._done or got[1] in self._pending):
                keys.append(got[1])
                continue
            keys.append(None)
            local.append(i)
        # split the missing ones: every other to the child (if it is alive), rest here
        to_child = local[::2] if self.ready else []
        for i in to_child:
            keys[i] = self._probe_key(faces[i])
            if not self._send(("probe", keys[i], matcher.align(faces[i].frame,
                                                               faces[i].observation))):
                keys[i] = None
        here = [i for i in range(len(faces)) if keys[i] is None]
        vecs: dict[int, np.ndarray] = {}
        if here:
            crops = [matcher.align(faces[i].frame, faces[i].observation) for i in here]
            vecs.update(zip(here, matcher.embed_aligned(crops), strict=True))
        self.wait([k for k in keys if k is not None] + [k for k in ref_keys if k[1]])
        for i, key in enumerate(keys):
            if i in vecs:
                continue
            done = self._done.get(key)
            vecs[i] = done[1] if done is not None else matcher.embed_aligned(
                [matcher.align(faces[i].frame, faces[i].observation)])[0]
        refs = []
        for r, key in zip(references, ref_keys, strict=True):
            done = self._done.get(key)
            if done is not None and key[1] not in matcher._ref_cache:
                matcher.remember_reference(key[1], done[0], done[1])
            refs.append(matcher.embed_reference(r.image))
        return [vecs[i] for i in range(len(faces))], refs
