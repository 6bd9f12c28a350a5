"""Hostile Word, PDF and web pages: each fails with a reason inside a time and memory cap; the rest imports."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import pytest

from tests.soak import documents
from tests.soak.tree import FAILED

SECONDS = 240
MEMORY = 3 * 1024 ** 3
VALID = ("2023年度县气象局局长述职报告\n各位领导：\n2023年，我认真履行气象防灾减灾第一责任人职责，现将工作报告如下。\n"
         "一、提升预报预警能力\n新建自动气象站12个，发布预警信息286期，成功应对强降雨过程9次，气象灾害损失明显减少。\n"
         "二、下一步打算\n推进智慧气象建设，力争预警信息覆盖率达到99%。")
OTHER = ("2022年县林业局局长述职报告\n2022年，我坚持生态优先、绿色发展，带领全局干部完成造林绿化2.6万亩。\n"
         "一、守护森林资源\n全面推行林长制，查处涉林案件31起，全年未发生重大森林火灾，森林覆盖率提高到63.5%。\n"
         "二、存在的不足\n基层护林队伍年龄偏大，专业扑火力量不足。")


def _limits() -> None:  # runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    os.setsid()


@pytest.fixture(scope="module")
def bad_import(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-documents")
    inbox = root / "in"
    expected = {}

    def put(category, name, data, expect):
        path = inbox / category / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        expected[str(path)] = expect

    documents.build(put, VALID, heavy=False)
    (inbox / "other.txt").write_text(OTHER, encoding="utf-8")
    argv = [sys.executable, "-c", "from webui.cli import main; main()", "--data", str(root / "data"),
            "import", "--json", str(inbox)]
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, timeout=SECONDS, preexec_fn=_limits, check=False)
    elapsed = time.monotonic() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return expected, done, json.loads(done.stdout), elapsed, children


def test_every_hostile_document_ends_with_an_allowed_outcome_and_a_reason(bad_import):
    expected, done, out, _elapsed, _rss = bad_import
    assert done.returncode == 1, done.stderr.decode()[-2000:]
    outcome = {}
    for key in ("added", "duplicates", "failed", "skipped"):
        for entry in out[key]:
            outcome[entry["path"].split("#")[0]] = (key, entry.get("error", ""))
    for path, expect in expected.items():
        key, error = outcome[path]
        assert key in expect, (path, key, error)
        if key == FAILED:
            assert len(error) > 15 and "Traceback" not in error, (path, error)


@pytest.mark.parametrize("name, reason", [
    ("zip-bomb.docx", "zip bomb"), ("billion-laughs.docx", "DTD"), ("external-entity.docx", "DTD"),
    ("encrypted.pdf", "password"), ("many-pages.pdf", "too many pages"), ("truncated.docx", "damaged or truncated"),
    ("huge-page.html", "MB of markup, far more than one report"),
])
def test_reasons_say_what_is_wrong(bad_import, name, reason):
    _expected, _done, out, _elapsed, _rss = bad_import
    (error,) = [f["error"] for f in out["failed"] if f["path"].endswith("/" + name)]
    assert reason in error


def test_the_rest_of_the_folder_imports_within_the_caps(bad_import):
    _expected, _done, out, elapsed, rss = bad_import
    titles = sorted(a["title"] for a in out["added"])
    assert "2022年县林业局局长述职报告" in titles and "2023年度县气象局局长述职报告" in titles
    assert elapsed < SECONDS and rss < MEMORY
