"""The kiosk put together: one composition root that owns the store, the ports and sync."""
