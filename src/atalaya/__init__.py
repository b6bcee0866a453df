"""Atalaya: validated YAML facts on Latin American military alliances, built into briefings and memos."""

__version__ = "1.0.0"
