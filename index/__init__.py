"""Search over the archive: derived, rebuildable, behind a narrow interface."""
