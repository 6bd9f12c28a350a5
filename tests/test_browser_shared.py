"""The analyst's view in headless Chromium on real reports (../shared; skipped when absent): results spread
over reports, browsing, paging past page 100, reading a hit, export, trends; no sideways scrolling."""

from __future__ import annotations

import re
import threading

import pytest

from tests import test_browser as ui
from tests.conftest import read_only_db
from tests.test_browser import SCREENS, search_from_home, total, total_reports

browser, watched = ui.browser, ui.watched  # the same headless Chromium fixtures

pytestmark = [pytest.mark.browser, pytest.mark.shared]


@pytest.fixture(scope="module")
def shared_url(corpus_archive):
    from werkzeug.serving import make_server

    from webui import create_app

    data, _, _ = corpus_archive
    server = make_server("127.0.0.1", 0, create_app({"DATA_DIR": str(data)}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def corpus_db(corpus_archive):
    conn = read_only_db(corpus_archive[0])
    yield conn
    conn.close()


def test_a_common_phrase_shows_one_report_per_result_counted_both_ways(watched, shared_url, corpus_db):
    page = watched.page
    search_from_home(page, shared_url, '"高质量发展"')
    passages, reports = corpus_db.execute(
        "SELECT count(*), count(DISTINCT report_id) FROM passages WHERE instr(fold(text), '高质量发展')").fetchone()
    assert (total(page), total_reports(page)) == (passages, reports) and reports > 10
    titles = page.locator(".report-hit > h2").all_inner_texts()
    assert len(titles) == 10 and len(set(titles)) == 10  # ten reports, not ten passages of one
    counted = sum(int(re.search(r"(\d+) 处匹配", t).group(1))
                  for t in page.locator(".report-hit .matches").all_inner_texts())
    assert 10 <= counted <= passages


def test_paging_past_page_100_goes_on_by_cursor(watched, shared_url, corpus_db):
    page = watched.page
    page.goto(f"{shared_url}/?q=%E7%9A%84&view=passages&page=100")
    assert page.locator(".pagination .current").inner_text() == "100"
    assert "改为逐页向后翻" in page.locator(".cursor-note").inner_text()
    seen = set(page.locator(".hit > h2 a").evaluate_all("links => links.map(a => a.href)"))
    for expected in (101, 102):
        with page.expect_navigation():
            page.locator(".pagination a[rel=next]").click()
        assert "after=" in page.url and f"第 {expected} 页" in page.locator(".cursor-note").inner_text()
        links = set(page.locator(".hit > h2 a").evaluate_all("links => links.map(a => a.href)"))
        assert len(links) == 10 and not links & seen
        seen |= links


def test_reading_a_hit_keeps_the_report_in_view_and_steps_through_its_matches(watched, shared_url):
    page = watched.page
    search_from_home(page, shared_url, '"乡村振兴"')
    with page.expect_navigation():
        page.locator(".report-hit a.where").first.click()
    bar = page.locator(".report-bar")
    assert bar.is_visible() and "结果" in bar.inner_text()
    assert bar.evaluate("el => el.getBoundingClientRect().top >= 0")
    stepper = page.locator(".stepper").first
    marks = int(re.search(r"(?:共 |/)(\d+) 处", stepper.inner_text()).group(1))
    assert marks >= 1
    if marks > 1:
        with page.expect_navigation():
            stepper.locator("a.down").click()
        at = int(re.search(r"第 (\d+)/(\d+) 处", page.locator(".stepper").first.inner_text()).group(1))
        assert page.locator(":target").evaluate("el => el.tagName") == "MARK" and at >= 1
        assert page.locator(".report-bar").evaluate("el => el.getBoundingClientRect().top >= 0")


def test_export_of_a_real_query_opens_with_the_right_characters(watched, shared_url, corpus_db):
    page = watched.page
    search_from_home(page, shared_url, '"营商环境"')
    href = page.locator("a", has_text="CSV").first.get_attribute("href")
    body = page.request.get(shared_url + href if href.startswith("/") else href).body()
    assert body.startswith(b"\xef\xbb\xbfreport_id,title,year,kind,")
    lines = body.decode("utf-8-sig").splitlines()
    (n,) = corpus_db.execute("SELECT count(*) FROM passages WHERE instr(fold(text), '营商环境')").fetchone()
    assert sum(1 for line in lines[1:] if "营商环境" in line) == n


@pytest.mark.parametrize("width", [375, 1280])
def test_real_pages_fit_and_are_kept_as_screenshots(browser, shared_url, corpus_db, width):
    SCREENS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    (rid,) = corpus_db.execute("SELECT report_id FROM reports ORDER BY chars DESC LIMIT 1").fetchone()
    shots = {
        "shared-grouped": f"{shared_url}/?q=%22%E9%AB%98%E8%B4%A8%E9%87%8F%E5%8F%91%E5%B1%95%22",
        "shared-browse": f"{shared_url}/reports?sort=-year",
        "shared-trend": f"{shared_url}/trend?q=%E6%94%B9%E9%9D%A9&q=%22%E9%AB%98%E8%B4%A8%E9%87%8F%E5%8F%91%E5%B1%95%22",
        "shared-report": f"{shared_url}/r/{rid}?q=%E5%8F%91%E5%B1%95#m1",
        "shared-deep": f"{shared_url}/?q=%E7%9A%84&view=passages&page=100",
    }
    try:
        for name, url in shots.items():
            page.goto(url)
            page.wait_for_load_state("load")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} at {width} px scrolls sideways by {overflow} px"
            page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=name != "shared-report")
    finally:
        context.close()
