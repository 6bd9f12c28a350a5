"""The Flask app: a search page, report pages with citations, original sources, and a JSON API.

One read-only Store and one Searcher per app (created on first use, kept warm);
pages that only read the archive open a read-only connection per request on ``g``.
"""

from __future__ import annotations

import re

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import Map

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


class _UnmergedSlashes(Map):
    """"//" in a path is a 404 like any unknown path, not a redirect to somewhere else."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("merge_slashes", False)
        super().__init__(*args, **kwargs)


class App(Flask):
    url_map_class = _UnmergedSlashes


#: A Host header as RFC 3986 allows it: a DNS name of labels of at most 63 characters, or an IP literal; a port.
_HOST = re.compile(r"^(?:(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")


class HostGuard:
    """Answers 400 to a request whose Host header is not a host name. Flask builds its URL
    adapter from that header before any error handler runs, so a label longer than IDNA
    allows would otherwise end in a 500 from the WSGI server, without our headers."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST")
        if host is not None and (len(host) > 260 or not _HOST.match(host)):
            if environ.get("PATH_INFO", "").startswith("/api/"):
                body, kind = b'{"error": "invalid Host header"}', "application/json"
            else:
                body, kind = "400 Bad Request: invalid Host header\n".encode(), "text/plain; charset=utf-8"
            start_response("400 Bad Request", [("Content-Type", kind),
                                                ("Content-Length", str(len(body))), *SECURITY_HEADERS.items()])
            return [body]
        return self.wsgi_app(environ, start_response)


def create_app(test_config: dict | None = None) -> Flask:
    app = App(__name__)
    app.json = JSONProvider(app)
    app.wsgi_app = HostGuard(app.wsgi_app)
    app.config.from_mapping(
        DATA_DIR=str(data_dir(None)),  # $ARCHIVE_DATA, else ./data
        PAGE_SIZE=10,
        BROWSE_PAGE_SIZE=50,
        MAX_PAGE=100,  # deepest results page offered (the Searcher allows 10,000 hits of depth)
        MAX_QUERY_STRING=8192,  # bytes; a 500-character Chinese query is about 4,500 encoded
        PUBLIC_URL=None,  # the address readers use (archive serve --public-url); else each request's host
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
