"""The seams hold: layers import downwards only, the web reaches search only through ``index.api``,
and only ``archive/`` speaks SQL to the archive's tables."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What the web layer may import from the index: the interface and the pure highlighting helpers.
WEB_MAY_IMPORT = {"index.api", "index.highlight"}
TABLES = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+(?:passages|reports|copies|sections)\b", re.I)


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_layers_import_downwards_only():
    above = {"archive": ("index", "webui"), "index": ("webui",)}
    for layer, banned in above.items():
        for path in (ROOT / layer).rglob("*.py"):
            bad = {m for m in imports(path) if m.split(".")[0] in banned}
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_web_layer_uses_only_the_search_interface():
    for path in (ROOT / "webui").rglob("*.py"):
        index_modules = {m for m in imports(path) if m.split(".")[0] == "index"}
        if path.name == "cli.py":  # the composition root names each layer's register()
            index_modules -= {"index.cli"}
        assert index_modules <= WEB_MAY_IMPORT, f"{path.relative_to(ROOT)} imports {index_modules - WEB_MAY_IMPORT}"


def test_only_the_archive_reads_its_tables():
    for layer in ("index", "webui"):
        for path in (ROOT / layer).rglob("*.py"):
            assert not TABLES.search(path.read_text(encoding="utf-8")), f"SQL on the archive's tables in {path}"


def test_whoosh_private_attributes_are_read_in_one_module():
    private = re.compile(r"\b(?:ix|reader|raw|matcher|pw|fw|codec|col|whoosh3)\._[a-z]")
    for path in (ROOT / "index").glob("*.py"):
        if path.name != "whoosh_internals.py":
            assert not private.search(path.read_text(encoding="utf-8")), f"Whoosh internals read in {path.name}"
