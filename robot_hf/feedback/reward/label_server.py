"""The labeling page's web server (standard library only): the page, its JSON API and the clips.

    GET  /                       the page
    GET  /api/state              remaining count, the query shown now, whether undo is possible
    GET  /api/clip?query=N&side=left|right    a JPEG strip of the clip's frames
    POST /api/answer  {"query": N, "choice": "left"|"right"|"equal"|"skip"}
    POST /api/undo

On 127.0.0.1 (the default) anyone on this machine may use it. Bound to any other address it requires a
token: the page's address carries it (?token=...), and every request must present it, as that query
parameter or the X-Robot-HF-Token header. A bad request gets a JSON error and changes nothing.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlparse

from robot_hf.feedback.reward.label_session import LabelSession, RequestError

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 4096


def page_html() -> bytes:
    return resources.files("robot_hf.feedback.reward").joinpath("label_page.html").read_bytes()


class LabelServer:
    def __init__(self, session: LabelSession, host: str = "127.0.0.1", port: int = 8765, token: str | None = None):
        self.session = session
        self.token = token if token else (None if host in LOOPBACK else secrets.token_urlsafe(16))
        self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        self.httpd.daemon_threads = True
        self.host = host
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}/" + (f"?token={self.token}" if self.token else "")

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> LabelServer:
        """Serve in a background thread (tests, notebooks)."""
        self.thread = threading.Thread(target=self.serve_forever, name="label-server", daemon=True)
        self.thread.start()
        return self

    def close(self) -> None:
        # shutdown() waits for a serve_forever loop to end: only one running in the background thread can still be
        # running; a foreground loop ended when Ctrl-C interrupted it (and one never started would be waited on forever).
        if self.thread is not None and self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()


def _handler(server: LabelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # the terminal shows the session's own lines, not one per request
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: dict) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json")

        def _authorised(self, query: dict) -> bool:
            if server.token is None:
                return True
            given = self.headers.get("X-Robot-HF-Token") or (query.get("token") or [""])[0]
            return hmac.compare_digest(given.encode(), server.token.encode())

        def _route(self, method: str) -> None:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if not self._authorised(query):
                self._json(HTTPStatus.FORBIDDEN, {"error": "this server needs its token: open the address it printed at start"})
                return
            try:
                if method == "GET" and url.path == "/":
                    self._send(HTTPStatus.OK, page_html(), "text/html; charset=utf-8")
                elif method == "GET" and url.path == "/api/state":
                    self._json(HTTPStatus.OK, server.session.state())
                elif method == "GET" and url.path == "/api/clip":
                    try:
                        query_id = int((query.get("query") or [""])[0])
                    except ValueError:
                        raise RequestError("query must be the query's number, e.g. /api/clip?query=3&side=left") from None
                    self._send(HTTPStatus.OK, server.session.clip(query_id, (query.get("side") or [""])[0]), "image/jpeg")
                elif method == "POST" and url.path == "/api/answer":
                    body = self._body()
                    self._json(HTTPStatus.OK, server.session.answer(body.get("query"), body.get("choice")))
                elif method == "POST" and url.path == "/api/undo":
                    self._json(HTTPStatus.OK, server.session.undo())
                else:
                    self._json(HTTPStatus.NOT_FOUND, {"error": f"no {method} {url.path}; the page is at /"})
            except RequestError as e:
                self._json(e.status, {"error": str(e)})

        def _body(self) -> dict:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                raise RequestError("Content-Length must be a number") from None
            if not 0 < length <= MAX_BODY:
                raise RequestError(f"the body must be a JSON object of at most {MAX_BODY} bytes")
            try:
                body = json.loads(self.rfile.read(length))
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise RequestError('the body is not JSON; send {"query": <number>, "choice": "left"}') from None
            if not isinstance(body, dict):
                raise RequestError('the body must be a JSON object, e.g. {"query": 3, "choice": "left"}')
            return body

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

    return Handler
