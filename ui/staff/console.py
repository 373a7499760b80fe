"""The staff console: PIN log-in, a side menu of pages, idle log-out, admin-only actions.

One widget, used two ways: inside the kiosk window (opened by the corner long-press, see
gesture.py; "返回居民界面" hands the screen back) and as its own window on the counter PC
(`kiosk staff-console`). Every page reads through the store's read connection and writes
through kiosk.staff, so every action is audited with who did it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import CameraSection
from kiosk.staff import login
from kiosk.staff.labels import ROLE_ZH
from kiosk.store.database import Store
from ui.fonts import set_weight
from ui.staff.admin_pages import ReportsPage, RosterPage, SettingsPage
from ui.staff.assist_pages import AssistPage
from ui.staff.base import NAV_W, ConsoleContext, button, stylesheet, text
from ui.staff.keypad import attach_keypad
from ui.staff.login_page import LoginPage
from ui.staff.overview_pages import SyncPage, TodayPage
from ui.staff.residents_page import ResidentsPage
from ui.staff.review_page import ReviewPage
from ui.staff.touch import enable_finger_scrolling
from ui.staff.visits_page import VisitsPage

log = logging.getLogger(__name__)

PAGES: tuple[tuple[str, str], ...] = (
    ("today", "今日概况"), ("review", "待审核"), ("assisted", "协助认证"),
    ("proxy", "亲情协助"), ("visits", "上门认证"), ("residents", "居民查询"),
    ("roster", "名册导入"), ("sync", "数据同步"), ("reports", "统计报表"),
    ("settings", "设置"),
)
ADMIN_PAGES = {"settings"}
IDLE_CHECK_MS = 1000


class StaffConsole(QWidget):
    closed = Signal()                    # hand the screen back to residents
    leave_fullscreen = Signal()          # admin asked to leave kiosk mode

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("console")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(stylesheet())
        self.outer = QStackedWidget()
        self.login_page = LoginPage(ctx)
        self.login_page.logged_in.connect(self.on_logged_in)
        self.login_page.cancelled.connect(self.closed.emit)
        self.outer.addWidget(self.login_page)
        self.outer.addWidget(self._build_main())
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.outer)
        self.keypad = attach_keypad(self)     # touch-only kiosks: digits and Latin letters
        box.addWidget(self.keypad)
        self.idle_timer = QTimer(self)
        self.idle_timer.setInterval(IDLE_CHECK_MS)
        self.idle_timer.timeout.connect(self.check_idle)
        self.idle_timer.start()
        QApplication.instance().installEventFilter(self)
        enable_finger_scrolling(self)    # touch-only kiosks: drag lists with a finger

    def _build_main(self) -> QWidget:
        main = QWidget()
        layout = QHBoxLayout(main)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        nav = QFrame()
        nav.setObjectName("nav")
        nav.setFixedWidth(NAV_W)
        nav_box = QVBoxLayout(nav)
        nav_box.setContentsMargins(0, 12, 0, 12)
        nav_box.setSpacing(0)
        self.stack = QStackedWidget()
        self.group = QButtonGroup(self)
        self.pages: dict[str, QWidget] = {
            "today": TodayPage(self.ctx), "review": ReviewPage(self.ctx),
            "assisted": AssistPage(self.ctx), "proxy": AssistPage(self.ctx, proxy=True),
            "visits": VisitsPage(self.ctx), "residents": ResidentsPage(self.ctx),
            "roster": RosterPage(self.ctx), "sync": SyncPage(self.ctx),
            "reports": ReportsPage(self.ctx), "settings": SettingsPage(self.ctx)}
        self.nav_buttons: dict[str, QPushButton] = {}
        for key, caption in PAGES:
            b = QPushButton(caption)
            b.setCheckable(True)
            b.setFont(set_weight(b.font(), bold=True))
            b.clicked.connect(lambda _c=False, k=key: self.show_page(k))
            self.group.addButton(b)
            nav_box.addWidget(b)
            self.nav_buttons[key] = b
            self.stack.addWidget(self.pages[key])
        nav_box.addStretch(1)
        self.who = text("", wrap=False)
        self.fullscreen_button = button("退出全屏", on_click=self.request_leave_fullscreen)
        logout = button("退出登录", on_click=lambda: self.log_out("manual"))
        bar = QFrame()
        bar.setObjectName("bar")
        bar_box = QHBoxLayout(bar)
        bar_box.setContentsMargins(28, 8, 20, 8)
        bar_box.addWidget(self.who, 1)
        bar_box.addWidget(self.fullscreen_button)
        bar_box.addWidget(logout)
        right = QVBoxLayout()
        right.setSpacing(0)
        right.addWidget(bar)
        right.addWidget(self.stack, 1)
        layout.addWidget(nav)
        layout.addLayout(right, 1)
        return main

    # ---- session ------------------------------------------------------------------------
    def on_logged_in(self, session: login.StaffSession) -> None:
        self.ctx.session = session
        admin = session.is_admin
        for key in ADMIN_PAGES:
            self.nav_buttons[key].setVisible(admin)
        self.fullscreen_button.setVisible(admin)
        self.who.setText(f"当前：{session.account.display_name}"
                         f"（{ROLE_ZH.get(session.account.role, session.account.role)}）"
                         f"　{self.ctx.settings.kiosk.centre_name}")
        self.outer.setCurrentIndex(1)
        self.show_page("today")

    def log_out(self, why: str) -> None:
        if self.ctx.session is not None:
            login.logout(self.ctx.store, self.ctx.session, why=why)
            log.info("staff session ended (%s)", why)
        self.ctx.session = None
        self.login_page.reload_users()
        self.outer.setCurrentIndex(0)

    def check_idle(self) -> None:
        s = self.ctx.session
        if s is not None and s.idle_expired(self.ctx.clock()):
            self.log_out("idle")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress,
                            QEvent.Type.TouchBegin):
            self.ctx.touch()
        return False

    # ---- pages --------------------------------------------------------------------------
    def show_page(self, key: str) -> QWidget:
        if key in ADMIN_PAGES and not (self.ctx.session and self.ctx.session.is_admin):
            key = "today"
        page = self.pages[key]
        self.nav_buttons[key].setChecked(True)
        self.stack.setCurrentWidget(page)
        try:
            page.refresh()  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a page that cannot load must not close the console
            log.exception("staff page %s failed to refresh", key)
        return page

    def request_leave_fullscreen(self) -> None:
        session = self.ctx.session
        if session is None or not session.is_admin:
            return
        login.audit_admin_action(self.ctx.store, session, "kiosk.leave_fullscreen")
        self.leave_fullscreen.emit()

    def shutdown(self) -> None:
        """Stop timers and end the session (window closing)."""
        self.idle_timer.stop()
        QApplication.instance().removeEventFilter(self)
        self.log_out("closed")


def open_console_over(parent: QWidget | None = None, *, fullscreen: bool = False,
                      store: Store | None = None, camera: CameraSection | None = None
                      ) -> QWidget:
    """A console window (over the kiosk when `parent` is given); closes back to it.

    `store`: the kiosk window's open store, so one process has ONE writer on the database
    file; the console then leaves it open when it closes. Without it (the counter PC's own
    `kiosk staff-console`) the console opens its own store and closes it afterwards.
    `camera`: the camera settings the kiosk opened its camera with (None: the settings file's).
    """
    from kiosk.config import load_settings
    own = store is None
    if store is None:
        store = Store.open()
    console = StaffConsole(ConsoleContext(store=store, settings=load_settings(),
                                          camera_in_use=camera))
    console.setWindowTitle("安心认证 · 工作人员")
    console.setProperty("owns_store", own)

    def close() -> None:
        console.shutdown()
        console.close()
        if own:
            store.close()
    console.closed.connect(close)
    console.leave_fullscreen.connect(lambda: (parent or console).showNormal())
    console.resize(1366, 860)
    if fullscreen:
        console.showFullScreen()
    else:
        console.show()
    console.raise_()
    return console
