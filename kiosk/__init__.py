"""安心认证 kiosk core: everything that runs without Qt."""

__version__ = "0.1.0"
APP_NAME = "anxin-kiosk"
