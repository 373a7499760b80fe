"""Small real stand-ins shared by tests of several folders: a network printer that keeps what
it is sent (a TCP socket on 127.0.0.1), and a disk that fails in the middle of a file."""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path


class TcpPrinterSink:
    """Listens on 127.0.0.1 like a receipt printer's raw port (9100) and keeps the one job
    it is sent. `spec` is the kiosk's printer setting for it; `wait()` returns the bytes."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.spec = f"tcp:127.0.0.1:{self.port}"
        self.got = bytearray()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        conn, _ = self._server.accept()
        with conn:
            while chunk := conn.recv(65536):
                self.got.extend(chunk)

    def wait(self, timeout_s: float = 10.0) -> bytes:
        self._thread.join(timeout_s)
        return bytes(self.got)

    def close(self) -> None:
        """Stop listening: the printer is switched off (a send now fails)."""
        self._server.close()


def corrupt_mid_file(db: Path, seed: int = 0) -> None:
    """Overwrite pages in the middle of the file (as a failing disk or a cut write does), with
    seeded noise: the same damage on every run, so a test cannot pass or fail by the draw
    (os.urandom once tore a table name into bytes SQLite could not report: a CI failure,
    now its own test in test_store_integrity.py)."""
    size = db.stat().st_size
    assert size > 8 * 4096
    noise = random.Random(seed)
    with open(db, "r+b") as fh:
        for page in range(3, size // 4096 - 1, 2):
            fh.seek(page * 4096 + 100)
            fh.write(noise.randbytes(2000))


def standin_face_onnx(path: Path, *, seed: int = 0, dims: int = 128) -> Path:
    """A real ONNX graph in SFace's shape (1x3x112x112 RGB 0-255 -> 1x128) for the second
    embedding model, built here because no ArcFace/SFace weights exist on this machine.

    It is not a face model: it averages 8x8 blocks, centres them on mid-grey and projects
    them with a fixed random matrix, so the same person's aligned crops come out closer than
    strangers' only as far as their pixels do. What it exercises is real: provisioning and
    pinning the file, DeepFace's ONNX client running it on onnxruntime, and the fusion of
    two models' decisions."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    feats = 3 * 14 * 14
    weights = (rng.standard_normal((feats, dims)) / np.sqrt(feats)).astype(np.float32)
    nodes = [
        helper.make_node("AveragePool", ["data"], ["pooled"], kernel_shape=[8, 8],
                         strides=[8, 8]),
        helper.make_node("Sub", ["pooled", "grey"], ["centred"]),
        helper.make_node("Flatten", ["centred"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "proj"], ["fc1"]),
    ]
    graph = helper.make_graph(
        nodes, "standin_face",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("fc1", TensorProto.FLOAT, [1, dims])],
        initializer=[numpy_helper.from_array(np.array(128.0, np.float32), "grey"),
                     numpy_helper.from_array(weights, "proj")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path
