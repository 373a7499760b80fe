"""The receiver's front door (pure ASGI middleware): bounds, administrator token, rate limit,
access log — all decided from the request line and headers, before one byte of body is read.

Why middleware rather than FastAPI dependencies: FastAPI reads and parses a JSON body before
it runs an endpoint's dependencies, so an unauthenticated 100 MB body to an admin endpoint
was read whole (and parsed) before the token check refused it. Here a request over its size
limit is answered 413 from its Content-Length (or cut off at the limit when chunked), an
admin request without the token is answered 403 unread, and a client over its request rate
is answered 429 with Retry-After. The access log line holds method, route, status, sizes,
time and the kiosk id header — never a query value, body or personal field.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

access_log = logging.getLogger("central.access")
error_log = logging.getLogger("central.errors")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ADMIN = (("POST", re.compile(r"^/v1/kiosks$")), ("POST", re.compile(r"^/v1/roster$")),
          ("POST", re.compile(r"^/v1/bundles$")), ("GET", re.compile(r"^/v1/kiosks/[^/]+/ack-bundle$")),
          ("GET", re.compile(r"^/v1/stats$")))
_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]")
_SAFE_PATH = re.compile(r"[^A-Za-z0-9._/{}-]")


@dataclass(frozen=True)
class Limits:
    """What one request may cost. Documented in docs/sync.md ("Receiver limits")."""

    records_body: int = 8 * 1024 * 1024        # one batch: 200 records with templates ≈ 1 MB
    admin_body: int = 64 * 1024 * 1024         # a county roster (100k residents ≈ 30 MB)
    other_body: int = 64 * 1024                # GET requests and anything else
    rate_per_s: float = 20.0                   # sustained requests per client address
    burst: int = 60                            # requests a client may make at once


def is_admin_route(method: str, path: str) -> bool:
    return any(method == m and rx.match(path) for m, rx in _ADMIN)


class _Buckets:
    """Token bucket per client address; bounded table (oldest idle clients forgotten)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = 10000) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.max_clients = max_clients
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when allowed, else seconds until the next request would be."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, last = self._state.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._state[client] = (tokens, now)
                return (1.0 - tokens) / self.rate
            self._state[client] = (tokens - 1.0, now)
            if len(self._state) > self.max_clients:
                for key in sorted(self._state, key=lambda k: self._state[k][1])[
                        : len(self._state) // 2]:
                    del self._state[key]
            return 0.0


async def _read_bounded(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes `limit` (the rest is never read)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


class Guard:
    def __init__(self, app: ASGIApp, *, admin_token: str, limits: Limits) -> None:
        self.app = app
        self.admin_token = admin_token
        self.limits = limits
        self.buckets = _Buckets(limits.rate_per_s, limits.burst)
        # Several routes can share one path (GET and POST /v1/roster): a 405 must list them
        # all in Allow, which the router (first match only) does not.
        self._methods: list[tuple[re.Pattern[str], set[str]]] = []
        for route in getattr(app, "routes", []):
            regex, methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
            if regex is None or not methods:
                continue
            for known, allowed in self._methods:
                if known.pattern == regex.pattern:
                    allowed.update(methods)
                    break
            else:
                self._methods.append((regex, set(methods)))

    def openapi(self) -> dict[str, Any]:
        """The wrapped FastAPI app's schema (for `kiosk-central openapi`)."""
        return self.app.openapi()  # type: ignore[attr-defined]

    def _limit_for(self, method: str, path: str) -> int:
        if method == "POST" and path == "/v1/records":
            return self.limits.records_body
        if is_admin_route(method, path):
            return self.limits.admin_body
        return self.limits.other_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        shown_path = _SAFE_PATH.sub("?", path)[:120]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        client = (scope.get("client") or ("?", 0))[0]
        kiosk = _SAFE_ID.sub("?", headers.get("x-anxin-kiosk", ""))[:64]
        seen = {"status": 0, "in": 0, "out": 0}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["out"] += len(message.get("body", b""))
            await send(message)

        try:
            refusal = self._refuse_early(method, path, headers, client)
            if refusal is not None:
                await _answer(send_logged, *refusal)
                return
            limit = self._limit_for(method, path)
            body = await _read_bounded(receive, limit)
            if body is None:
                await _answer(send_logged, 413, f"request body over {limit} bytes")
                return
            seen["in"] = len(body)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()          # then wait for the disconnect, as ASGI says

            try:
                await self.app(scope, replay, send_logged)
            except Exception:  # a bug behind us: answered 500 (once), connection kept usable
                error_log.exception("internal error on %s %s", method, shown_path)
                if not seen["status"]:
                    await _answer(send_logged, 500, "internal error")
        finally:
            access_log.info("%s %s %s %s in=%d out=%d %.1fms kiosk=%s", client, method,
                            shown_path,
                            seen["status"], seen["in"], seen["out"],
                            (time.perf_counter() - started) * 1000, kiosk or "-")

    def _refuse_early(self, method: str, path: str, headers: dict[str, str], client: str
                      ) -> tuple[int, str, dict[str, str]] | None:
        wait = self.buckets.take(client)
        if wait:
            return 429, "too many requests; slow down", {"retry-after": str(int(wait) + 1)}
        for regex, allowed in self._methods:
            if regex.match(path) and method not in allowed:
                return 405, "method not allowed", {"allow": ", ".join(sorted(allowed))}
        if is_admin_route(method, path):
            given = headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not self.admin_token or not hmac.compare_digest(given.encode(),
                                                               self.admin_token.encode()):
                return 403, "administrator token required", {}
        length = headers.get("content-length")
        limit = self._limit_for(method, path)
        if length is not None:
            if not length.isdigit():
                return 400, "malformed Content-Length", {}
            if int(length) > limit:
                return 413, f"request body over {limit} bytes", {}
        return None


async def _answer(send: Send, status: int, detail: str, extra: dict[str, str] | None = None
                  ) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
