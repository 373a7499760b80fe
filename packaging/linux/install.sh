#!/bin/sh
# Install, upgrade or roll back the 安心认证 kiosk for the current (kiosk) user. No root.
#
#   ./install.sh                 install this version and start it at login
#   ./install.sh --autostart xdg|systemd|none
#   ./install.sh --rollback      switch back to the previously installed version
#   ./install.sh --uninstall     remove program and autostart (the data folder stays)
#
# Versions live side by side in $PREFIX/<version>; $PREFIX/current points at the active one,
# switched only after the new one has started (`kiosk --version`) and passed `selftest`.
# The data folder (~/.local/share/anxin-kiosk, or $KIOSK_HOME) is never touched.
#
# Qt's window needs a few X11 system libraries that a minimal Debian/Ubuntu lacks. The bundle
# carries the ones found on the build machine; any of WINDOW_PACKAGES still missing here is
# installed with apt-get when run as root or with sudo (from the site's package mirror or a
# local .deb folder), else the exact command is printed. `kiosk selftest` names what is missing.
set -eu

PREFIX="${KIOSK_PREFIX:-$HOME/.local/opt/anxin-kiosk}"
HERE="$(cd "$(dirname "$0")" && pwd)"
UNIT_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
AUTOSTART_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/autostart"
BIN="$PREFIX/current/kiosk"
MODE=install
AUTOSTART=auto

while [ $# -gt 0 ]; do
    case "$1" in
        --autostart) AUTOSTART="$2"; shift 2 ;;
        --rollback) MODE=rollback; shift ;;
        --uninstall) MODE=uninstall; shift ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

say() { printf '%s\n' "$*"; }

# the same list as kiosk/deploy/qt_platform.py WINDOW_PACKAGES and README.md
WINDOW_PACKAGES="libgl1 libegl1 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3 libxkbcommon0 \
libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 \
libxcb-util1 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0"

window_libraries() {  # install the X11 libraries Qt needs, where they are missing
    command -v dpkg-query >/dev/null 2>&1 || return 0     # not Debian/Ubuntu: see selftest
    missing=""
    for p in $WINDOW_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
            || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    say "system libraries for the window are missing:$missing"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y $missing || say "WARNING: apt-get could not install them"
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get install -y $missing || say "WARNING: apt-get could not install them"
    else
        say "WARNING: ask an administrator to run: sudo apt-get install$missing"
    fi
}

fill() {  # template -> destination, with @KIOSK_BIN@ replaced
    mkdir -p "$(dirname "$2")"
    sed "s|@KIOSK_BIN@|$BIN|g" "$1" > "$2.tmp" && mv "$2.tmp" "$2"
}

stop_running() {
    if command -v systemctl >/dev/null 2>&1; then
        systemctl --user stop anxin-kiosk.service 2>/dev/null || true
    fi
}

switch_to() {  # atomically point current at version $1
    ln -sfn "$1" "$PREFIX/current.new"
    mv -T "$PREFIX/current.new" "$PREFIX/current"
}

autostart() {
    mode="$AUTOSTART"
    if [ "$mode" = auto ]; then
        mode=xdg
        if command -v systemctl >/dev/null 2>&1 \
            && systemctl --user is-active -q graphical-session.target 2>/dev/null; then
            mode=systemd
        fi
    fi
    case "$mode" in
        systemd)
            rm -f "$AUTOSTART_DIR/anxin-kiosk.desktop"
            fill "$HERE/anxin-kiosk.service" "$UNIT_DIR/anxin-kiosk.service"
            systemctl --user daemon-reload
            systemctl --user enable anxin-kiosk.service
            say "autostart: systemd user unit (systemctl --user status anxin-kiosk)" ;;
        xdg)
            fill "$HERE/anxin-kiosk.desktop" "$AUTOSTART_DIR/anxin-kiosk.desktop"
            say "autostart: $AUTOSTART_DIR/anxin-kiosk.desktop" ;;
        none) say "autostart: not registered" ;;
        *) echo "unknown autostart mode: $mode" >&2; exit 2 ;;
    esac
}

case "$MODE" in
rollback)
    [ -f "$PREFIX/previous" ] || { echo "no previous version recorded" >&2; exit 1; }
    prev="$(cat "$PREFIX/previous")"
    [ -x "$PREFIX/$prev/kiosk" ] || { echo "previous version $prev is gone" >&2; exit 1; }
    stop_running
    cur="$(readlink "$PREFIX/current" || true)"
    switch_to "$prev"
    [ -n "$cur" ] && printf '%s\n' "$cur" > "$PREFIX/previous"
    say "switched back to $prev; log out and in (or restart) to start it"
    exit 0 ;;
uninstall)
    stop_running
    if command -v systemctl >/dev/null 2>&1; then
        systemctl --user disable anxin-kiosk.service 2>/dev/null || true
    fi
    rm -f "$UNIT_DIR/anxin-kiosk.service" "$AUTOSTART_DIR/anxin-kiosk.desktop"
    rm -rf "$PREFIX"
    say "removed; the data folder was kept"
    exit 0 ;;
esac

VERSION="$(cat "$HERE/VERSION")"
window_libraries
mkdir -p "$PREFIX"
say "installing version $VERSION into $PREFIX/$VERSION"
rm -rf "$PREFIX/$VERSION.partial"
cp -a "$HERE/kiosk" "$PREFIX/$VERSION.partial"
"$PREFIX/$VERSION.partial/kiosk" --version
if ! "$PREFIX/$VERSION.partial/kiosk" selftest; then
    say "WARNING: selftest reports a problem (see above); installing anyway so staff can fix it"
fi
stop_running
cur="$(readlink "$PREFIX/current" 2>/dev/null || true)"
if [ -n "$cur" ] && [ "$cur" != "$VERSION" ]; then
    printf '%s\n' "$cur" > "$PREFIX/previous"
fi
rm -rf "$PREFIX/$VERSION"
mv "$PREFIX/$VERSION.partial" "$PREFIX/$VERSION"
switch_to "$VERSION"
# keep the active and the previous version, remove older ones
keep_prev="$(cat "$PREFIX/previous" 2>/dev/null || true)"
for d in "$PREFIX"/*; do
    name="$(basename "$d")"
    [ -L "$d" ] || [ ! -d "$d" ] && continue          # current (symlink), previous (file)
    [ "$name" = "$VERSION" ] || [ "$name" = "$keep_prev" ] || rm -rf "$d"
done
autostart
say "done. The database upgrades itself (after a backup) at the next start."
