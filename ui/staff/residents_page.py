"""Residents: search by name or number (shown masked), history, next due window, reprint."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QWidget

from kiosk import paths
from kiosk.staff import residents, slips
from kiosk.staff.labels import CHANNEL_ZH, RESULT_ZH, fmt_local, label
from ui.staff.assist_pages import ResidentPicker
from ui.staff.base import (
    ConsoleContext,
    button,
    fill,
    mount_page,
    page_frame,
    row,
    selected_key,
    table,
    text,
)
from ui.staff.pdf import print_slip, write_slip_pdf


def slip_out(ctx: ConsoleContext, uuid: str, layout: str) -> tuple[Path, bool]:
    """Write the slip PDF under <data>/prints and print it when a printer exists."""
    content = slips.slip_for(ctx.store, uuid, ctx.settings)
    folder = paths.data_dir() / "prints"
    folder.mkdir(parents=True, exist_ok=True)
    path = write_slip_pdf(content, folder / slips.slip_filename(content, layout), layout=layout)
    printed = print_slip(content, layout=layout, printer_name=ctx.printer_name)
    if ctx.session is not None:
        ctx.store.audit(actor=ctx.session.actor, action="slip.printed", subject=uuid,
                        detail={"layout": layout, "printer": printed})
    return path, printed


class ResidentsPage(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        page, layout = page_frame("居民查询")
        self.picker = ResidentPicker(ctx)
        self.picker.chosen.connect(self.show_resident)
        layout.addWidget(self.picker)
        self.summary = text("", role="muted")
        layout.addWidget(self.summary)
        self.kept = text("", role="muted")
        self.withdraw_button = button("撤回保存的照片", on_click=self.withdraw)
        self.withdraw_button.setEnabled(False)
        kept_row = row(self.kept, self.withdraw_button, stretch_end=False)
        kept_row.setStretch(0, 1)                # the words take the width, then wrap
        layout.addLayout(kept_row)
        self.resident_id: int | None = None
        self.history = table(["认证时间", "方式", "结果", "经办", "认证编号"])
        self.history.setMinimumHeight(240)
        layout.addWidget(self.history)
        self.layout_choice = QComboBox()
        for code, zh in (("80mm", "80毫米热敏纸"), ("58mm", "58毫米热敏纸"), ("A4", "A4纸")):
            self.layout_choice.addItem(zh, code)
        layout.addLayout(row(text("凭条纸张", wrap=False), self.layout_choice,
                             button("补打凭条", kind="primary", on_click=self.reprint)))
        self.message = mount_page(self, page, layout)

    def refresh(self) -> None:
        pass

    def show_resident(self, resident_id: int | None) -> None:
        if resident_id is None:
            return
        r = residents.resident_row(self.ctx.store, resident_id, self.ctx.settings)
        if r is None:
            return
        due = f"　下次认证：{r.next_due_zh}" if r.next_due_zh else ""
        self.summary.setText(f"{r.resident.name}　{r.masked_id_number}　"
                             f"{r.state_zh}{due}")
        self.resident_id = resident_id
        self._show_kept()
        certs = residents.history(self.ctx.store, resident_id)
        names = {row["id"]: row["username"] for row in self.ctx.store.query(
            "SELECT id, username FROM staff")}
        fill(self.history, [[fmt_local(c.finished_at), label(CHANNEL_ZH, c.channel),
                             label(RESULT_ZH, c.result), names.get(c.staff_id, "—"), c.uuid[:8]]
                            for c in certs], keys=[c.uuid for c in certs])
        if certs:
            self.history.selectRow(0)

    def _show_kept(self) -> None:
        rid = self.resident_id
        self.kept.setText(residents.kept_reference_zh(self.ctx.store, rid) if rid else "")
        kept = self.ctx.store.kept_reference(rid) if rid else None
        self.withdraw_button.setEnabled(kept is not None and kept.photo is not None)

    def withdraw(self) -> None:
        """撤回: the resident no longer wants this visit's photo kept; deleted, audited."""
        if self.resident_id is None:
            return
        done = residents.withdraw_kept_reference(self.ctx.store, self.ctx.session,
                                                 self.resident_id)
        self.message.setText("已撤回，保存的照片已删除。" if done else "没有保存的照片。")
        self._show_kept()

    def reprint(self) -> None:
        uuid = selected_key(self.history)
        if not uuid:
            self.message.setText("请先选择一条认证记录。")
            return
        path, printed = slip_out(self.ctx, uuid, self.layout_choice.currentData())
        self.message.setText(("已送打印机。" if printed else "没有连接打印机，已保存为文件：")
                             + path.name)
