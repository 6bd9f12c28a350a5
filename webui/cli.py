"""The ``archive`` entry point: the core commands plus ``serve``."""

from __future__ import annotations

from archive.cli import cli


def main() -> None:
    cli(prog_name="archive")
