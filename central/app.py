"""The receiver's HTTP API (FastAPI). OpenAPI at /openapi.json; a copy in docs/central-openapi.json.

Kiosk endpoints are authenticated by Ed25519 request signatures (see kiosk/sync/identity.py);
administrator endpoints by a bearer token given to `kiosk-central serve --admin-token`
(without one, they are closed and administration is done with the `kiosk-central` commands).
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from central.service import AuthError, Receiver
from kiosk.sync.bundle import BundleError
from kiosk.sync.encoding import EncodingError, decode_batch
from kiosk.sync.identity import PublicIdentity


class Ack(BaseModel):
    acked: list[str]
    new: int
    duplicates: int


class RosterPage(BaseModel):
    residents: list[dict[str, Any]]
    version: int
    more: bool


class KioskRegistration(BaseModel):
    name: str
    sign_public: str
    box_public: str
    region: str = ""
    label: str = ""


class BundleImported(BaseModel):
    kiosk_id: str
    seq: int
    records: int
    new: int
    duplicates: int


def create_app(receiver: Receiver, *, admin_token: str = "") -> FastAPI:
    app = FastAPI(title="安心认证 central receiver", version="1",
                  description="Receives certification records from kiosks (signed batches or "
                              "USB bundles) and serves the roster.")

    async def kiosk_auth(request: Request) -> str:
        body = await request.body()
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            return await run_in_threadpool(receiver.authenticate, request.method, path,
                                           headers, body)
        except AuthError as exc:
            raise HTTPException(status_code=401, detail=str(exc)) from exc

    def admin_auth(request: Request) -> None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not admin_token or not hmac.compare_digest(given, admin_token):
            raise HTTPException(status_code=403, detail="administrator token required")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/records", response_model=Ack)
    async def upload(request: Request, kiosk_id: str = Depends(kiosk_auth)) -> Ack:
        """A batch of outbox records; the answer acknowledges every UUID now held."""
        try:
            batch_kiosk, records = decode_batch(await request.body())
        except EncodingError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        if batch_kiosk != kiosk_id:
            raise HTTPException(status_code=401, detail="batch names another kiosk")
        result = await run_in_threadpool(receiver.ingest, kiosk_id, records, via="network")
        return Ack(acked=result.acked, new=result.new, duplicates=result.duplicates)

    @app.get("/v1/roster", response_model=RosterPage)
    def roster(since: int = Query(0, ge=0), limit: int = Query(2000, ge=1, le=20000),
               kiosk_id: str = Depends(kiosk_auth)) -> RosterPage:
        """Residents changed after version `since` (0: the full roster), oldest change first."""
        return RosterPage(**receiver.roster_since(kiosk_id, since, limit))

    @app.post("/v1/kiosks", dependencies=[Depends(admin_auth)])
    def register(body: KioskRegistration) -> dict[str, Any]:
        public = PublicIdentity.from_json(body.model_dump())
        return {"kiosk_id": public.name,
                "new": receiver.register_kiosk(public, region=body.region, label=body.label)}

    @app.post("/v1/roster", dependencies=[Depends(admin_auth)])
    def load_roster(entries: list[dict[str, Any]]) -> dict[str, int]:
        return {"loaded": receiver.load_roster(entries)}

    @app.post("/v1/bundles", response_model=BundleImported, dependencies=[Depends(admin_auth)])
    async def import_bundle(request: Request) -> BundleImported:
        try:
            result = await run_in_threadpool(receiver.import_bundle, await request.body())
        except BundleError as exc:
            raise HTTPException(status_code=422, detail=exc.reason) from exc
        return BundleImported(**result.__dict__)

    @app.get("/v1/kiosks/{kiosk_id}/ack-bundle", dependencies=[Depends(admin_auth)])
    def ack_bundle(kiosk_id: str, roster_since: int = Query(0, ge=0)) -> Response:
        try:
            data, _ = receiver.export_ack_bundle(kiosk_id, roster_since=roster_since)
        except AuthError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        return Response(content=data, media_type="application/octet-stream")

    @app.get("/v1/stats", dependencies=[Depends(admin_auth)])
    def stats() -> dict[str, Any]:
        return receiver.stats()

    return app
