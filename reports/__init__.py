"""reports stage (see DESIGN.md)."""
