"""Helpers for receiver tests: a real uvicorn on 127.0.0.1 (thread or subprocess) and a
fault-injecting HTTP proxy on loopback. No mocks: the kiosk talks HTTP to the real receiver."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import uvicorn

from central.app import create_app
from central.db import make_engine
from central.guard import Limits
from central.service import Receiver
from kiosk.store.database import Store
from kiosk.sync.identity import Identity
from kiosk.sync.kiosk_keys import kiosk_identity

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_receiver(db_url: str, key_dir: Path) -> Receiver:
    from kiosk.sync.identity import load_or_create
    return Receiver(make_engine(db_url), load_or_create(key_dir / "receiver.key.json", "central"))


@contextlib.contextmanager
def serve_in_thread(receiver: Receiver, *, admin_token: str = "",
                    limits: Limits | None = None, tls: tuple[Path, Path] | None = None
                    ) -> Iterator[str]:
    """uvicorn in a thread; yields the base URL (https:// with `tls` = (cert, key))."""
    port = free_port()
    ssl = {"ssl_certfile": str(tls[0]), "ssl_keyfile": str(tls[1])} if tls else {}
    config = uvicorn.Config(create_app(receiver, admin_token=admin_token, limits=limits),
                            host="127.0.0.1", port=port, **ssl,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class ReceiverProcess:
    """`kiosk-central serve` in a subprocess, so a test can SIGKILL and restart it."""

    def __init__(self, db_url: str, keys: Path, port: int | None = None) -> None:
        self.db_url, self.keys = db_url, keys
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.extra_args: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "central.cli", "serve", "--db", self.db_url,
             "--keys", str(self.keys), "--port", str(self.port), *self.extra_args],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=open(self.keys.with_name("receiver.stderr"), "ab"))  # noqa: SIM115
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.2):
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"receiver exited at start ({self.proc.returncode}): " + self.keys.with_name(
                    "receiver.stderr").read_text(errors="replace")[-800:])
            time.sleep(0.05)
        raise RuntimeError("receiver did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _read_http_message(sock: socket.socket, buf: bytes) -> tuple[bytes, bytes] | None:
    """One HTTP/1.1 message (headers + Content-Length body) and the bytes after it."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


class FaultProxy:
    """Forwards HTTP requests to `upstream`, applying scripted faults per request:

    "pass", "500" (answer 500, never forward), "hang" (forward, then hold the answer past the
    client's timeout), "drop_after" (forward so the receiver commits, then close without
    answering), or a callable run after forwarding the request but before reading the answer
    (e.g. killing and restarting the receiver mid-batch)."""

    def __init__(self, upstream_port: Callable[[], int]) -> None:
        self.upstream_port = upstream_port
        self.faults: list = []
        self.seen = 0
        self.hang_s = 3.0
        self.request_seen = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop = True
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        buf = b""
        with client:
            while True:
                got = _read_http_message(client, buf)
                if got is None:
                    return
                request, buf = got
                self.seen += 1
                self.request_seen.set()
                fault = self.faults.pop(0) if self.faults else "pass"
                if fault == "500":
                    client.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0"
                                   b"\r\n\r\n")
                    continue
                try:
                    answer = self._forward(request, fault)
                except OSError:
                    return            # upstream gone: the client sees a dropped connection
                if fault == "drop_after" or answer is None:
                    return
                if fault == "hang":
                    time.sleep(self.hang_s)
                    return
                client.sendall(answer)

    def _forward(self, request: bytes, fault) -> bytes | None:  # noqa: ANN001
        with socket.create_connection(("127.0.0.1", self.upstream_port()), timeout=30) as up:
            up.sendall(request)
            if callable(fault):
                fault()
            got = _read_http_message(up, b"")
            return got[0] if got else None


def register(receiver: Receiver, store: Store, *, region: str = "") -> Identity:
    identity = kiosk_identity(store)
    receiver.register_kiosk(identity.public, region=region)
    return identity


def wait_until(condition, what: str, limit_s: float = 30.0) -> None:  # noqa: ANN001
    """Wait for a state (not a timing claim): fail only if it never comes."""
    import pytest

    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.02)


def valid_id(seq: int, prefix: str = "32010219400101") -> str:
    """A synthetic ID number with a correct check digit (the receiver validates it)."""
    from kiosk.idcard.number import check_digit
    first = f"{prefix}{seq:03d}"
    return first + check_digit(first)


def pg_bin() -> Path | None:
    import glob
    import shutil
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


@contextlib.contextmanager
def throwaway_postgres(bindir: Path) -> Iterator[str]:
    """A PostgreSQL cluster in a temp folder (initdb/pg_ctl); yields its URL, then removes it.
    As root, the cluster runs as `postgres` (or `nobody`) via runuser."""
    import pwd
    import shutil
    import tempfile
    run_as: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="anxin_pg_"))
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            user = "nobody"
        run_as = ["runuser", "-u", user, "--"]
        os.chmod(base, 0o777)
        shutil.chown(base, user=user)
    data, port = base / "data", free_port()
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "anxin",
                    "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l",
                    str(base / "log"), "-o", f"-p {port} -k {base} -h 127.0.0.1 -N 300",
                    "start"], check=True, capture_output=True)
    try:
        subprocess.run([*run_as, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                        "-U", "anxin", "central"], check=True, capture_output=True)
        yield f"postgresql://anxin@127.0.0.1:{port}/central"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
