"""Deployment: supervisor, heartbeat, packaging and the robustness checks of the selftest."""
