"""Review queue: the live crop beside every reference, scores and liveness reasons, then
approve (a counter_assisted certification in the staff member's name) or reject — either
with a reason from the list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kiosk.staff import review
from kiosk.staff.labels import (
    CHANNEL_ZH,
    RESULT_ZH,
    REVIEW_APPROVE_ZH,
    REVIEW_REJECT_ZH,
    fmt_local,
    label,
)
from ui.staff.base import (
    ConsoleContext,
    button,
    clear_layout,
    fill,
    mount_page,
    page_frame,
    row,
    selected_key,
    table,
    text,
)
from ui.staff.choices import ChoiceButtons, PhraseButtons

PHOTO_PX = 200
CAPTION_PX = 56        # room under a photo for its caption
# one tap into the note (never a name): what a reviewer writes most
NOTE_PHRASES = ["已核对身份证原件", "家属陪同", "本人到窗口", "证件照片较旧", "光线不足",
                "戴眼镜或帽子"]


def photo_label(data: bytes | None, caption: str) -> QWidget:
    box = QWidget()
    box.setFixedHeight(PHOTO_PX + CAPTION_PX)   # as wide as its caption ("身份证照片（决定）")
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    picture = QLabel()
    picture.setFixedSize(PHOTO_PX, PHOTO_PX)
    picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
    picture.setStyleSheet("background: #FFFFFF; border: 2px solid #3D3D3D;")
    image = QImage.fromData(data) if data else QImage()
    if image.isNull():
        picture.setText("无图像")
    else:
        picture.setPixmap(QPixmap.fromImage(image).scaled(
            PHOTO_PX - 6, PHOTO_PX - 6, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))
    layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignHCenter)
    words = QLabel(caption)
    words.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
    layout.addWidget(words)
    return box


class ReviewPage(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.items: dict[str, review.ReviewItem] = {}
        page, layout = page_frame("待审核")
        self.queue = table(["时间", "居民", "身份证号", "结果", "原因"])
        self.queue.setMinimumHeight(230)
        self.queue.setMaximumHeight(260)
        self.queue.itemSelectionChanged.connect(self.show_selected)
        layout.addWidget(self.queue)
        strip = QWidget()
        strip.setFixedHeight(PHOTO_PX + CAPTION_PX + 4)
        self.photos = QHBoxLayout(strip)
        self.photos.setContentsMargins(0, 0, 0, 0)
        self.photos.setSpacing(28)     # captions of neighbouring photos stay apart
        layout.addWidget(strip)
        self.details = text("请在上面选择一条记录。", role="muted")
        layout.addWidget(self.details)
        self.reason = ChoiceButtons(columns=2)
        self.note = QLineEdit()
        self.note.setPlaceholderText("备注（原因选“其他”时必填，不写姓名）")
        self.phrases = PhraseButtons(self.note, NOTE_PHRASES, columns=3)
        self.approve_button = button("核验本人，通过", kind="primary", on_click=self.approve)
        self.reject_button = button("不通过", kind="danger", on_click=self.reject)
        grid = QGridLayout()
        grid.addWidget(text("原因", wrap=False), 0, 0)
        grid.addWidget(self.reason, 0, 1)
        grid.addWidget(text("备注", wrap=False), 1, 0)
        grid.addWidget(self.note, 1, 1)
        grid.addWidget(self.phrases, 2, 1)
        layout.addLayout(grid)
        layout.addLayout(row(self.approve_button, self.reject_button))
        self.message = mount_page(self, page, layout)
        self._fill_reasons()

    def _fill_reasons(self) -> None:
        self.reason.clear()
        self.reason.addItem("— 请选择原因 —", "")
        for code, zh in REVIEW_APPROVE_ZH.items():
            self.reason.addItem(f"通过：{zh}", f"approve:{code}")
        for code, zh in REVIEW_REJECT_ZH.items():
            self.reason.addItem(f"不通过：{zh}", f"reject:{code}")

    def refresh(self) -> None:
        items = review.review_queue(self.ctx.store)
        self.items = {i.uuid: i for i in items}
        fill(self.queue, [[fmt_local(i.finished_at), i.resident_name, i.masked_id_number,
                           label(RESULT_ZH, i.result),
                           "、".join(review.reason_zh(c) for c in i.reason_codes)]
                          for i in items], keys=[i.uuid for i in items])
        if items:
            self.queue.selectRow(0)
        else:
            self.details.setText("没有待审核的记录。")
            self._clear_photos()

    def _clear_photos(self) -> None:
        clear_layout(self.photos)

    def show_selected(self) -> None:
        item = self.items.get(selected_key(self.queue) or "")
        self._clear_photos()
        if item is None:
            return
        ev = review.review_evidence(self.ctx.store, item)
        decided = str(item.scores.get("reference") or "")

        def caption(kind: str) -> str:
            return review.REFERENCE_ZH[kind] + ("（决定）" if kind == decided else "")
        self.photos.addWidget(photo_label(ev.live[0] if ev.live else None, "现场照片"))
        self.photos.addWidget(photo_label(ev.card_portrait, caption("card_portrait")))
        self.photos.addWidget(photo_label(ev.enrolled_photo, caption("enrolled")))
        self.photos.addWidget(photo_label(ev.last_passed, caption("last_certification")))
        self.photos.addStretch(1)
        tries = "；".join(
            f"第{a.number}次 {label(RESULT_ZH, a.outcome)} 活体{'通过' if a.liveness_passed else '未过'}"
            f" 距离{a.match_distance:.2f}" if a.match_distance is not None else
            f"第{a.number}次 {label(RESULT_ZH, a.outcome)} {review.reason_zh(a.reason_code)}"
            for a in item.attempts)
        # each model's say is in the face-decision line above, not repeated as a raw dict
        scores = "，".join(f"{k}={v}" for k, v in item.scores.items() if k != "models")
        live = "，".join(f"{k}={v}" for k, v in item.liveness.items())
        self.details.setText(f"{label(CHANNEL_ZH, item.channel)} · {label(RESULT_ZH, item.result)}"
                             f"\n{review.face_decision_zh(item)}"
                             f"\n比对：{scores or '无'}\n活体：{live or '无'}\n{tries}")

    def _decide(self, want: str) -> None:
        uuid = selected_key(self.queue)
        choice = str(self.reason.currentData() or "").split(":", 1)
        if not uuid:
            self.message.setText("请先选择一条记录。")
            return
        if len(choice) != 2 or choice[0] != want:
            self.message.setText("请先选择" + ("通过" if want == "approve" else "不通过")
                                 + "的原因。")
            return
        session = self.ctx.actor()
        try:
            if want == "approve":
                review.approve(self.ctx.store, session, uuid, reason=choice[1],
                               note=self.note.text(), now=self.ctx.clock())
                self.message.setText("已通过，记为窗口协助认证。")
            else:
                review.reject(self.ctx.store, session, uuid, reason=choice[1],
                              note=self.note.text())
                self.message.setText("已记录为不通过。")
        except review.ReviewError as exc:
            self.message.setText(str(exc))
            return
        self.note.clear()
        self.reason.setCurrentIndex(0)
        self.refresh()

    def approve(self) -> None:
        self._decide("approve")

    def reject(self) -> None:
        self._decide("reject")
