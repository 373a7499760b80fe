"""The Sync screen's three buttons, as plain functions with plain answers.

"同步" pushes the outbox and pulls the roster once (when a receiver URL is set); "导出到U盘"
writes a signed bundle of everything unacknowledged; "从U盘导入" applies the receiver's
acknowledgement/roster bundle. Offline is a normal state: every function returns a
sentence for the screen instead of raising, and audits what it did (export needs an admin,
checked by the caller). Built on kiosk/sync (client, transfer, identity).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import Settings
from kiosk.staff.login import StaffSession
from kiosk.store.database import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncAnswer:
    ok: bool
    message_zh: str


def _identity(store: Store):  # noqa: ANN202 - kiosk.sync.identity.Identity, imported lazily
    """The key pair beside the store's database (the same one `kiosk sync` uses)."""
    from kiosk.sync.kiosk_keys import kiosk_identity
    return kiosk_identity(store)


def explain_error_zh(error: str) -> str:
    """The sync client's short error code as one plain Chinese sentence."""
    e = error.lower()
    if e.startswith("offline: receiver did not answer"):
        return "上级系统没有及时回应（网络慢或对方忙）"
    if e.startswith("offline"):
        return "连不上上级系统（网络不通或对方未开机）"
    if e.startswith("receiver error"):
        return f"上级系统出错（{error.split()[-1]}）"
    if e.startswith("receiver refused"):
        code = error.split("(")[1].split(")")[0] if "(" in error else ""
        return f"上级系统拒绝了本机（{code}，可能本机未登记或时间不准），请联系管理员"
    if e.startswith("internal"):
        return "本机处理出错，请联系技术人员"
    return "同步出错"


_BUNDLE_ZH = (("wrong header", "这不是安心认证的数据文件"), ("truncated", "文件不完整（可能没拷完）"),
              ("extra bytes", "文件被改动过"), ("signature", "文件被改动或损坏"),
              ("damaged", "文件已损坏"), ("not supported", "文件版本不支持"),
              ("unknown sender", "文件不是本机登记的上级系统发出的"),
              ("addressed to", "文件是发给别的终端的"), ("decrypted", "本机无法解密这个文件"),
              ("not newer", "这个回执已经导入过，或比已导入的旧"),
              ("bundle", "文件类型不对"))


def bundle_error_zh(error: BaseException) -> str:
    """A rejected bundle (or a file problem) in one plain Chinese phrase."""
    text = str(error)
    for needle, zh in _BUNDLE_ZH:
        if needle in text:
            return zh
    if isinstance(error, OSError):
        return "文件读写出错（U盘是否已插好、是否有空间）"
    return "出错了"


def progress_zh(stage: str, done: int, total: int) -> str:
    """What the Sync page shows while `sync_now` runs."""
    if stage == "push":
        return f"正在上传：{done} / {total} 条" if total else "正在检查待上传记录……"
    return "正在下载名册更新……"


def _receiver(settings: Settings):  # noqa: ANN202
    from kiosk.sync.identity import PublicIdentity
    if not settings.sync.receiver_public_key:
        return None
    return PublicIdentity.load(Path(settings.sync.receiver_public_key))


def sync_now(store: Store, settings: Settings, session: StaffSession, *,
             progress: Callable[[str], None] | None = None) -> SyncAnswer:
    """One push + roster pull; never raises. `progress(text)` gets Chinese progress lines."""
    if not settings.sync.url:
        return SyncAnswer(False, "本机未设置同步地址（离线站点），请用U盘导出。")
    try:
        from kiosk.sync.client import SyncWorker, secure_options
        worker = SyncWorker(store, _identity(store), url=settings.sync.url,
                            batch_size=settings.sync.batch_size,
                            timeout_s=settings.sync.timeout_s,
                            **secure_options(settings.sync))
        try:
            report = worker.sync_once(progress=None if progress is None else (
                lambda stage, done, total: progress(progress_zh(stage, done, total))))
        finally:
            worker.close()
    except Exception as exc:  # noqa: BLE001 - shown as a sentence, logged by type
        log.warning("sync now failed: %s", type(exc).__name__)
        return SyncAnswer(False, "同步没有完成，数据已安全保存在本机，稍后会自动再试。")
    store.audit(actor=session.actor, action="sync.manual",
                detail={"sent": report.sent, "acked": report.acked, "ok": report.ok,
                        "error": report.error[:80]}).result()
    if not report.ok:
        done = f"已上传并确认 {report.acked} 条；" if report.acked else ""
        return SyncAnswer(False, f"同步未完成：{explain_error_zh(report.error)}。{done}"
                                 "其余数据安全保存在本机，稍后会自动再试。")
    return SyncAnswer(True, f"同步完成：上传 {report.sent} 条，已确认 {report.acked} 条，"
                            f"名册更新 {report.roster_changed} 条。")


def export_usb(store: Store, settings: Settings, session: StaffSession, folder: Path
               ) -> SyncAnswer:
    """Signed, encrypted bundle for the receiver; exporting twice is harmless."""
    session.require_admin("export")
    try:
        from kiosk.sync.transfer import export_bundle
        receiver = _receiver(settings)
        if receiver is None:
            return SyncAnswer(False, "未设置上级系统的公钥（sync.receiver_public_key），"
                                     "无法导出。")
        report = export_bundle(store, _identity(store), receiver, folder)
    except Exception as exc:  # noqa: BLE001
        log.warning("usb export failed: %s", type(exc).__name__)
        return SyncAnswer(False, f"导出失败：{bundle_error_zh(exc)}。本机数据没有变化。")
    store.audit(actor=session.actor, action="sync.usb_export",
                detail={"records": report.records, "seq": report.seq}).result()
    if report.path is None or report.records == 0:
        return SyncAnswer(True, "没有待上传的记录。")
    return SyncAnswer(True, f"已导出 {report.records} 条记录到 {report.path.name}。")


def import_usb(store: Store, settings: Settings, session: StaffSession, path: Path
               ) -> SyncAnswer:
    """The receiver's bundle: acknowledgements and roster changes, all or nothing."""
    try:
        from kiosk.sync.transfer import import_ack_bundle
        receiver = _receiver(settings)
        if receiver is None:
            return SyncAnswer(False, "未设置上级系统的公钥，无法核验U盘文件。")
        report = import_ack_bundle(store, _identity(store), receiver, path)
    except Exception as exc:  # noqa: BLE001
        log.warning("usb import failed: %s", type(exc).__name__)
        store.audit(actor=session.actor, action="sync.usb_import_refused",
                    detail={"why": str(exc)[:120]}).result()
        return SyncAnswer(False, f"导入失败，未做任何更改：{bundle_error_zh(exc)}。")
    store.audit(actor=session.actor, action="sync.usb_import",
                detail={"acked": report.acked, "seq": report.seq}).result()
    return SyncAnswer(True, f"已确认 {report.acked} 条记录；名册新增 {report.roster_inserted}，"
                            f"更新 {report.roster_updated}。")


def roster_confirmation_zh(store: Store) -> str:
    """The sync page's line when a full roster was refused for deactivating too many."""
    pending = store.sync_state("roster_deactivation_pending", "")
    if not pending:
        return ""
    would, _, active = pending.partition("/")
    return (f"\n上级发来的整份名册会停用 {would} 位居民（共 {active} 位），数量异常，"
            "已暂不采用。请管理员核实后在此确认，再同步或导入一次。")


def confirm_roster_deactivation(store: Store, session: StaffSession) -> SyncAnswer:
    """An administrator accepts the refused roster's deactivations (exactly that many)."""
    session.require_admin("roster")
    pending = store.sync_state("roster_deactivation_pending", "")
    if not pending:
        return SyncAnswer(False, "没有等待确认的名册。")
    would = pending.partition("/")[0]
    store.set_sync_state(roster_deactivation_confirmed=would,
                         roster_deactivation_pending="").result()
    store.audit(actor=session.actor, action="roster.mass_deactivation_confirmed",
                detail={"residents": int(would)}).result()
    return SyncAnswer(True, f"已确认：下次同步或导入时停用 {would} 位居民。")


def quarantine_zh(store: Store) -> str:
    """The sync page's line about rows set aside (empty when there are none)."""
    rows = store.quarantined_outbox()
    if not rows:
        return ""
    reasons: dict[str, int] = {}
    for row in rows:
        key = row.reason.split(":")[0]
        reasons[key] = reasons.get(key, 0) + 1
    why = "；".join(f"{_QUARANTINE_ZH.get(k, k)} {n} 条" for k, n in reasons.items())
    return (f"\n有 {len(rows)} 条记录无法上传，已单独存放（其余记录照常同步）：{why}。"
            "请用下方按钮导出清单，交给技术支持。")


def quarantine_rows_zh(store: Store, *, limit: int = 5) -> str:
    """The rows set aside, one line each (number, kind, reason, time; no personal data)."""
    from kiosk.staff.labels import fmt_local
    rows = store.quarantined_outbox()
    kinds = {"certification": "认证", "home_visit": "上门"}
    lines = [f"#{r.seq}　{kinds.get(r.kind, r.kind or '记录')}　"
             f"{_QUARANTINE_ZH.get(r.reason.split(':')[0], r.reason.split(':')[0])}　"
             f"{fmt_local(r.quarantined_at)}" for r in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"……另有 {len(rows) - limit} 条，见导出的清单")
    return "\n".join(lines)


def export_quarantine_list(store: Store, session: StaffSession, folder: Path) -> SyncAnswer:
    """The list of rows set aside (ids, kinds, reasons, times; no payloads) as a 0600 JSON
    file in `folder` (a USB stick), for support; audited."""
    import datetime as dt

    from kiosk.store.quarantine import export_quarantine
    rows = store.quarantined_outbox()
    if not rows:
        return SyncAnswer(True, "没有无法上传的记录，不需要导出。")
    safe_id = "".join(c for c in store.kiosk_id if c.isalnum() or c == "-")[:40] or "kiosk"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    try:
        path = export_quarantine(store, folder / f"quarantine-{safe_id}-{stamp}.json")
    except OSError as exc:
        log.warning("quarantine export failed: %s", type(exc).__name__)
        return SyncAnswer(False, "导出失败：无法写入所选文件夹（U盘已满或被拔出？）。")
    store.audit(actor=session.actor, action="sync.quarantine_export",
                detail={"rows": len(rows)}).result()
    return SyncAnswer(True, f"已导出 {len(rows)} 条无法上传记录的清单到 {path.name}，"
                            "请交给技术支持。")


_QUARANTINE_ZH = {
    "payload does not decrypt with this kiosk's key": "本机密钥无法解开",
    "payload cannot be sent": "内容格式有误",
    "receiver keeps failing on this record": "上级系统反复处理失败",
}
