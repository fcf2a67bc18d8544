"""detectors stage (see DESIGN.md)."""
