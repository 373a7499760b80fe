"""Carries the flow's effects out and feeds results back, keeping the flow on one thread.

`dispatch(event)` must always be called from the same thread (the GUI thread in the kiosk,
the main thread in `kiosk journey`); everything that can block is handed to a worker and its
result comes back through `post`, which the caller makes thread-safe (a Qt signal or a queue).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.background import Background
from kiosk.flow import events as ev
from kiosk.flow.machine import CertificationFlow
from kiosk.flow.ports import ChipPort, EligibilityPort, RecordPort, SlipPort, StaffPort, VisionPort
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
            p.vision.start_matching(e.resident_id, e.identity)
        elif isinstance(e, ev.LookupEligibility):
            self._background(lambda: ev.EligibilityChecked(p.eligibility.lookup(e.id_number)))
        elif isinstance(e, ev.SaveCertification):
            self._background(lambda: ev.RecordSaved(
                p.records.save_certification(e.record, e.evidence)), failed=ev.SaveFailed)
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
            note = getattr(p.staff, "note", None)
            if note is not None:
                note(e.reason)
        elif isinstance(e, ev.ClearPersonal):
            p.vision.clear()
            if p.chip is not None:
                p.chip.clear()           # the next visit's card is news, even the same card
            self.outputs.clear()
            # Frames of the resident's face can sit in unreachable reference cycles until
            # Python's rare full collection; free them now, while the kiosk is idle.
            gc.collect()
        elif isinstance(e, ev.IdleWarning):
            self.outputs.idle_warning(e.active)

    def _prepare_references(self) -> None:
        """Liveness starts: the resident is known, so a vision port that can embed the
        references ahead (kiosk.vision.embedder) is told now, not after liveness."""
        prepare = getattr(self.ports.vision, "prepare_references", None)
        s = getattr(self.flow, "session", None)
        if prepare is not None and s is not None and getattr(s, "identity", None) is not None:
            prepare(s.resident_id, s.identity)

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
