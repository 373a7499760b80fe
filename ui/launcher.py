"""The `kiosk` console script: subcommands run headless; no subcommand opens the window.

Without a subcommand, `kiosk` runs the supervisor (kiosk/deploy/supervisor.py), which starts
`kiosk --no-supervisor ...` as a child and restarts it on crash or hang. `--no-supervisor`
(or `supervisor = false` in settings) runs the UI in this process. The supervisor process
never imports Qt and does not open the UI's log file (two writers would break rotation on
Windows).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    from kiosk.cli import build_parser, run
    from kiosk.deploy.memory import limit_malloc_arenas
    from kiosk.deploy.qt_platform import PROBE_FLAG
    from kiosk.logs import quiet_third_party, setup_logging
    from ui.commands import register as register_ui

    multiprocessing.freeze_support()   # the frozen exe also runs the face-embedder child
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [PROBE_FLAG]:
        return _qt_probe()
    limit_malloc_arenas()          # before any thread starts: keeps RSS flat over hours
    quiet_third_party()
    parser = build_parser(extra=[register_ui])
    parser.add_argument("--quit-after", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command is not None:
        setup_logging()
        return run(args)
    if _should_supervise(args):
        from kiosk.deploy.supervisor import supervise

        return supervise(argv)
    from kiosk import paths
    from kiosk.deploy.instance import ALREADY_RUNNING, already_running_message, hold_for_ui

    lock = hold_for_ui(paths.data_dir())     # one kiosk per PC, however it was started
    if lock is None:
        print(already_running_message(paths.data_dir()), file=sys.stderr)
        return ALREADY_RUNNING
    try:
        setup_logging()
        return _run_ui(args)
    finally:
        lock.release()


def _qt_probe() -> int:
    """`kiosk --qt-probe`: can Qt start its platform plugin here? (kiosk selftest asks)."""
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])
    print("platform", app.platformName(), flush=True)
    return 0


def _should_supervise(args: argparse.Namespace) -> bool:
    from kiosk.config import ConfigError, load_settings
    from kiosk.deploy.supervisor import ENV_SUPERVISED

    if args.no_supervisor or os.environ.get(ENV_SUPERVISED) == "1":
        return False
    try:
        return load_settings().kiosk.supervisor
    except ConfigError:
        return False          # the UI prints the settings problem and exits 2


def _run_ui(args: argparse.Namespace) -> int:
    """The UI in this process, with the heartbeat and the exception guard installed first."""
    from kiosk.deploy.load_order import preload_native

    preload_native()             # Windows: onnxruntime and mediapipe before PySide6
    try:
        from ui.app import make_app, run_app
    except ImportError as exc:   # Windows' "DLL load failed": name the DLL, then fail as before
        from kiosk.deploy.windows_dlls import explain_import_failure

        for line in explain_import_failure(exc):
            print(f"windows_dlls: {line}", file=sys.stderr, flush=True)
        raise
    from ui.automation import start_ui_map
    from ui.excepthook import install
    from ui.heartbeat import start_heartbeat

    app = make_app()             # run_app reuses this QApplication
    install(app)
    start_heartbeat(app)
    start_ui_map(app)            # only when a test driver asked for it (KIOSK_UI_MAP)
    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
