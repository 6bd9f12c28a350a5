"""End to end in headless Chromium: search, facets, anchored passages, citations, XSS, no-JavaScript, layout."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from archive.text import fold

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screens"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium, or make browser)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def base_url(sample_archive):
    """The app behind a real HTTP server on a free port, for the module's lifetime."""
    from werkzeug.serving import make_server

    from webui import create_app

    server = make_server("127.0.0.1", 0, create_app({"DATA_DIR": str(sample_archive)}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


class Watched:
    """A page plus what it must never do: open a dialog, throw, or break the CSP."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(10_000)
        self.dialogs: list[str] = []
        self.problems: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("console", self._console)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, msg):
        if msg.type == "error":
            self.problems.append(f"console: {msg.text}")


@pytest.fixture
def watched(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    w = Watched(context)
    yield w
    context.close()
    assert w.dialogs == []
    assert w.problems == []


@pytest.fixture
def no_js(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    w = Watched(context)
    yield w
    context.close()
    assert w.problems == []


def total(page) -> int:
    return int(page.locator(".summary .total").inner_text().replace(",", ""))


def total_reports(page) -> int:
    return int(page.locator(".summary .total-reports").inner_text().replace(",", ""))


def show_passages(page) -> None:
    """Switch the results from reports (the default) to loose passages."""
    with page.expect_navigation():
        page.locator(".toolbar .views a", has_text="按段落").click()


def facet_counts(page, name: str) -> dict[str, int]:
    out = {}
    for item in page.locator(f".facet-{name} li").all():
        label = item.locator(".label").inner_text()
        out[label] = int(item.locator(".count").inner_text())
    return out


def search_from_home(page, base_url: str, query: str) -> None:
    page.goto(base_url + "/")
    page.fill("input[name=q]", query)
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")


def test_browser_phrase_search_shows_marked_hits(watched, base_url):
    page = watched.page
    search_from_home(page, base_url, '"两个维护"')
    assert page.input_value("input[name=q]") == '"两个维护"'
    assert total(page) > 0
    marks = page.locator(".report-hit .snippet mark").all_inner_texts()
    assert marks and all(fold(m) == "两个维护" for m in marks)
    assert page.locator(".took").inner_text()


def test_browser_section_facet_narrows(watched, base_url):
    page = watched.page
    search_from_home(page, base_url, '"工作"')
    show_passages(page)
    before_total = total(page)
    before_years = facet_counts(page, "year")
    link = next(a for a in page.locator(".facet-section a[data-facet]").all()
                if int(a.locator(".count").inner_text()) < before_total)
    count = int(link.locator(".count").inner_text())
    label = link.locator(".label").inner_text()
    with page.expect_navigation():
        link.click()
    assert total(page) == count < before_total
    assert page.locator(".applied li").first.inner_text().startswith(label)
    assert page.locator(".facet-section li.on .label").inner_text() == label
    after_years = facet_counts(page, "year")
    assert sum(after_years.values()) == count
    assert all(n <= before_years[y] for y, n in after_years.items())
    assert all(h == label for h in page.locator(".hit .stype").all_inner_texts())
    others = facet_counts(page, "section")  # the other types stay offered, to add (OR)
    assert len(others) > 1 and others[label] == count
    other = next(a for a in page.locator(".facet-section a[data-facet]").all())
    added = int(other.locator(".count").inner_text())
    with page.expect_navigation():
        other.click()
    assert total(page) == count + added and page.locator(".applied li:not(.clear)").count() == 2


def test_browser_results_by_report_count_reports(watched, base_url):
    page = watched.page
    search_from_home(page, base_url, '"工作"')
    reports = page.locator(".report-hit")
    assert reports.count() == min(10, total_reports(page)) and total(page) >= total_reports(page)
    first = reports.first
    matches = int(re.search(r"(\d+) 处匹配", first.locator(".matches").inner_text()).group(1))
    assert 1 <= first.locator(".best > li").count() <= min(3, matches)
    link = next(a for a in page.locator(".facet-kind a[data-facet]").all()
                if int(a.locator(".count").inner_text()) < total_reports(page))
    count = int(link.locator(".count").inner_text())
    with page.expect_navigation():
        link.click()
    assert total_reports(page) == count
    with page.expect_navigation():
        page.locator(".toolbar .sorts a", has_text="新→旧").click()
    years = [int(y) for y in re.findall(r"(\d{4})年", " ".join(page.locator(".report-hit .hit-meta").all_inner_texts()))]
    assert years == sorted(years, reverse=True)


def test_browser_hit_lands_on_marked_passage(watched, base_url):
    page = watched.page
    search_from_home(page, base_url, "两个维护")
    first = page.locator(".report-hit a.where").first
    with page.expect_navigation():
        first.click()
    anchor = re.search(r"#(p\d+)$", page.url)
    assert anchor and "?q=" in page.url
    target = page.locator(":target")
    assert target.get_attribute("id") == anchor.group(1)
    assert target.locator("mark").count() > 0
    background = target.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert target.evaluate("el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")


def test_browser_text_only_in_a_repost_leads_to_the_copy_diff(watched, base_url, db):
    page = watched.page
    search_from_home(page, base_url, '"亿元以上项目68个"')  # the repost says 68 where the kept text says 63
    assert total(page) == 1
    place = page.locator(".report-hit .copy-only")
    copy_id = db.execute("SELECT id FROM copies WHERE relation = 'near' AND path LIKE "
                         "'%commerce_bureau_director_shuzhi_repost%'").fetchone()[0]
    assert place.inner_text().startswith(f"仅见于副本 {copy_id}")
    with page.expect_navigation():
        page.locator(".report-hit a.where").first.click()
    assert re.search(rf"/copies/{copy_id}/diff\?q=[^#]+#c\d+$", page.url)
    target = page.locator(":target")
    assert "changed" in target.get_attribute("class") and "亿元以上项目6" in target.inner_text()
    assert target.locator("ins.figure").first.inner_text() == "8"
    assert "".join(target.locator("mark").all_inner_texts()) == "亿元以上项目68个"  # the query, marked
    assert target.evaluate("el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")


def test_browser_cite_permalink_lands_on_same_passage(watched, base_url, db):
    rid, n = db.execute("SELECT report_id, passage_no FROM passages WHERE is_heading = 0 "
                        "ORDER BY length(text) DESC LIMIT 1").fetchone()
    page = watched.page
    page.goto(f"{base_url}/r/{rid}")
    passage = page.locator(f"#p{n}")
    passage.locator("details.cite summary").click()
    citation = passage.locator(".citation")
    assert citation.is_visible()
    text = citation.inner_text()
    assert text.startswith("佚名. ") and "[EB/OL]" in text
    url = re.search(r"(http://\S+#p\d+)\.$", text).group(1)
    assert url == f"{base_url}/r/{rid}#p{n}"
    assert passage.locator("button.copy").is_visible()  # shown by the script
    page.goto("about:blank")
    page.goto(url)
    assert page.locator(":target").get_attribute("id") == f"p{n}"


def test_browser_xss_sample_shows_text_and_runs_nothing(watched, base_url, db):
    (rid,) = db.execute("SELECT report_id FROM passages WHERE text LIKE '%<script>alert(1)</script>%'").fetchone()
    page = watched.page
    for url in (f"{base_url}/r/{rid}", f"{base_url}/r/{rid}?q=alert", f"{base_url}/r/{rid}/source",
                f"{base_url}/?q=alert"):
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.locator("img").count() == 1  # the logo; no injected <img onerror>
        assert page.locator("script").count() == 1  # app.js only
    page.goto(f"{base_url}/r/{rid}")
    body = page.locator(".report-text").inner_text()
    assert "<script>alert(1)</script>" in body
    assert '"><img src=x onerror=alert(1)>' in body
    assert watched.dialogs == []


def test_browser_works_without_javascript(no_js, base_url):
    page = no_js.page
    search_from_home(page, base_url, '"工作"')
    before = total_reports(page)
    assert before > 0 and page.locator(".report-hit").count() > 0
    link = next(a for a in page.locator(".facet-section a[data-facet]").all()
                if int(a.locator(".count").inner_text()) < before)
    count = int(link.locator(".count").inner_text())
    with page.expect_navigation():
        link.click()
    assert total_reports(page) == count
    with page.expect_navigation():
        page.locator(".facet-year li a[data-facet]").first.click()
    assert total_reports(page) <= count
    with page.expect_navigation():
        page.locator(".report-hit a.where").first.click()
    assert page.locator(":target mark").count() > 0 or page.locator(":target").count() == 1
    summary = page.locator(":target details.cite summary")
    summary.click()
    assert page.locator(":target .citation").is_visible()
    assert not page.locator(":target button.copy").is_visible()  # the copy button needs the script


@pytest.mark.parametrize("width", [375, 1280])
def test_browser_layout_fits_and_screenshots(browser, base_url, db, width):
    SCREENS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    try:
        rid, n = db.execute("SELECT p.report_id, p.passage_no FROM passages p JOIN sections s "
                            "ON s.report_id = p.report_id WHERE p.text LIKE '%两个维护%' AND p.is_heading = 0 "
                            "GROUP BY p.report_id ORDER BY count(*) DESC LIMIT 1").fetchone()
        query = "?q=%E4%B8%A4%E4%B8%AA%E7%BB%B4%E6%8A%A4"
        near_rid, near_copy = db.execute("SELECT report_id, id FROM copies WHERE relation = 'near' LIMIT 1").fetchone()
        wang, zhang = (db.execute("SELECT report_id FROM reports WHERE title LIKE ?", (f"%{who}%",)).fetchone()[0]
                       for who in ("王某", "张某某"))
        shots = {  # name: (url, whole page?)
            "search": (f"{base_url}/{query}", True),
            "search-passages": (f"{base_url}/{query}&view=passages&sort=-year", True),
            "browse": (f"{base_url}/reports?section=problems", True),
            "api": (f"{base_url}/api", True),
            "compare": (f"{base_url}/compare?a={wang}&b={zhang}", True),
            "reuse-badge": (f"{base_url}/r/{wang}#p3", False),
            "reuse": (f"{base_url}/r/{wang}/reuse", True),
            "boilerplate": (f"{base_url}/boilerplate", True),
            "copy-diff": (f"{base_url}/r/{near_rid}/copies/{near_copy}/diff", True),
            "report-copy-matches": (f"{base_url}/r/{near_rid}?q=%E6%8B%9B%E5%95%86", False),
            "copy-only-hit": (f"{base_url}/?q=%22%E4%BA%BF%E5%85%83%E4%BB%A5%E4%B8%8A%E9%A1%B9%E7%9B%AE68%E4%B8%AA%22", True),
            "trend": (f"{base_url}/trend?q=%E5%B7%A5%E4%BD%9C&q=%22%E5%BB%89%E6%B4%81%22&q=%E6%8B%9B%E5%95%86%E5%BC%95%E8%B5%84", True),
            "report-stepper": (f"{base_url}/r/{rid}{query}&m=1#m1", False),
            "empty-with-filters": (f"{base_url}/{query}&year=2019&kind=%E6%94%BF%E5%BA%9C%E5%B7%A5%E4%BD%9C%E6%8A%A5%E5%91%8A", True),
            "report": (f"{base_url}/r/{rid}{query}#p{n}", False),
            "report-top": (f"{base_url}/r/{rid}", False),
            "home": (f"{base_url}/", True),
            "source": (f"{base_url}/r/{rid}/source", False),
            "not-found": (f"{base_url}/r/0000000000000000", True),
        }
        for name, (url, whole) in shots.items():
            page.goto(url)
            page.wait_for_load_state("load")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} at {width} px scrolls sideways by {overflow} px"
            if name == "report":
                page.locator(f"#p{n} details.cite summary").click()
            page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=whole)
    finally:
        context.close()
