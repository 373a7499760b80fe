"""Widgets shared by the resident screens."""
