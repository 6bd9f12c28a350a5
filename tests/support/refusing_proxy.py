"""A loopback HTTP proxy in front of a real OpenSearch node that refuses some bulk requests first.

A node under load answers ``429 Too Many Requests`` (its write queue is
full) or ``503``; provoking that on a test machine takes minutes of load, so
this proxy answers the first few ``_bulk`` requests with those statuses
itself and forwards everything else, unchanged, to the node.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RefusingProxy:
    """``with RefusingProxy(node_url, [429, 429, 503]) as proxy:`` — ``proxy.url`` to talk to; ``proxy.refused``
    counts the bulk requests it turned away, ``proxy.bulks`` every bulk request it saw."""

    def __init__(self, upstream: str, refusals: list[int]) -> None:
        self.upstream = upstream.rstrip("/")
        self.refusals = list(refusals)
        self.refused = 0
        self.bulks = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "_bulk" in self.path:
                    with proxy.lock:
                        proxy.bulks += 1
                        status = proxy.refusals.pop(0) if proxy.refusals else None
                        proxy.refused += status is not None
                    if status is not None:
                        reply = b'{"error":{"type":"es_rejected_execution_exception"},"status":%d}' % status
                        self._reply(status, reply, "application/json")
                        return
                request = urllib.request.Request(proxy.upstream + self.path, data=body or None, method=self.command,
                                                 headers={"Content-Type": self.headers.get("Content-Type",
                                                                                           "application/json")})
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        self._reply(response.status, response.read(), response.headers.get("Content-Type"))
                except urllib.error.HTTPError as exc:
                    self._reply(exc.code, exc.read(), exc.headers.get("Content-Type"))

            def _reply(self, status: int, body: bytes, content_type: str | None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type or "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RefusingProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()
