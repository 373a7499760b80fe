"""The Sync screen's three buttons, as plain functions with plain answers.

"同步" pushes the outbox and pulls the roster once (when a receiver URL is set); "导出到U盘"
writes a signed bundle of everything unacknowledged; "从U盘导入" applies the receiver's
acknowledgement/roster bundle. Offline is a normal state: every function returns a
sentence for the screen instead of raising, and audits what it did (export needs an admin,
checked by the caller). Built on kiosk/sync (the store/sync engineer's API).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from kiosk import paths
from kiosk.config import Settings
from kiosk.staff.login import StaffSession
from kiosk.store.database import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncAnswer:
    ok: bool
    message_zh: str


def _identity(store: Store):  # noqa: ANN202 - kiosk.sync.identity.Identity, imported lazily
    from kiosk.sync.identity import kiosk_identity_path, load_or_create
    return load_or_create(kiosk_identity_path(paths.data_dir()), store.kiosk_id)


def _receiver(settings: Settings):  # noqa: ANN202
    from kiosk.sync.identity import PublicIdentity
    if not settings.sync.receiver_public_key:
        return None
    return PublicIdentity.load(Path(settings.sync.receiver_public_key))


def sync_now(store: Store, settings: Settings, session: StaffSession) -> SyncAnswer:
    """One push + roster pull; never raises."""
    if not settings.sync.url:
        return SyncAnswer(False, "本机未设置同步地址（离线站点），请用U盘导出。")
    try:
        from kiosk.sync.client import SyncWorker
        worker = SyncWorker(store, _identity(store), url=settings.sync.url,
                            batch_size=settings.sync.batch_size,
                            timeout_s=settings.sync.timeout_s)
        try:
            report = worker.sync_once()
        finally:
            worker.close()
    except Exception as exc:  # noqa: BLE001 - shown as a sentence, logged by type
        log.warning("sync now failed: %s", type(exc).__name__)
        return SyncAnswer(False, f"暂时连不上上级系统，数据已安全保存在本机，稍后会自动再试。"
                                 f"（{type(exc).__name__}）")
    store.audit(actor=session.actor, action="sync.manual",
                detail={"sent": report.sent, "acked": report.acked, "ok": report.ok})
    if not report.ok:
        return SyncAnswer(False, f"同步未完成：{report.error}。数据仍在本机，稍后再试。")
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
        return SyncAnswer(False, f"导出失败：{exc}")
    store.audit(actor=session.actor, action="sync.usb_export",
                detail={"records": report.records, "seq": report.seq})
    if report.path is None:
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
        return SyncAnswer(False, f"导入失败，未做任何更改：{exc}")
    store.audit(actor=session.actor, action="sync.usb_import",
                detail={"acked": report.acked, "seq": report.seq})
    return SyncAnswer(True, f"已确认 {report.acked} 条记录；名册新增 {report.roster_inserted}，"
                            f"更新 {report.roster_updated}。")
