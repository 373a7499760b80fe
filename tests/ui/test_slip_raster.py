"""The real slip, rendered for a receipt printer, printed as ESC/POS over a real socket and
read back: its QR code decodes to the record; the settings page's test-slip button works."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from escpos_decode import decode

from kiosk.printing.escpos import encode_image
from kiosk.staff.slips import SlipContent
from ui.slip_raster import ENV_PRINTER, print_test_slip, render_slip

SLIP = SlipContent(centre_name="城东社区服务中心", kiosk_id="k1a2b3c4d5", resident_name="张*华",
                   masked_id_number="320102********1234", result="passed", result_zh="通过",
                   channel_zh="本机自助", finished_local="2026-12-02 09:30:12",
                   next_due_zh="2027年11月01日 至 2027年12月31日",
                   certification_uuid="0f3c9a1e-77aa-4b5e-9f00-123456789abc",
                   verification_code="4F2K9Q", staff="")


@pytest.fixture()
def app(qapp):
    from ui.app import make_app
    return make_app()


def _qr(bits: np.ndarray) -> str:
    img = np.where(np.pad(bits, 16), 0, 255).astype(np.uint8)
    found = zxingcpp.read_barcodes(img)
    return found[0].text if found else ""


@pytest.mark.parametrize("paper_mm,width", [(58, 384), (80, 576)])
def test_the_printed_slip_carries_text_and_a_readable_qr(app, paper_mm: int, width: int) -> None:
    grey = render_slip(SLIP, paper_mm)
    assert grey.shape[1] == width
    printed, seen = decode(encode_image(grey, paper_mm))
    assert printed.shape == (grey.shape[0], width)
    assert _qr(printed) == SLIP.qr_text            # the signed slip's own code
    ink = printed[: printed.shape[0] // 3].mean()      # title and lines were drawn
    assert 0.01 < ink < 0.5
    assert seen[-1] == "cut"


def test_the_test_slip_button_prints_to_the_configured_printer(app, qtbot, tmp_path: Path,
                                                              monkeypatch) -> None:
    from staff_fixtures import add_staff, open_store

    from kiosk.config import Settings
    from ui.staff.admin_pages import SettingsPage
    from ui.staff.base import ConsoleContext

    server = socket.create_server(("127.0.0.1", 0))
    got = bytearray()

    def accept() -> None:
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                got.extend(chunk)

    t = threading.Thread(target=accept)
    t.start()
    monkeypatch.setenv(ENV_PRINTER, f"tcp:127.0.0.1:{server.getsockname()[1]}")
    store = open_store(tmp_path)
    add_staff(store)
    try:
        page = SettingsPage(ConsoleContext(store=store, settings=Settings()))
        qtbot.addWidget(page)
        page.print_test_slip()
        t.join(10)
        assert "已发送" in page.message.text()
        printed, _ = decode(bytes(got))
        assert _qr(printed).startswith("AXRZ1|TEST-PRINT-0001|")
        monkeypatch.setenv(ENV_PRINTER, f"tcp:127.0.0.1:{server.getsockname()[1]}")
        server.close()
        page.print_test_slip()                       # printer gone: said plainly
        assert "没有打印出来" in page.message.text()
    finally:
        store.close()
    assert "未设置" in print_test_slip(spec="")
    assert "设置有误" in print_test_slip(spec="lpt1")
