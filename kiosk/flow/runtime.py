"""Carries the flow's effects out and feeds results back, keeping the flow on one thread.

`dispatch(event)` must always be called from the same thread (the GUI thread in the kiosk,
the main thread in `kiosk journey`); everything that can block is handed to a worker and its
result comes back through `post`, which the caller makes thread-safe (a Qt signal or a queue).

The worker (`flow-io`, one thread, jobs in order) does every store access of a
certification: the roster look-up, the save, and the match references. Those are read
when liveness starts (the resident is known; the vision port may embed them ahead) and kept
here, on `flow-io` only, until the visit is cleared; `StartMatching` is carried out by a
`flow-io` job too, so it always runs after the read and hands the references to the vision
port. The camera and vision-worker threads never touch the store.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.background import Background
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.ports import (
    ChipPort,
    EligibilityPort,
    RecordPort,
    ReferencePort,
    SlipPort,
    StaffPort,
    VisionPort,
)
from kiosk.flow.states import STEP_PROMPT
from kiosk.speech.catalogue import PromptCatalogue

log = logging.getLogger(__name__)

# Prompts that ask for a liveness step: the attempt is told when each was spoken to the end.
DELIVERED_PROMPTS = frozenset(STEP_PROMPT.values())


@dataclass
class Ports:
    vision: VisionPort
    eligibility: EligibilityPort
    records: RecordPort
    slips: SlipPort | None = None
    staff: StaffPort | None = None
    references: ReferencePort | None = None     # none: the card portrait only
    chip: ChipPort | None = None


@dataclass
class Outputs:
    """Where screen and voice effects go (the UI, or a recorder in tests)."""

    show: Callable[[ev.ScreenView], None]
    say: Callable[[str], None]
    # say, then call back with the time.monotonic() the speech ended (kiosk.speech.Speaker)
    say_then: Callable[[str, Callable[[float], None]], None] | None = None
    idle_warning: Callable[[bool], None] = lambda active: None
    clear: Callable[[], None] = lambda: None
    printed: list = field(default_factory=list)


class FlowRuntime:
    def __init__(self, flow: CertificationFlow, ports: Ports, outputs: Outputs, *,
                 catalogue: PromptCatalogue, post: Callable[[ev.Event], None]) -> None:
        self.flow = flow
        self.ports = ports
        self.outputs = outputs
        self.catalogue = catalogue
        self.post = post
        self.effects_seen: list[ev.Effect] = []       # bounded record, for tests / journey
        self.background_enabled = True                  # off: look-ups/saves not run (screenshots)
        self._worker = Background("flow-io")     # look-ups and saves, one at a time
        self._refs: tuple[str, tuple] | None = None     # (resident id, refs); flow-io only
        ports.vision.bind(post)
        if ports.chip is not None:
            ports.chip.bind(post)

    def start(self) -> None:
        self._apply(self.flow.start())

    def dispatch(self, event: ev.Event) -> None:
        self._apply(self.flow.handle(event))

    def close(self) -> None:
        self._worker.close()

    def _apply(self, effects: list[ev.Effect]) -> None:
        for effect in effects:
            self.effects_seen.append(effect)
            if len(self.effects_seen) > 500:
                del self.effects_seen[:250]
            try:
                self._apply_one(effect)
            except Exception:  # noqa: BLE001 - one failed effect must not stop the kiosk
                log.exception("effect %s failed", type(effect).__name__)

    def _apply_one(self, e: ev.Effect) -> None:
        p = self.ports
        if isinstance(e, ev.Show):
            self.outputs.show(e.view)
        elif isinstance(e, ev.Say):
            text = self.catalogue.text(e.prompt, e.params)
            if e.lead:
                text = self.catalogue.text(e.lead) + text
            told = getattr(p.vision, "prompt_delivered", None)
            if e.prompt in DELIVERED_PROMPTS and told is not None and self.outputs.say_then:
                self.outputs.say_then(text, told)     # the action window opens at its end
            else:
                self.outputs.say(text)
        elif isinstance(e, ev.CameraMode):
            p.vision.set_mode(e.mode)
        elif isinstance(e, ev.StartLiveness):
            self._prepare_references()
            p.vision.start_liveness(e.challenges)
        elif isinstance(e, ev.StartMatching):
            self._start_matching(e)
        elif isinstance(e, ev.LookupEligibility):
            self._background(lambda: ev.EligibilityChecked(p.eligibility.lookup(e.id_number),
                                                           e.id_number))
        elif isinstance(e, ev.SaveCertification):
            self._background(lambda: ev.RecordSaved(
                p.records.save_certification(e.record, e.evidence)), failed=ev.SaveFailed)
        elif isinstance(e, ev.KeepReference):
            keep = getattr(p.records, "keep_reference", None)
            if keep is not None:                  # after the save: one job at a time
                self._background(lambda: ev.ReferenceAnswerSaved(
                    keep(e.resident_id, e.session_id, e.keep)), failed=ev.SaveFailed)
        elif isinstance(e, ev.AuditQuery):
            record = getattr(p.records, "record_query", None)
            if record is not None and self.background_enabled:   # one audit row, on flow-io
                self._worker.run(lambda: record(e.id_number, e.source, e.answer, e.channel),
                                 _logged)
        elif isinstance(e, ev.RequestHomeVisit):
            self._background(lambda: ev.RecordSaved(
                p.records.request_home_visit(e.resident_id, e.id_number)), failed=ev.SaveFailed)
        elif isinstance(e, ev.PrintSlip):
            if p.slips is not None:
                self.outputs.printed.append(p.slips.print_slip(e.slip))
        elif isinstance(e, ev.CallStaff):
            log.info("staff called: %s", e.reason)
            if p.staff is not None:
                p.staff.call_staff(e.reason)
        elif isinstance(e, ev.StaffNote):
            log.info("staff note: %s", e.reason)
            if p.staff is not None:
                p.staff.note(e.reason)
        elif isinstance(e, ev.ClearPersonal):
            p.vision.clear()
            self._worker.run(self._forget_references, _logged)
            if p.chip is not None:
                p.chip.clear()           # the next visit's card is news, even the same card
            self.outputs.clear()
            # Frames of the resident's face can sit in unreachable reference cycles until
            # Python's rare full collection; free them now, while the kiosk is idle.
            gc.collect()
        elif isinstance(e, ev.IdleWarning):
            self.outputs.idle_warning(e.active)

    def _prepare_references(self) -> None:
        """Liveness starts: the resident is known, so their stored photos are read now on
        `flow-io` and handed to a vision port that can embed them ahead
        (kiosk.vision.embedder), not after liveness."""
        s = getattr(self.flow, "session", None)
        if s is None or getattr(s, "identity", None) is None or not self.background_enabled:
            return
        resident_id, identity = s.resident_id, s.identity
        prepare = getattr(self.ports.vision, "prepare_references", None)

        def job() -> None:
            refs = self._references_for(resident_id)
            if prepare is not None:
                prepare(resident_id, identity, refs)

        self._worker.run(job, _logged)

    def _start_matching(self, e: ev.StartMatching) -> None:
        """On `flow-io`, after any read `_prepare_references` queued: the references (read
        now if liveness did not start them) go to the vision port with the request."""
        vision = self.ports.vision
        if not self.background_enabled:
            vision.start_matching(e.resident_id, e.identity, ())
            return

        def done(_: object, error: BaseException | None) -> None:
            if error is not None:                     # never left waiting in MATCHING
                self.post(ev.MatchDone(False, None, "", "model_unavailable"))

        self._worker.run(lambda: vision.start_matching(
            e.resident_id, e.identity, self._references_for(e.resident_id)), done)

    def _references_for(self, resident_id: str) -> tuple:
        """The resident's stored photos (flow-io thread only; read once per visit)."""
        if self._refs is None or self._refs[0] != resident_id:
            port = self.ports.references
            refs = tuple(port.references(resident_id)) if port and resident_id else ()
            self._refs = (resident_id, refs)
        return self._refs[1]

    def _forget_references(self) -> None:
        self._refs = None

    def _background(self, job: Callable[[], ev.Event], *,
                    failed: Callable[[str], ev.Event] | None = None) -> None:
        if not self.background_enabled:
            return

        def done(result: ev.Event | None, error: BaseException | None) -> None:
            if error is None:
                self.post(result)                     # type: ignore[arg-type]
            elif failed is not None:                  # reported to the flow as an event
                self.post(failed(type(error).__name__))

        self._worker.run(job, done)


def _logged(result: object, error: BaseException | None) -> None:
    """A `flow-io` job with no event to post: its failure is already logged (type only)."""
