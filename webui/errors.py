"""One error path: 400/404/405/500/503 rendered as HTML, or as JSON under /api/; never a traceback."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from archive.errors import ArchiveError, NotFound
from index.api import QueryError

TITLES = {
    400: "请求有误",
    404: "找不到这个页面",
    405: "不支持这种请求方法",
    500: "服务器出错了",
    503: "档案暂时无法使用",
}

#: Said when the view gave no reason of its own.
MESSAGES = {
    400: "请求的参数无法理解，请检查后重试。",
    404: "没有这个地址，或者档案中没有这份报告。",
    405: "这个地址不接受这种请求方法。",
    500: "处理请求时发生了意外错误，已记录在服务器日志中。",
    503: "档案或搜索索引暂时无法读取。",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, message: str | None = None, headers: dict | None = None,
                 message_zh: str | None = None):
    message = message or MESSAGES.get(status, TITLES.get(status, "出错了"))
    if wants_json():
        response = jsonify(error=message, message_zh=message_zh) if message_zh else jsonify(error=message)
    else:
        response = current_app.make_response(
            render_template("error.html", status=status, title=TITLES.get(status, "出错了"), message=message,
                            q=request.args.get("q", "")))
    response.status_code = status
    response.headers.update(headers or {})
    return response


def handle_http(exc: HTTPException):
    status = exc.code or 500
    # Werkzeug's own English descriptions are replaced by ours; a view's abort(…, description=) is kept.
    custom = exc.description if exc.description != type(exc).description else None
    headers = {}
    if getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return render_error(status, custom, headers)


def handle_archive(exc: ArchiveError):
    if isinstance(exc, QueryError):  # English for scripts, Chinese for people
        if wants_json():
            return render_error(400, exc.message("en"), message_zh=exc.message("zh"))
        return render_error(400, exc.message("zh"))
    if isinstance(exc, NotFound):
        return render_error(404, str(exc) if wants_json() else None)
    return render_error(503, str(exc))


def handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return handle_http(exc)
    current_app.logger.exception("unhandled error on %s", request.path)
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(ArchiveError, handle_archive)
    app.register_error_handler(Exception, handle_unexpected)
