"""The ``archive`` entry point: the core and search commands, plus ``serve``."""

from __future__ import annotations

import click

import index.cli  # noqa: F401  (registers search, reindex, export and the index hooks)
from archive.cli import cli


def main() -> None:
    cli(prog_name="archive")
