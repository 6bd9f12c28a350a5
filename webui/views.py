"""HTML pages: search, report, original source, citation files."""

from __future__ import annotations

import math
import re
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from archive import copydiff, reused
from archive.compare import compare as compare_reports
from archive.errors import ArchiveError, InputError, NotFound
from archive.importer import reread
from archive.model import SECTION_TYPES
from archive.urls import Urls
from index.api import UNKNOWN_YEAR, Hit, QueryError
from index.highlight import snippet_html

from . import charts, cite, present
from .db import get_backend, get_store
from .params import FACETS, Filters, bounded_int

bp = Blueprint("views", __name__)

EXAMPLES = ["两个维护", '"存在问题"', "招商引资 OR 营商环境", "廉洁 -疫情", '(党建 OR 队伍) "基层组织"']
RELATIONS = {"original": "首次导入", "exact": "完全相同", "near": "近似重复"}


@bp.app_template_filter("section_label")
def section_label(key: str) -> str:
    return SECTION_TYPES.get(key, key)


@bp.app_template_filter("year_label")
def year_label(year) -> str:
    return "年份不详" if year in (None, "", UNKNOWN_YEAR) else f"{year}年"


@bp.app_template_filter("relation_label")
def relation_label(relation: str) -> str:
    return RELATIONS.get(relation, relation)


@bp.app_template_filter("outline_label")
def outline_label(heading: str) -> str:
    return present.outline_label(heading)


@bp.app_template_filter("snippet_html")
def hit_snippet_html(hit: Hit) -> Markup:
    """The hit's window of text, escaped, its matches in <mark>."""
    return Markup(snippet_html(hit.text, hit.marks, *hit.snippet))


@bp.app_template_filter("hit_href")
def hit_href(hit: Hit, q: str = "") -> str:
    """Where a hit leads: its passage in the report (the query marked), or, for a paragraph found only in a
    near copy, that paragraph in the copy's diff against the kept text."""
    if hit.copy_id:
        return url_for("views.copy_diff", report_id=hit.report_id, copy_id=hit.copy_id, q=q or None,
                       _anchor=f"c{hit.passage_no}")
    return url_for("views.report", report_id=hit.report_id, q=q or None, _anchor=f"p{hit.passage_no}")


@bp.app_template_filter("basename")
def basename(path: str) -> str:
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1] or path


@bp.app_template_filter("web_url")
def web_url(url: str | None) -> str | None:
    """Only http(s) links from imported metadata become links; anything else stays text."""
    return url if url and re.match(r"https?://[^\s\"'<>]+$", url) else None


@bp.app_context_processor
def facet_helpers():
    return {"SECTION_TYPES": SECTION_TYPES, "FACETS": FACETS}


#: How results can be ordered, as the page offers it.
SORT_LABELS = {"relevance": "相关度", "-year": "年份：新→旧", "year": "年份：旧→新"}
#: How results can be shown: reports (each with its best passages) or loose passages.
VIEWS = {"reports": "按报告", "passages": "按段落"}
#: The deepest page number shown on cursor pages (past MAX_PAGE the page number is only a label).
MAX_SHOWN_PAGE = 10**9


#: Hiding boilerplate: the choices offered, and the one offered first.
HIDE_CHOICES = (3, 5, 10)
HIDE_DEFAULT = 5


def _carried(**changes) -> dict:
    """This page's order, view and boilerplate setting, which every link keeps unless it changes them."""
    kept = {"sort": request.args.get("sort"), "view": request.args.get("view"), "hide": request.args.get("hide")}
    kept.update(changes)
    return {k: v for k, v in kept.items() if v and (k, v) not in (("sort", "relevance"), ("view", "reports"), ("hide", "0"))}


def _search_url(q: str, filters: Filters, page: int = 1, after: str | None = None, **changes) -> str:
    return url_for("views.search", q=q or None, page=page if page > 1 else None, after=after,
                   **filters.params(), **_carried(**changes))


def _choice(name: str, choices, default: str) -> str:
    value = request.args.get(name, default)
    if value not in choices:
        abort(400, description=f"不支持的参数 {name}={value[:20]}；可选：{'、'.join(choices)}。")
    return value


def public_urls() -> Urls:
    """Links for citations and exports: ``archive serve --public-url`` when given, else this request's host."""
    return Urls(current_app.config.get("PUBLIC_URL") or request.url_root)


@bp.get("/")
def search():
    q = request.args.get("q", "").strip()
    filters = Filters.from_args(request.args)
    if not q and filters:  # filters without a query: that is browsing
        return redirect(url_for("views.browse", **filters.params()))
    sort = _choice("sort", SORT_LABELS, "relevance")
    view = _choice("view", VIEWS, "reports")
    after = request.args.get("after") or None
    hide = bounded_int(request.args, "hide", 0, 0, 1000, "隐藏套话的报告数须是 2 到 1000 之间的整数。")
    max_page = current_app.config["MAX_PAGE"]
    page = bounded_int(request.args, "page", 1, 1, MAX_SHOWN_PAGE if after else max_page,
                       f"页码必须是 1 到 {max_page} 之间的整数；更深的结果请用“下一页”逐页翻看。")
    size = current_app.config["PAGE_SIZE"]
    page_context = {"q": q, "filters": filters, "no_filters": Filters(), "search_url": _search_url,
                    "examples": EXAMPLES, "sort": sort, "view": view, "SORT_LABELS": SORT_LABELS, "VIEWS": VIEWS,
                    "hide": hide, "HIDE_CHOICES": HIDE_CHOICES, "HIDE_DEFAULT": HIDE_DEFAULT}
    if not q:
        try:
            browse = get_backend().report_facets()
        except ArchiveError:  # no index yet: the home page still answers
            browse = {}
        return render_template("home.html", stats=get_store().stats(), browse=browse, **page_context)
    backend = get_backend()
    try:
        result = backend.search(q, offset=0 if after else (page - 1) * size, limit=size, sort=sort, after=after,
                                group="report" if view == "reports" else "passage", hide_common=hide,
                                **filters.search_kwargs())
    except QueryError as exc:
        return render_template("search.html", error=exc.message("zh"), result=None, **page_context), 400
    units = result.total_reports if view == "reports" else result.total
    by_year = {int(y): n for y, n in result.facets.get("year", {}).items() if y != UNKNOWN_YEAR}
    spark = charts.sparkline([by_year.get(y, 0) for y in range(min(by_year), max(by_year) + 1)],
                             label=f"各年份段落数（{min(by_year)}–{max(by_year)}）") if len(by_year) > 1 else ""
    pages = min(max_page, math.ceil(units / size))
    cursor_next = result.next if (after or page >= max_page) else None
    return render_template("search.html", result=result, page=page, pages=pages, error=None, after=after,
                           cursor_next=cursor_next, max_page=max_page, facet_url=lambda f: _search_url(q, f),
                           spark=spark, trend_url=url_for("views.trend", q=q, **filters.params()),
                           widen=_widen(backend, q, filters) if not result.total and filters else [],
                           export_url=lambda fmt: url_for("api.export", q=q, format=fmt, **filters.params(),
                                                          **({"sort": sort} if sort != "relevance" else {}),
                                                          **({"hide": hide} if hide else {})),
                           **page_context)


#: How the browse page orders reports.
BROWSE_SORTS = {"-year": "年份：新→旧", "year": "年份：旧→新", "title": "标题"}
MAX_BROWSE_PAGE = 100_000


def _browse_url(filters: Filters, page: int = 1, sort: str | None = None) -> str:
    sort = sort or request.args.get("sort")
    return url_for("views.browse", page=page if page > 1 else None, sort=sort if sort not in (None, "-year") else None,
                   **filters.params())


@bp.get("/reports")
def browse():
    """Every report, no query needed: the same facets (counted in reports), sorted, paged, exportable."""
    filters = Filters.from_args(request.args)
    sort = _choice("sort", BROWSE_SORTS, "-year")
    page = bounded_int(request.args, "page", 1, 1, MAX_BROWSE_PAGE)
    size = current_app.config["BROWSE_PAGE_SIZE"]
    try:
        facets = get_backend().report_facets(**filters.search_kwargs())
    except QueryError as exc:
        abort(400, description=exc.message("zh"))
    listing = get_store().reports(offset=(page - 1) * size, limit=size, sort=sort, **filters.report_kwargs())
    export = lambda fmt: url_for("api.reports", format=fmt, limit=None, **filters.params(),  # noqa: E731
                                 **({"sort": sort} if sort != "-year" else {}))
    return render_template("browse.html", listing=listing, filters=filters, no_filters=Filters(), sort=sort,
                           page=page, pages=min(MAX_BROWSE_PAGE, math.ceil(listing["total"] / size)),
                           facet_counts=facets, facet_url=lambda f: _browse_url(f), browse_url=_browse_url,
                           export_url=export, BROWSE_SORTS=BROWSE_SORTS, q="")


def _widen(backend, q: str, filters: Filters) -> list[tuple[str, str, int, str]]:
    """For an empty result: each filter whose removal would find something, with what it would find."""
    out = []
    for name, value in filters.applied():
        fewer = filters.removing(name, value)
        found = backend.count(q, **fewer.search_kwargs())
        if found:
            out.append((name, value, found, _search_url(q, fewer)))
    return out


@bp.get("/r/<report_id>")
def report(report_id: str):
    rep = _report_or_404(report_id)
    q = request.args.get("q", "").strip()
    terms = get_backend().query_terms(q)  # an unparsable ?q= just marks nothing
    rows = present.passages(rep, terms, public_urls(), date.today())
    marks = sum(p["marks"] for p in rows)
    at = bounded_int(request.args, "m", 0, 0, max(marks, 1)) if marks else 0
    step = lambda n: url_for("views.report", report_id=rep["report_id"], q=q, m=n, _anchor=f"m{n}")  # noqa: E731
    return render_template("report.html", report=rep, passages=rows, q=q, marks=marks, at=at, step=step,
                           in_copies=present.copy_matches(rep, terms),
                           back_url=url_for("views.search", q=q) if q else url_for("views.browse"),
                           report_url=url_for("views.report", report_id=rep["report_id"], _external=True))


def _report_or_404(report_id: str) -> dict:
    try:
        return get_store().report(report_id)
    except NotFound:
        abort(404, description=f"档案中没有编号为“{report_id[:64]}”的报告。")


@bp.get("/r/<report_id>/source", defaults={"copy_id": None})
@bp.get("/r/<report_id>/source/<int:copy_id>")
def source(report_id: str, copy_id: int | None):
    store = get_store()
    rep = _report_or_404(report_id)
    try:
        copy = store.copy(rep["report_id"], copy_id)
        data = store.source_bytes(copy["sha256"])  # the file is named by the database, never by the URL
    except NotFound:
        abort(404, description=f"这份报告没有编号为 {copy_id} 的副本，或其原始文件已不在档案中。")
    if request.args.get("download", "") not in ("", "0"):
        fallback = f"shuzhi-{rep['report_id']}-copy{copy['id']}{_suffix(copy['path'])}"
        original = _safe_name(basename(copy["path"])) or fallback
        return Response(data, content_type=_content_type(original, copy["encoding"]), headers={
            "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(original, safe='')}"})
    return render_template("source.html", report=rep, copy=copy, text=_decode(data, copy["encoding"]))


#: What a downloaded original is served as, by its suffix (text as the encoding it was read in).
CONTENT_TYPES = {
    ".txt": "text/plain", ".md": "text/markdown", ".html": "text/html", ".htm": "text/html",
    ".mhtml": "multipart/related", ".pdf": "application/pdf", ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".wps": "application/vnd.ms-works", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".tif": "image/tiff", ".tiff": "image/tiff",
}


def _content_type(name: str, encoding: str) -> str:
    kind = CONTENT_TYPES.get(_suffix(name), "application/octet-stream")
    if kind.startswith("text/") and re.fullmatch(r"[A-Za-z0-9_.:-]{1,40}", encoding or ""):
        kind += f"; charset={encoding}"
    return kind


def _safe_name(name: str) -> str:
    """The original file name for a download: no path, no control characters, not absurdly long."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "", name).strip().lstrip(".")
    return name[-120:] if len(name) <= 240 else ""


def _suffix(path: str) -> str:
    m = re.search(r"\.[A-Za-z0-9]{1,8}$", basename(path))
    return m.group(0).lower() if m else ".txt"


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:  # an encoding name this Python does not know
        return data.decode("utf-8", errors="replace")


@bp.get("/r/<report_id>/cite/<int:passage_no>")
def citation(report_id: str, passage_no: int):
    rep = _report_or_404(report_id)
    fmt = request.args.get("format", "gbt7714")
    if fmt not in cite.FORMATS:
        abort(400, description=f"不支持的引用格式“{fmt[:20]}”；可选：{', '.join(cite.FORMATS)}。")
    if not any(p["passage_no"] == passage_no for p in rep["passages"]):
        abort(404, description=f"这份报告没有第 {passage_no} 段。")
    render, content_type, _ = cite.FORMATS[fmt]
    cited = cite.Cited(rep["report_id"], rep["title"], rep["year"], rep["kind"], passage_no,
                       public_urls().passage(rep["report_id"], passage_no), date.today())
    disposition = "inline" if fmt == "gbt7714" else "attachment"
    return Response(render(cited), content_type=content_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{cite.file_name(cited, fmt)}"'})


@bp.get("/r/<report_id>/copies/<int:copy_id>/diff")
def copy_diff(report_id: str, copy_id: int):
    """How one copy differs from the kept text: paragraphs aligned, changes and changed figures marked."""
    rep = _report_or_404(report_id)
    try:
        copy = get_store().copy(rep["report_id"], copy_id)
    except NotFound:
        abort(404, description=f"这份报告没有编号为 {copy_id} 的副本。")
    try:
        paragraphs = reread(get_store(), copy)
    except (InputError, NotFound) as exc:
        abort(503, description=f"这个副本的原始文件现在无法读取（{exc}）。")
    rows = copydiff.diff([(p["passage_no"], p["text"]) for p in rep["passages"]], paragraphs)
    q = request.args.get("q", "").strip()
    terms = get_backend().query_terms(q)  # an unparsable ?q= just marks nothing
    return render_template("diff.html", report=rep, copy=copy, rows=rows, summary=copydiff.summary(rows), q=q,
                           shown=[present.diff_row(r, terms) for r in rows])


@bp.get("/r/<report_id>/reuse")
def reuse(report_id: str):
    """A 查重 report: which of this report's passages other reports hold, each beside its sources."""
    _report_or_404(report_id)
    return render_template("reuse.html", detail=reused.detail(get_store(), report_id), q="")


@bp.get("/boilerplate")
def boilerplate():
    """The passages found in the most reports (套话), per section type."""
    section = request.args.get("section") or None
    if section is not None and section not in SECTION_TYPES:
        abort(400, description=f"没有这种栏目类型：{section[:20]}。")
    return render_template("boilerplate.html", rows=reused.most_repeated(get_store(), section, 50), section=section,
                           q="")


@bp.get("/compare")
def compare():
    """Two reports side by side, aligned by section type, with the passages each shares with the other."""
    a_id, b_id = request.args.get("a", "").strip(), request.args.get("b", "").strip()
    reports = [_report_or_404(i) if i else None for i in (a_id, b_id)]
    result = compare_reports(*reports) if all(reports) else None
    return render_template("compare.html", a=reports[0], b=reports[1], a_id=a_id, b_id=b_id, result=result, q="")


TREND_MEASURES = {"per_10k_chars": "每万字段落数", "passages": "段落数", "reports": "报告数"}


@bp.get("/trend")
def trend():
    """Up to five queries by year, drawn on the server (no script), with the table beneath and downloads."""
    queries = [q.strip() for q in request.args.getlist("q")]
    filters = Filters.from_args(request.args)
    measure = _choice("measure", TREND_MEASURES, "per_10k_chars")
    context = {"queries": queries, "filters": filters, "no_filters": Filters(), "measure": measure,
               "MEASURES": TREND_MEASURES, "q": "", "result": None, "error": None}
    if not any(queries):
        return render_template("trend.html", **context)
    try:
        result = get_backend().trend(queries, **filters.search_kwargs())
    except QueryError as exc:
        return render_template("trend.html", **{**context, "error": exc.message("zh")}), 400
    # A year the archive holds no text of (under these filters) has no value: a gap, not a zero.
    lines = [(s.query, [v if result.corpus_chars[i] else None for i, v in enumerate(getattr(s, measure))])
             for s in result.series]
    chart = charts.line_chart(result.years, lines, unit=TREND_MEASURES[measure],
                              title="、".join(s.query for s in result.series) + "：" + TREND_MEASURES[measure])
    params = {"q": [s.query for s in result.series], **filters.params()}
    return render_template("trend.html", **{**context, "result": result, "chart": chart,
                           "json_url": url_for("api.trend", **params),
                           "csv_url": url_for("api.trend", format="csv", **params),
                           "measure_url": lambda m: url_for("views.trend", measure=m, **params),
                           "facet_url": lambda f: url_for("views.trend", q=params["q"], measure=measure, **f.params())})


@bp.get("/api")
def api_page():
    """The JSON API, readable: the same OpenAPI document /api/openapi.json serves."""
    from .openapi import document

    return render_template("api.html", doc=document(), base=public_urls().base)


@bp.get("/favicon.ico")
def favicon():
    """The icon itself (browsers ask for this path whatever the page says), not a redirect to it."""
    return current_app.send_static_file("favicon.svg")
