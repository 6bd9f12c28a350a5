"""The JSON API: the same search as ``archive search --json``, and the report objects."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from index.api import MAX_LIMIT, MAX_OFFSET, result_json

from .db import get_backend, get_store
from .params import Filters, bounded_int
from .views import public_urls

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_REPORT_OFFSET = 10_000_000


@bp.get("/search")
def search():
    args = request.args
    offset = bounded_int(args, "offset", 0, 0, MAX_OFFSET)
    limit = bounded_int(args, "limit", 10, 0, MAX_LIMIT)
    result = get_backend().search(args.get("q", ""), offset=offset, limit=limit,
                                  **Filters.from_args(args).search_kwargs())
    return jsonify(result_json(result, public_urls()))


@bp.get("/reports")
def reports():
    offset = bounded_int(request.args, "offset", 0, 0, MAX_REPORT_OFFSET)
    limit = bounded_int(request.args, "limit", 50, 0, MAX_LIMIT)
    return jsonify(get_store().reports(offset=offset, limit=limit))


@bp.get("/reports/<report_id>")
def report(report_id: str):
    return jsonify(get_store().report(report_id))
