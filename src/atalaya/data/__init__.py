"""Data files the package reads at run time (see NOTICE.md for where each comes from and its licence)."""
