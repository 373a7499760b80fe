"""PyInstaller entry point: the frozen `kiosk` executable is `ui.launcher:main`."""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
