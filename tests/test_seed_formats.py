"""The five seed reports saved as Word and as PDF import as copies of their text originals (../shared needed)."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from tests.conftest import run
from tests.fixtures.convert import FONT, as_docx, as_pdf

pytestmark = pytest.mark.shared


def test_seeds_as_docx_and_pdf_are_copies_with_the_same_section_types(shared, tmp_path):
    if not os.path.exists(FONT):
        pytest.skip("no CJK font to typeset the PDFs (apt-get install fonts-wqy-microhei)")
    converted = tmp_path / "converted"
    converted.mkdir()
    seeds = sorted((shared / "seeds").glob("*.txt"))
    for seed in seeds:
        text = seed.read_text(encoding="utf-8")
        (converted / f"{seed.stem}.docx").write_bytes(as_docx(text))
        (converted / f"{seed.stem}.pdf").write_bytes(as_pdf(text))
    data = tmp_path / "data"
    result = run("import", "--json", str(shared / "seeds"), str(converted), data=data)
    out = json.loads(result.output)
    assert result.exit_code == 0 and not out["failed"], out["failed"]
    original = {os.path.basename(a["path"])[:-4]: a["report_id"] for a in out["added"]}
    assert sorted(original) == [s.stem for s in seeds]  # nothing converted became a report of its own
    db = sqlite3.connect(data / "archive.db")

    def top_types(path: str) -> list[str]:
        """Top-level section types of the report as parsed from this copy's own text."""
        from archive.importer import prepare

        with open(path, "rb") as f:
            (prep,) = prepare(path, f.read(), "0" * 64)
        return [s.section_type for s in prep.report.sections if s.level == 1]

    copies = {os.path.basename(d["path"]): d for d in out["duplicates"]}
    assert len(copies) == 2 * len(seeds)
    for seed in seeds:
        for suffix in (".docx", ".pdf"):
            dup = copies[seed.stem + suffix]
            assert dup["of"] == original[seed.stem], seed.stem + suffix
            assert dup["kind"] == "exact" or dup["similarity"] >= 0.9, dup
            assert top_types(str(converted / (seed.stem + suffix))) == top_types(str(seed)), seed.stem + suffix
    kept = db.execute("SELECT count(*) FROM copies WHERE relation IN ('exact', 'near')").fetchone()[0]
    assert kept == 2 * len(seeds)
