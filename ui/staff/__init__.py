"""The staff console (PySide6 Widgets) on top of kiosk.staff."""
