"""The one outbound HTTP path against answers no partner should send, but a hostile or broken one can."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from integrations import http
from orders.partner_errors import PartnerTransientError


@pytest.fixture
def endless_answer() -> Iterator[str]:
    """A server that answers 200 and then streams bytes for as long as the client keeps reading."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 10000000000\r\n\r\n")
            chunk = b"[" + b"0," * 32767
            try:
                while not stop.is_set():
                    connection.sendall(chunk)
            except OSError:
                pass  # the client hung up: what we want

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/status"
    stop.set()
    listener.close()
    thread.join(5)


def test_an_endless_answer_is_read_only_up_to_the_cap(endless_answer, settings):
    # given
    settings.PARTNER_ALLOW_HTTP = True
    settings.PARTNER_RESPONSE_MAX_BYTES = 1024 * 1024
    started = time.monotonic()
    # when
    response, exchange = http.send("POST", endless_answer, json_body={"id": "1"})
    # then: the worker holds at most the cap, and the answer is judged on what was read
    assert time.monotonic() - started < 10
    assert len(response.content) <= 1024 * 1024
    assert exchange.response_status == 200
    assert len(exchange.response_body) < 10_000
    with pytest.raises(PartnerTransientError, match="not JSON"):
        http.json_answer(response, exchange)


@pytest.fixture
def dripping_answer() -> Iterator[str]:
    """A server that answers 200 and then sends one byte every 0.2 s, for up to 5 s."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
            try:
                for _ in range(25):
                    connection.sendall(b" ")
                    time.sleep(0.2)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/status"
    listener.close()
    thread.join(6)


def test_a_body_that_drips_past_the_read_timeout_is_a_timeout(dripping_answer, settings):
    # given
    settings.PARTNER_ALLOW_HTTP = True
    settings.PARTNER_READ_TIMEOUT = 1
    started = time.monotonic()
    # when / then
    with pytest.raises(PartnerTransientError, match="Time-out"):
        http.send("POST", dripping_answer, json_body={"id": "1"})
    assert time.monotonic() - started < 3
