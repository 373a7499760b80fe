"""Assisted certification (the non-face route) and proxy help (亲情服务) at the counter.

The staff member finds the resident, checks the ID card and the person, picks a reason and
attests; for proxy help the relative's name, relation, ID number and consent are recorded.
A slip can be printed right after.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from kiosk.staff import assisted, residents
from kiosk.staff.assisted import Attestation, AttestationError, ProxyHelper
from kiosk.staff.labels import ASSISTED_REASON_ZH, PROXY_RELATION_ZH
from ui.staff.base import (
    ConsoleContext,
    button,
    fill,
    mount_page,
    page_frame,
    row,
    selected_key,
    table,
)


class ResidentPicker(QWidget):
    """Search box + matches; `chosen` emits the resident id (or None)."""

    chosen = Signal(object)

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.query = QLineEdit()
        self.query.setPlaceholderText("身份证号（全号或后4位以上）或姓名")
        self.query.returnPressed.connect(self.search)
        layout.addLayout(row(self.query, button("查找", on_click=self.search), stretch_end=False))
        self.matches = table(["姓名", "身份证号", "上次认证", "状态"])
        self.matches.setMinimumHeight(180)
        self.matches.setMaximumHeight(220)
        self.matches.itemSelectionChanged.connect(
            lambda: self.chosen.emit(selected_key(self.matches)))
        layout.addWidget(self.matches)

    def search(self) -> None:
        found = residents.search_residents(self.ctx.store, self.query.text(), self.ctx.settings)
        fill(self.matches, [[r.resident.name, r.masked_id_number, r.last_certified_local or "—",
                             r.state_zh] for r in found],
             keys=[r.resident.id for r in found])
        if len(found) == 1:
            self.matches.selectRow(0)

    def current(self) -> int | None:
        return selected_key(self.matches)


class AssistPage(QWidget):
    """`proxy=False`: 协助认证 (counter_assisted / non_face); `proxy=True`: 亲情协助."""

    certified = Signal(str)            # certification uuid (the console offers a slip)

    def __init__(self, ctx: ConsoleContext, *, proxy: bool = False) -> None:
        super().__init__()
        self.ctx = ctx
        self.proxy = proxy
        page, layout = page_frame("亲情协助认证" if proxy else "协助认证（不刷脸）")
        self.picker = ResidentPicker(ctx)
        layout.addWidget(self.picker)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        self.channel = QComboBox()
        self.channel.addItem("非人脸认证（工作人员核验）", "non_face")
        self.channel.addItem("窗口协助认证", "counter_assisted")
        self.reason = QComboBox()
        for code, zh in ASSISTED_REASON_ZH.items():
            self.reason.addItem(zh, code)
        self.note = QLineEdit()
        self.note.setPlaceholderText("备注（可不填；不要写身份证号）")
        form.addRow("方式", self.channel)
        form.addRow("原因", self.reason)
        form.addRow("备注", self.note)
        if proxy:
            self.helper_name = QLineEdit()
            self.helper_id = QLineEdit()
            self.helper_id.setPlaceholderText("协助人身份证号（可不填）")
            self.helper_phone = QLineEdit()
            self.relation = QComboBox()
            for code, zh in PROXY_RELATION_ZH.items():
                self.relation.addItem(zh, code)
            self.consent = QCheckBox("协助人同意登记其信息，并在场协助本人认证")
            form.addRow("协助人", self.helper_name)
            form.addRow("关系", self.relation)
            form.addRow("证件号", self.helper_id)
            form.addRow("电话", self.helper_phone)
            form.addRow("", self.consent)
        self.card_checked = QCheckBox("已核对身份证原件")
        self.present = QCheckBox("本人在场，与证件照片相符")
        form.addRow("", self.card_checked)
        form.addRow("", self.present)
        layout.addLayout(form)
        layout.addLayout(row(button("确认并记录", kind="primary", on_click=self.submit)))
        self.message = mount_page(self, page, layout)

    def refresh(self) -> None:
        pass

    def submit(self) -> None:
        resident_id = self.picker.current()
        if resident_id is None:
            self.message.setText("请先查找并选择居民。")
            return
        helper = None
        if self.proxy:
            helper = ProxyHelper(self.helper_name.text().strip(), self.relation.currentData(),
                                 self.consent.isChecked(), self.helper_id.text().strip(),
                                 self.helper_phone.text().strip())
        att = Attestation(resident_id, self.channel.currentData(), self.reason.currentData(),
                          self.card_checked.isChecked(), self.present.isChecked(),
                          note=self.note.text(), proxy=helper)
        try:
            uid = assisted.certify_attested(self.ctx.store, self.ctx.actor(), att,
                                            now=self.ctx.clock())
        except AttestationError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("已记录，认证通过。可以打印凭条。")
        for box in (self.card_checked, self.present):
            box.setChecked(False)
        self.certified.emit(uid)
