"""A real HTTP receiver for webhook tests, on a port below 32768: records every request, tells whether its signature
is genuine (by the test's own check), and answers with the status a test chooses."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devserver.servers import free_port


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    genuine: bool


@dataclass
class Receiver:
    """`answer(path, webhook_id, attempt)` gives each request's status (204 by default)."""

    answer: Callable[[str, str, int], int]
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self) -> list[Request]:
        with self.lock:
            return list(self.requests)

    def attempts(self, path: str, webhook_id: str) -> int:
        return sum(1 for r in self.received() if r.path == path and r.headers["webhook-id"] == webhook_id)


@contextmanager
def serving_receiver(genuine: Callable[[dict[str, str], bytes], bool]) -> Iterator[Receiver]:
    """A receiver running until the block ends; `genuine(headers, body)` checks each request's signature."""
    state = Receiver(answer=lambda path, webhook_id, attempt: 204)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            with state.lock:
                state.requests.append(Request(self.path, headers, body, genuine(headers, body)))
                attempt = sum(
                    1
                    for r in state.requests
                    if r.path == self.path and r.headers["webhook-id"] == headers["webhook-id"]
                )
            status = state.answer(self.path, headers["webhook-id"], attempt)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
