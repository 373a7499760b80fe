"""What of a resident's face may leave the kiosk in a synced certification: by default nothing.

Face information stays on the device (人脸识别技术应用安全管理办法, in force 2025-06-01): it
is not sent over a network unless the person separately consents. So a template or an image
goes into the outbox payload only when an administrator set `[sync] ship_face_templates`
AND this resident gave that separate consent (`NewCertification.face_data_consent`);
images additionally need `[store] ship_face_images`. Scores and model versions always sync.
Every payload says `face_data: true|false`, so the receiver can count what it holds.
"""

from __future__ import annotations

import base64
from typing import Any

from kiosk.store.records import NewCertification


def face_fields(new: NewCertification, *, ship_templates: bool,
                ship_images: bool) -> dict[str, Any]:
    """The payload's face part: `face_data`, and `template` / `evidence` only if allowed."""
    allowed = ship_templates and new.face_data_consent
    out: dict[str, Any] = {"face_data": False}
    if allowed and new.template:
        out["template"] = base64.b64encode(new.template).decode()
        out["face_data"] = True
    if allowed and ship_images and new.evidence:
        out["evidence"] = [{"kind": e.kind, "data": base64.b64encode(e.data).decode()}
                           for e in new.evidence]
        out["face_data"] = True
    return out
