"""述职报告档案 — the archive core: text, structure, dedupe and the SQLite record."""

__version__ = "0.1.0"
