"""The Flask app: a search page, report pages with citations, original sources, and a JSON API.

One read-only Store and one Searcher per app (created on first use, kept warm);
pages that only read the archive open a read-only connection per request on ``g``.
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider

from archive.store import data_dir

#: Sent with every response: no inline script or style anywhere, nothing from other origins.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class JSONProvider(DefaultJSONProvider):
    """Readable UTF-8 JSON in document order; ``<``, ``>`` and ``&`` as \\u escapes, so report text
    holding markup can never be sniffed as HTML."""

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj, **kwargs) -> str:
        text = super().dumps(obj, **kwargs)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.config.from_mapping(
        DATA_DIR=str(data_dir(None)),  # $ARCHIVE_DATA, else ./data
        PAGE_SIZE=10,
        MAX_PAGE=100,  # deepest results page offered (the Searcher allows 10,000 hits of depth)
        MAX_QUERY_STRING=8192,  # bytes; a 500-character Chinese query is about 4,500 encoded
    )
    if test_config:
        app.config.from_mapping(test_config)

    from . import api, db, errors, views

    db.init_app(app)
    errors.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)

    @app.before_request
    def limit_query_string():
        if len(request.query_string) > app.config["MAX_QUERY_STRING"]:
            abort(400, description="查询参数过长，请缩短查询。")

    @app.after_request
    def security_headers(response):
        response.headers.update(SECURITY_HEADERS)
        return response

    return app
