"""Home visits: take a request, schedule it, print a day's round, record the outcome."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from kiosk import paths
from kiosk.staff import home_visits
from kiosk.staff.home_visits import VisitDetails, VisitError
from kiosk.staff.labels import (
    LOCAL_TZ,
    VISIT_OUTCOME_ZH,
    VISIT_REASON_ZH,
    VISIT_STATUS_ZH,
    label,
)
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
from ui.staff.choices import ChoiceButtons, PhraseButtons
from ui.staff.pdf import write_visit_list_pdf

# one tap fills the contact person (who, never a name)
CONTACT_PHRASES = ["女儿", "儿子", "配偶", "儿媳", "女婿", "邻居", "村（居）委会"]


class VisitsPage(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        page, layout = page_frame("上门认证")
        self.visits = table(["状态", "居民", "身份证号", "地址", "电话", "原因", "预约日期"])
        self.visits.setMinimumHeight(220)
        layout.addWidget(self.visits)
        self.day = QDateEdit()
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.outcome = ChoiceButtons(columns=3)
        for code, zh in VISIT_OUTCOME_ZH.items():
            self.outcome.addItem(zh, code)
        self.card_checked = QCheckBox("已核对身份证原件（上门认证通过时必选）")
        layout.addLayout(row(text("日期", wrap=False), self.day,
                             button("安排到这天", on_click=self.schedule),
                             button("打印这天的名单", on_click=self.print_day)))
        outcome_row = row(text("结果", wrap=False), stretch_end=False)
        outcome_row.addWidget(self.outcome, 1)
        layout.addLayout(outcome_row)
        layout.addLayout(row(self.card_checked))
        layout.addLayout(row(button("记录结果", kind="primary", on_click=self.record),
                             button("取消上门", kind="danger", on_click=self.cancel)))
        layout.addWidget(text("新的上门申请", role="title"))
        self.picker = ResidentPicker(ctx)
        layout.addWidget(self.picker)
        form = QFormLayout()
        self.address = QLineEdit()
        self.phone = QLineEdit()
        self.contact = QLineEdit()
        self.contact.setPlaceholderText("联系人（如：女儿）")
        self.contact_phrases = PhraseButtons(self.contact, CONTACT_PHRASES, replace=True,
                                             columns=4)
        self.reason = ChoiceButtons(columns=3)
        for code, zh in VISIT_REASON_ZH.items():
            self.reason.addItem(zh, code)
        form.addRow("地址", self.address)
        form.addRow("电话", self.phone)
        form.addRow("联系人", self.contact)
        form.addRow("", self.contact_phrases)
        form.addRow("原因", self.reason)
        layout.addLayout(form)
        layout.addLayout(row(button("登记上门申请", kind="primary", on_click=self.create)))
        self.message = mount_page(self, page, layout)
        self.set_today()

    def set_today(self) -> None:
        today = self.ctx.clock().astimezone(LOCAL_TZ).date()
        self.day.setDate(QDate(today.year, today.month, today.day))

    def _day(self) -> dt.date:
        d = self.day.date()
        return dt.date(d.year(), d.month(), d.day())

    def refresh(self) -> None:
        rows = home_visits.open_visits(self.ctx.store)
        fill(self.visits, [[label(VISIT_STATUS_ZH, r.visit.status), r.resident_name,
                            r.masked_id_number, r.details.address, r.details.phone,
                            label(VISIT_REASON_ZH, r.details.reason),
                            r.visit.scheduled_for or "—"] for r in rows],
             keys=[r.uuid for r in rows])

    def _selected(self) -> str | None:
        uuid = selected_key(self.visits)
        if not uuid:
            self.message.setText("请先在上面选择一条上门申请。")
        return uuid

    def _run(self, action, done: str) -> None:  # noqa: ANN001
        try:
            action()
        except VisitError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(done)
        self.refresh()

    def create(self) -> None:
        resident_id = self.picker.current()
        if resident_id is None:
            self.message.setText("请先查找并选择居民。")
            return
        if self.reason.currentData() is None:
            self.message.setText("请先选择上门原因。")
            return
        details = VisitDetails(self.address.text().strip(), self.phone.text().strip(),
                               self.contact.text().strip(), self.reason.currentData())
        self._run(lambda: home_visits.create_visit(self.ctx.store, self.ctx.actor(),
                                                   resident_id, details), "已登记上门申请。")

    def schedule(self) -> None:
        uuid = self._selected()
        if uuid:
            self._run(lambda: home_visits.schedule_visit(self.ctx.store, self.ctx.actor(), uuid,
                                                         self._day()),
                      f"已安排在 {self._day():%Y-%m-%d}。")

    def record(self) -> None:
        uuid = self._selected()
        if uuid:
            outcome = self.outcome.currentData()
            if outcome is None:
                self.message.setText("请先选择上门结果。")
                return
            self._run(lambda: home_visits.record_outcome(
                self.ctx.store, self.ctx.actor(), uuid, outcome,
                id_card_checked=self.card_checked.isChecked(), now=self.ctx.clock()),
                f"已记录：{VISIT_OUTCOME_ZH[outcome]}。")

    def cancel(self) -> None:
        uuid = self._selected()
        if uuid:
            self._run(lambda: home_visits.cancel_visit(self.ctx.store, self.ctx.actor(), uuid,
                                                       reason="窗口取消"), "已取消。")

    def print_day(self) -> Path:
        day = self._day()
        rows = home_visits.visits_for_day(self.ctx.store, day)
        folder = paths.data_dir() / "prints"
        folder.mkdir(parents=True, exist_ok=True)
        path = write_visit_list_pdf(rows, folder / f"home-visits-{day:%Y%m%d}.pdf",
                                    day=f"{day:%Y-%m-%d}", centre=self.ctx.settings.kiosk.centre_name)
        self.ctx.store.audit(actor=self.ctx.actor().actor, action="home_visit.list_printed",
                             detail={"day": day.isoformat(), "visits": len(rows)})
        self.message.setText(f"已生成 {len(rows)} 户的名单：{path.name}")
        return path
