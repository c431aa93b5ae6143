"""A KoboToolbox server on a real local socket, serving the API v2 data endpoint as its
documentation describes it (``/api/v2/assets/UID/data/?format=json&start=&limit=``, pages of
``count``, ``next``, ``previous``, ``results``; a token in the ``Authorization`` header), with
the failures a real server shows switched on by ``fault``."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "kobo-secret-7f3a9c1e2b"  # noqa: S105 - the test server's own
ASSET = "aXk2b9QmT4casework"
PAGE_LIMIT = 30000


class KoboServer:
    """``with KoboServer(records) as server: server.url``; ``fault`` is one of None,
    'timeout', 'garbage', 'missing_page', 'short', 'interrupted', 'html'."""

    def __init__(self, records: list, fault: str | None = None, delay: float = 2.0):
        self.records, self.fault, self.delay = records, fault, delay
        self.requests: list[str] = []
        self.auth: list[str] = []

    def __enter__(self) -> KoboServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                outer.requests.append(self.path)
                outer.auth.append(self.headers.get("Authorization", ""))
                outer.answer(self)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # a client gone mid-answer
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _send(self, h, code: int, body: bytes, ctype="application/json", length=None):
        h.send_response(code)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(length if length is not None else len(body)))
        h.end_headers()
        h.wfile.write(body)

    def answer(self, h) -> None:
        url = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if h.headers.get("Authorization") != f"Token {TOKEN}":
            return self._send(h, 401, b'{"detail":"Invalid token."}')
        if url.path != f"/api/v2/assets/{ASSET}/data/":
            return self._send(h, 404, b'{"detail":"Not found."}')
        start = int(query.get("start", 0))
        limit = min(int(query.get("limit", PAGE_LIMIT)), PAGE_LIMIT)
        page = self.records[start : start + limit]
        count = len(self.records)
        if start > 0:
            if self.fault == "garbage":
                return self._send(h, 200, b'{"count": 3, "results": [{"_id": 1}, ', length=None)
            if self.fault == "missing_page":
                return self._send(h, 404, b'{"detail":"Not found."}')
            if self.fault == "short":
                page = []
            if self.fault == "interrupted":
                body = json.dumps({"count": count, "results": page}).encode()
                return self._send(h, 200, body[: len(body) // 2], length=len(body))
        if self.fault == "timeout":
            time.sleep(self.delay)
        if self.fault == "html":
            return self._send(h, 200, b"<html><body>Maintenance</body></html>", "text/html")
        nxt = start + limit
        base = f"{url.path}?format=json"
        body = {
            "count": count,
            "next": f"{base}&start={nxt}&limit={limit}" if nxt < count else None,
            "previous": f"{base}&start={max(0, start - limit)}&limit={limit}" if start else None,
            "results": page,
        }
        return self._send(h, 200, json.dumps(body).encode())
