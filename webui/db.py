"""The archive and the search engine as the web layer sees them: read-only, opened on demand."""

from __future__ import annotations

import sqlite3
import threading

from flask import Flask, abort, current_app, g
from werkzeug.exceptions import HTTPException

from archive.errors import ArchiveError
from archive.store import Store
from index.api import SearchBackend, open_backend


class Shared:
    """What one app keeps between requests: the search backend (thread-safe) over its own read-only Store."""

    def __init__(self):
        self.lock = threading.Lock()
        self.backend: SearchBackend | None = None


def _open() -> Store:
    try:
        return Store(current_app.config["DATA_DIR"], readonly=True)
    except ArchiveError as exc:
        abort(503, description=f"档案无法打开（{exc}）。请先用 archive import 导入报告。")


def get_store() -> Store:
    """A read-only Store for this request, closed when the request ends."""
    if "store" not in g:
        g.store = _open()
    return g.store


def get_backend() -> SearchBackend:
    shared: Shared = current_app.extensions["shuzhi"]
    with shared.lock:
        if shared.backend is None:
            shared.backend = open_backend(_open())
        return shared.backend


def warm_up(app: Flask) -> None:
    """Load jieba's dictionary, the index and the facet data before the first visitor waits for them."""
    with app.app_context():
        try:
            get_backend().warm_up()
        except (ArchiveError, HTTPException):
            pass  # the pages say what is wrong


def report_count() -> int | None:
    """For the footer; None when the archive cannot be read (the page says why elsewhere)."""
    try:
        return get_store().report_count()
    except (HTTPException, sqlite3.Error):  # the footer never turns an error page into another error
        return None


def close_store(_exc=None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def init_app(app: Flask) -> None:
    app.extensions["shuzhi"] = Shared()
    app.teardown_appcontext(close_store)
    app.jinja_env.globals["report_count"] = report_count
