"""An ODK Central server on a real local socket: the sign-in (``POST /v1/sessions``), the
OData submissions feed (``/v1/projects/P/forms/F.svc/Submissions`` with ``$top``, ``$skip``,
``$count``, ``$expand``) and the sign-out, as Central's API documentation describes them."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMAIL = "officer@example.org"
PASSWORD = "odk-pass-5e8d1c7b"  # noqa: S105 - the test server's own
SESSION = "lSpAIeksRu1CNZs7!qjAot2T17dPzkrw9B4iTtpj7OoIJBmXvnHM8z8Ka4QPEjR7"
PROJECT, FORM = 3, "casework"


class CentralServer:
    def __init__(self, values: list, fault: str | None = None):
        self.values, self.fault = values, fault
        self.requests: list[tuple[str, str]] = []

    def __enter__(self) -> CentralServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                outer.requests.append(("POST", self.path))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/v1/sessions" or body != {"email": EMAIL, "password": PASSWORD}:
                    return outer.send(
                        self, 401, {"code": 401.2, "message": "Could not authenticate"}
                    )
                return outer.send(
                    self, 200, {"token": SESSION, "expiresAt": "2026-12-02T00:00:00Z"}
                )

            def do_DELETE(self):
                outer.requests.append(("DELETE", self.path))
                outer.send(self, 200, {"success": True})

            def do_GET(self):
                outer.requests.append(("GET", self.path))
                outer.feed(self)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def send(self, h, code: int, body) -> None:
        data = json.dumps(body).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def feed(self, h) -> None:
        url = urllib.parse.urlsplit(h.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if h.headers.get("Authorization") != f"Bearer {SESSION}":
            return self.send(h, 401, {"code": 401.2, "message": "Could not authenticate"})
        if url.path != f"/v1/projects/{PROJECT}/forms/{FORM}.svc/Submissions":
            return self.send(h, 404, {"code": 404.1, "message": "Could not find the resource"})
        top, skip = int(q.get("$top", 1000)), int(q.get("$skip", 0))
        page = self.values[skip : skip + top]
        if self.fault == "short" and skip > 0:
            page = []
        if q.get("$expand") != "*":  # repeats only as links
            page = [{k: v for k, v in x.items() if k != "services"} for x in page]
        body = {"@odata.context": f"{url.path}/$metadata#Submissions", "value": page}
        if q.get("$count") == "true":
            body["@odata.count"] = len(self.values)
        if skip + top < len(self.values):
            body["@odata.nextLink"] = f"{url.path}?$top={top}&$skip={skip + top}"
        return self.send(h, 200, body)
