"""alerts stage (see DESIGN.md)."""
