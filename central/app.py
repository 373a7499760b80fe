"""The receiver's HTTP API (FastAPI). OpenAPI at /openapi.json; a copy in docs/central-openapi.json.

Kiosk endpoints are authenticated by Ed25519 request signatures (see kiosk/sync/identity.py);
administrator endpoints by a bearer token given to `kiosk-central serve --admin-token`
(without one, they are closed and administration is done with the `kiosk-central` commands).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from central.guard import Guard, Limits
from central.registration import RegistrationError, parse_registration
from central.service import AuthError, Receiver
from kiosk.strict_json import StrictJSONError, loads_strict
from kiosk.sync import bundle
from kiosk.sync.bundle import BundleError
from kiosk.sync.encoding import EncodingError, batch_from_doc, decode_batch
from kiosk.sync.roster_entries import RosterEntryError, parse_entries

INT64_MAX = 2**63 - 1


class Ack(BaseModel):
    acked: list[str]
    new: int
    duplicates: int


class RosterPage(BaseModel):
    residents: list[dict[str, Any]]
    version: int
    more: bool


class KioskRegistration(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    sign_public: str = Field(description="Ed25519 public key, 32 bytes, standard base64")
    box_public: str = Field(description="X25519 public key, 32 bytes, standard base64")
    region: str = Field("", pattern=r"^[0-9]{0,12}$")
    label: str = Field("", max_length=200)


class RosterEntryIn(BaseModel):
    """One resident; validated as strictly as the kiosk's CSV import (kiosk/sync/roster_entries)."""

    ref: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=50)
    sex: str = ""
    birth_date: str = ""
    address: str = Field("", max_length=300)
    phone: str = ""
    region: str = Field("", pattern=r"^[0-9]{0,12}$")
    due_from: str = ""
    due_until: str = ""
    last_certified_at: str = ""
    last_channel: str = Field("", pattern=r"^(|kiosk|counter|home_visit|data_match)$",
                              description="how last_certified_at was made (kiosk/store/records"
                              ".ROSTER_CHANNELS); needs last_certified_at")
    active: bool = True


class RecordIn(BaseModel):
    uuid: str = Field(min_length=8, max_length=64)
    kind: str = Field(pattern="^(certification|home_visit|audit)$")
    created_at: str = Field(max_length=40, description="ISO 8601 time")
    payload: dict[str, Any]


class BatchIn(BaseModel):
    """Canonical JSON (kiosk/sync/encoding.py), signed with the X-Anxin-* headers."""

    kiosk_id: str
    records: list[RecordIn]


class Problem(BaseModel):
    detail: Any


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text} for code, text in (
        (400, "malformed request"), (401, "not a correctly signed request of a known kiosk"),
        (403, "administrator token required"), (413, "request body over the limit"),
        (422, "the body or a parameter is not acceptable (the reason is in detail)"),
        (429, "too many requests from this client"))}


def _body_doc(model: type[BaseModel], *, array: bool = False) -> dict[str, Any]:
    """OpenAPI requestBody for an endpoint that reads its body itself (after the guard)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    schema = inline(schema)
    if array:
        schema = {"type": "array", "items": schema}
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


async def _json_body(request: Request) -> Any:
    try:
        return loads_strict(await request.body())
    except StrictJSONError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


class BundleImported(BaseModel):
    kiosk_id: str
    seq: int
    records: int
    new: int
    duplicates: int


def create_app(receiver: Receiver, *, admin_token: str = "", limits: Limits | None = None
               ) -> Any:
    """The ASGI app: FastAPI routes behind the Guard (bounds, admin token, rate, access log)."""
    app = FastAPI(title="安心认证 central receiver", version="1",
                  description="Receives certification records from kiosks (signed batches or "
                              "USB bundles) and serves the roster. Limits: see docs/sync.md.")

    async def kiosk_auth(request: Request) -> str:
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            receiver.precheck(headers)              # known kiosk, well-formed headers: unread
            body = await request.body()             # bounded by the Guard
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return await run_in_threadpool(receiver.authenticate, request.method, path,
                                           headers, body)
        except AuthError as exc:
            raise HTTPException(status_code=401, detail=str(exc)) from exc

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/records", response_model=Ack, responses=_ERRORS,
              openapi_extra=_body_doc(BatchIn))
    async def upload(request: Request, kiosk_id: str = Depends(kiosk_auth)) -> Ack:
        """A batch of outbox records; the answer acknowledges every UUID now held."""
        body = await request.body()
        try:
            if body.startswith(bundle.MAGIC):     # encrypted to this receiver end to end
                opened = await run_in_threadpool(
                    bundle.open_bundle, body, recipient=receiver.identity, kind="batch",
                    sender_key=lambda name: receiver.kiosk_public(name) if name == kiosk_id
                    else None)
                batch_kiosk, records = batch_from_doc(opened.content)
            elif receiver.require_sealed:
                raise HTTPException(status_code=422, detail="batches must be encrypted to this"
                                    " receiver (set [sync] receiver_public_key on the kiosk)")
            else:
                batch_kiosk, records = decode_batch(body)
        except (EncodingError, BundleError) as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        if batch_kiosk != kiosk_id:
            raise HTTPException(status_code=401, detail="batch names another kiosk")
        result = await run_in_threadpool(receiver.ingest, kiosk_id, records, via="network")
        return Ack(acked=result.acked, new=result.new, duplicates=result.duplicates)

    @app.get("/v1/roster", response_model=RosterPage, responses={**_ERRORS, 200: {
        "content": {"application/octet-stream": {}},
        "description": "the page; sealed to the kiosk when the request names this receiver"}})
    def roster(request: Request, since: int = Query(0, ge=0, le=INT64_MAX),
               limit: int = Query(2000, ge=1, le=20000),
               kiosk_id: str = Depends(kiosk_auth)) -> Any:
        """Residents changed after version `since` (0: the full roster), oldest change first.
        A kiosk registered without a region gets none until one is set. A request signed for
        this receiver gets the page encrypted to the kiosk (names, ID numbers never in clear)."""
        page = RosterPage(**receiver.roster_since(kiosk_id, since, limit))
        public = receiver.kiosk_public(kiosk_id)
        if request.headers.get("x-anxin-receiver") and public is not None:
            data, _ = bundle.seal(page.model_dump(), kind="roster-page",
                                  sender=receiver.identity, recipient=public, seq=0)
            return Response(content=data, media_type="application/octet-stream")
        return page

    @app.post("/v1/kiosks", responses=_ERRORS, openapi_extra=_body_doc(KioskRegistration))
    async def register(request: Request) -> dict[str, Any]:
        try:
            public, region, label = parse_registration(await _json_body(request))
        except RegistrationError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        new = await run_in_threadpool(receiver.register_kiosk, public, region=region,
                                      label=label)
        return {"kiosk_id": public.name, "new": new}

    @app.post("/v1/roster", responses=_ERRORS,
              openapi_extra=_body_doc(RosterEntryIn, array=True))
    async def load_roster(request: Request) -> dict[str, int]:
        try:
            entries = parse_entries(await _json_body(request))
        except RosterEntryError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        return {"loaded": await run_in_threadpool(receiver.load_roster, entries)}

    @app.post("/v1/bundles", response_model=BundleImported, responses=_ERRORS)
    async def import_bundle(request: Request) -> BundleImported:
        try:
            result = await run_in_threadpool(receiver.import_bundle, await request.body())
        except BundleError as exc:
            raise HTTPException(status_code=422, detail=exc.reason) from exc
        return BundleImported(**result.__dict__)

    @app.get("/v1/kiosks/{kiosk_id}/ack-bundle", responses={**_ERRORS, 404: {
        "model": Problem, "description": "unknown kiosk"}})
    def ack_bundle(kiosk_id: str, roster_since: int = Query(0, ge=0, le=INT64_MAX)) -> Response:
        try:
            data, _ = receiver.export_ack_bundle(kiosk_id, roster_since=roster_since)
        except AuthError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        return Response(content=data, media_type="application/octet-stream")

    @app.get("/v1/stats", responses=_ERRORS)
    def stats() -> dict[str, Any]:
        return receiver.stats()

    return Guard(app, admin_token=admin_token, limits=limits or Limits())
