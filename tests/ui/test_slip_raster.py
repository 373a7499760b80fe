"""The real slip, rendered for a receipt printer, printed as ESC/POS over a real socket and
read back: its QR code decodes to the record; the settings page's test-slip button works."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from escpos_decode import decode
from real_standins import TcpPrinterSink

from kiosk.config import PrinterSection
from kiosk.printing.escpos import encode_image
from kiosk.staff.slips import SlipContent
from ui.slip_raster import print_test_slip, render_slip

SLIP = SlipContent(centre_name="城东社区服务中心", kiosk_id="k1a2b3c4d5", resident_name="张*华",
                   masked_id_number="320102********1234", result="passed", result_zh="通过",
                   channel_zh="本机自助", finished_local="2026-12-02 09:30:12",
                   next_due_zh="2027年11月01日 至 2027年12月31日",
                   certification_uuid="0f3c9a1e-77aa-4b5e-9f00-123456789abc",
                   verification_code="4F2K9Q", staff="")



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


def test_the_test_slip_button_prints_to_the_configured_printer(app, qtbot, tmp_path: Path
                                                              ) -> None:
    from staff_fixtures import add_staff, open_store

    from kiosk.config import Settings
    from ui.staff.admin_pages import SettingsPage
    from ui.staff.base import ConsoleContext

    sink = TcpPrinterSink()
    raw = sink.spec
    store = open_store(tmp_path)
    add_staff(store)
    try:
        settings = Settings(printer=PrinterSection(raw=raw))
        page = SettingsPage(ConsoleContext(store=store, settings=settings))
        qtbot.addWidget(page)
        page.print_test_slip()
        got = sink.wait()
        assert "已发送" in page.message.text()
        printed, _ = decode(got)
        assert _qr(printed).startswith("AXRZ1|TEST-PRINT-0001|")
        sink.close()
        page.print_test_slip()                       # printer gone: said plainly
        assert "没有打印出来" in page.message.text()
    finally:
        store.close()
    assert "设置有误" in print_test_slip(PrinterSection(raw="lpt1"))


def test_the_test_slip_without_a_raw_printer_is_a_roll_pdf_for_the_queue(
        app, tmp_path: Path, monkeypatch) -> None:
    """`lp` stand-in on PATH keeps the file it was given: a real PDF, 58 mm wide."""
    import os

    bin_dir, spool = tmp_path / "bin", tmp_path / "spool"
    bin_dir.mkdir()
    spool.mkdir()
    lp = bin_dir / "lp"
    lp.write_text(f'#!/bin/sh\necho "$@" > "{spool}/args"\nfor last; do :; done\n'
                  f'cp "$last" "{spool}/job.pdf"\necho "request id is POS58-1"\n')
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    said = print_test_slip(PrinterSection(queue="POS58", paper_mm=58))
    assert said == "测试凭条已发送到 POS58"
    data = (spool / "job.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    from pypdf import PdfReader

    page = PdfReader(spool / "job.pdf").pages[0]
    width_mm = float(page.mediabox.width) / 72 * 25.4
    assert abs(width_mm - 58) < 1.0 and float(page.mediabox.height) < float(page.mediabox.width) * 4
