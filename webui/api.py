"""The JSON API: the same search as ``archive search --json``, and the report objects."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request

from archive import reused
from archive.store import Store

from index.api import (EXPORT_FORMATS, MAX_LIMIT, MAX_OFFSET, export_rows, export_text, result_json,
                       trend_json, validate_filters)

from .db import get_backend, get_store
from .openapi import document as openapi_document
from .params import FACETS, Filters, bounded_int
from .views import public_urls

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_REPORT_OFFSET = 10_000_000


SEARCH_PARAMS = {"q", "offset", "limit", "sort", "group", "after", "hide", *FACETS}
EXPORT_PARAMS = {"q", "sort", "format", "hide", *FACETS}
REPORTS_PARAMS = {"offset", "limit", "sort", "format", *FACETS}
TREND_PARAMS = {"q", "format", *FACETS}
REPORT_FIELDS = ("report_id", "title", "year", "kind", "url")


def known_params(allowed: set[str]) -> None:
    """A parameter the endpoint does not know is the caller's typo, not something to ignore: 400."""
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        abort(400, description=f"unknown parameter {unknown[0][:30]!r}; known: {', '.join(sorted(allowed))}")


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/search")
def search():
    """``/api/search?q=&section=&year=&kind=&sort=&group=&limit=&offset=|&after=`` (README: JSON API)."""
    args = request.args
    known_params(SEARCH_PARAMS)
    offset = bounded_int(args, "offset", 0, 0, MAX_OFFSET)
    limit = bounded_int(args, "limit", 10, 0, MAX_LIMIT)
    result = get_backend().search(args.get("q", ""), offset=offset, limit=limit, sort=args.get("sort", "relevance"),
                                  group=args.get("group", "passage"), after=args.get("after") or None,
                                  hide_common=bounded_int(args, "hide", 0, 0, 1000),
                                  **Filters.from_args(args).search_kwargs())
    return jsonify(result_json(result, public_urls()))


@bp.get("/trend")
def trend():
    """``/api/trend?q=A&q=B&section=&year=&kind=[&format=csv]``: each query per year, with the text each year holds."""
    args = request.args
    known_params(TREND_PARAMS)
    result = get_backend().trend(args.getlist("q"), **Filters.from_args(args).search_kwargs())
    fmt = args.get("format")
    if fmt is None:
        return jsonify(trend_json(result))
    if fmt != "csv":
        abort(400, description="format must be csv (or left out for JSON)")
    rows = ((s.query, y, s.passages[i], s.reports[i], result.corpus_chars[i], s.per_10k_chars[i])
            for s in result.series for i, y in enumerate(result.years))
    body = "".join(export_text(rows, "csv", TREND_FIELDS)).encode("utf-8")
    return Response(body, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="shuzhi-trend.csv"'})


TREND_FIELDS = ("q", "year", "passages", "reports", "corpus_chars", "per_10k_chars")


@bp.get("/export")
def export():
    """Every hit of a query, streamed without a cap: ``format=csv`` (UTF-8 with BOM and a header) or ``jsonl``."""
    args = request.args
    known_params(EXPORT_PARAMS)
    fmt = args.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        abort(400, description=f"format must be one of {', '.join(EXPORT_FORMATS)}")
    ids = get_backend().ids(args.get("q", ""), sort=args.get("sort", "relevance"),
                            hide_common=bounded_int(args, "hide", 0, 0, 1000), **Filters.from_args(args).search_kwargs())
    urls, data_dir = public_urls(), current_app.config["DATA_DIR"]

    def pieces():  # outlives the request's own store: it has a connection of its own
        with Store(data_dir, readonly=True) as store:
            for piece in export_text(export_rows(store, ids, urls), fmt):
                yield piece.encode("utf-8")

    kind = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
    name = f"shuzhi-export.{fmt}"
    return Response(pieces(), content_type=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/reports")
def reports():
    """Reports without a query: filters honoured, sorted; an unknown parameter or value is a 400."""
    args = request.args
    known_params(REPORTS_PARAMS)
    offset = bounded_int(args, "offset", 0, 0, MAX_REPORT_OFFSET)
    limit = bounded_int(args, "limit", 50, 0, MAX_LIMIT)
    sort = args.get("sort", "-year")
    if sort not in Store.REPORT_ORDERS:
        abort(400, description=f"sort must be one of {', '.join(Store.REPORT_ORDERS)}")
    filters = Filters.from_args(args)
    validate_filters(**filters.search_kwargs())
    fmt = args.get("format")
    if fmt is None:
        return jsonify(get_store().reports(offset=offset, limit=limit, sort=sort, **filters.report_kwargs()))
    if fmt not in EXPORT_FORMATS:
        abort(400, description=f"format must be one of {', '.join(EXPORT_FORMATS)}")
    # Every report that matches (no page): a list of reports is small beside its passages.
    listing = get_store().reports(offset=offset, limit=-1, sort=sort, **filters.report_kwargs())
    urls = public_urls()
    rows = ((r["report_id"], r["title"], r["year"], r["kind"], urls.report(r["report_id"])) for r in listing["reports"])
    body = "".join(export_text(rows, fmt, REPORT_FIELDS)).encode("utf-8")
    kind = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
    return Response(body, content_type=kind, headers={"Content-Disposition": f'attachment; filename="shuzhi-reports.{fmt}"'})


@bp.get("/reports/<report_id>")
def report(report_id: str):
    return jsonify(get_store().report(report_id))


@bp.get("/reports/<report_id>/reuse")
def report_reuse(report_id: str):
    """Each passage other reports hold too, with ``also_in``: [{report_id, passage_no, year, similarity}]."""
    detail = reused.detail(get_store(), report_id)
    for s in detail["shared"]:
        s["also_in"] = [{k: a[k] for k in ("report_id", "passage_no", "year", "title", "similarity")}
                        for a in s["also_in"]]
    return jsonify(detail)
