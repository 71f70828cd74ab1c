"""Graph answers that break off mid-body: a write is uncertain and sent once, a read is retried."""

from __future__ import annotations

import pytest


class BrokenBodyServer:
    """A loopback HTTP server that reads each request whole, then answers 200 with a chunked body
    cut short: the request reached the server, its answer cannot be read."""

    def __init__(self) -> None:
        import socket
        import threading

        self.requests: list[bytes] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1.0"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                self.requests.append(head.split(b"\r\n", 1)[0])
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n40\r\n{\"id\":")

    def close(self) -> None:
        self._sock.close()


def test_a_write_whose_answer_breaks_off_is_uncertain_and_sent_once() -> None:
    from core.graph.client import GraphClient, RetryPolicy
    from core.graph.errors import UncertainWriteError

    server = BrokenBodyServer()
    waits: list[float] = []
    try:
        client = GraphClient(server.url, lambda *, force_refresh=False: "t", trust_env=False,
                             policy=RetryPolicy(max_total_s=5), sleep=waits.append)
        with pytest.raises(UncertainWriteError) as info:
            client.patch("/domains/contoso.com", {"isDefault": True})
        client.close()
    finally:
        server.close()
    assert [r.split(b" ")[0] for r in server.requests] == [b"PATCH"]  # never repeated
    assert "not known whether Microsoft applied the change" in info.value.message


def test_a_read_whose_answer_breaks_off_is_retried_then_a_readable_graph_error() -> None:
    from core.graph.client import GraphClient, RetryPolicy
    from core.graph.errors import GraphConnectionError

    server = BrokenBodyServer()
    waits: list[float] = []
    try:
        client = GraphClient(server.url, lambda *, force_refresh=False: "t", trust_env=False,
                             policy=RetryPolicy(max_attempts=3, max_total_s=60),
                             sleep=waits.append)
        with pytest.raises(GraphConnectionError) as info:
            client.get("/domains")
        client.close()
    finally:
        server.close()
    assert len(server.requests) == 3 and len(waits) == 2
    assert "could not be reached" in info.value.message


# -- Journal: a write cut short (disk full) must not swallow the next record ---------------------
