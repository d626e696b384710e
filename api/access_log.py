"""One line per request, and the number of requests in flight: WSGI middleware around the Flask app.

gunicorn's own access log formats every request through the logging machinery and costs more CPU than a
point query; this writes one preformatted line, `127.0.0.1 "GET /sparql?… HTTP/1.1" 200 1129 1.2ms`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import IO, Any

from werkzeug.wsgi import ClosingIterator

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AccessLog:
    """Each response of the apps it wraps, once sent, logged to `stream` as one line."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self._lock = threading.Lock()
        self._in_flight = 0

    def in_flight(self) -> int:
        """Requests begun and not yet answered in full."""
        return self._in_flight

    def wrap(self, app: WsgiApp) -> WsgiApp:
        return partial(self._serve, app)

    def _serve(self, app: WsgiApp, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        answer: list[str] = ["-", "-"]

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[0] = status.split(" ", 1)[0]
            answer[1] = next((value for name, value in headers if name.lower() == "content-length"), "-")
            return start_response(status, headers, exc_info)

        def finished() -> None:
            query = environ.get("QUERY_STRING")
            target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
            line = (
                f'{environ.get("REMOTE_ADDR", "-")} "{environ.get("REQUEST_METHOD")} {target} '
                f'{environ.get("SERVER_PROTOCOL")}" {answer[0]} {answer[1]} '
                f"{(time.perf_counter() - started) * 1e3:.1f}ms\n"
            )
            with self._lock:
                self._in_flight -= 1
                self.stream.write(line)
                self.stream.flush()

        with self._lock:
            self._in_flight += 1
        try:
            return ClosingIterator(app(environ, recording), [finished])
        except BaseException:
            finished()
            raise
