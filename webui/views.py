"""HTML pages: search, report, original source, citation files."""

from __future__ import annotations

import math
import re
from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from markupsafe import Markup

from archive.errors import NotFound
from archive.model import SECTION_TYPES
from archive.urls import Urls
from index.api import UNKNOWN_YEAR, Hit, QueryError
from index.highlight import snippet_html

from . import cite, present
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


def _search_url(q: str, filters: Filters, page: int = 1) -> str:
    return url_for("views.search", q=q or None, page=page if page > 1 else None, **filters.params())


def public_urls() -> Urls:
    """Links for citations and exports: ``archive serve --public-url`` when given, else this request's host."""
    return Urls(current_app.config.get("PUBLIC_URL") or request.url_root)


@bp.get("/")
def search():
    q = request.args.get("q", "").strip()
    filters = Filters.from_args(request.args)
    max_page = current_app.config["MAX_PAGE"]
    page = bounded_int(request.args, "page", 1, 1, max_page, f"页码必须是 1 到 {max_page} 之间的整数。")
    size = current_app.config["PAGE_SIZE"]
    page_context = {"q": q, "filters": filters, "no_filters": Filters(), "search_url": _search_url,
                    "examples": EXAMPLES}
    if not q:
        return render_template("home.html", stats=get_store().stats(), **page_context)
    try:
        result = get_backend().search(q, offset=(page - 1) * size, limit=size, **filters.search_kwargs())
    except QueryError as exc:
        return render_template("search.html", error=exc.message("zh"), result=None, **page_context), 400
    pages = min(max_page, math.ceil(result.total / size))
    return render_template("search.html", result=result, page=page, pages=pages, error=None, **page_context)


@bp.get("/r/<report_id>")
def report(report_id: str):
    rep = _report_or_404(report_id)
    q = request.args.get("q", "").strip()
    terms = get_backend().query_terms(q)  # an unparsable ?q= just marks nothing
    rows = present.passages(rep, terms, public_urls(), date.today())
    return render_template("report.html", report=rep, passages=rows, q=q,
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
        name = f"shuzhi-{rep['report_id']}-copy{copy['id']}{_suffix(copy['path'])}"
        return Response(data, mimetype="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return render_template("source.html", report=rep, copy=copy, text=_decode(data, copy["encoding"]))


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


@bp.get("/favicon.ico")
def favicon():
    """The icon itself (browsers ask for this path whatever the page says), not a redirect to it."""
    return current_app.send_static_file("favicon.svg")
