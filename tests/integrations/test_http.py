"""The one outbound HTTP path: answers no partner should send (but a hostile or broken one can), and its
shared session, sized for the sending threads and reading the environment once."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from requests.adapters import HTTPAdapter

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


def test_the_shared_session_keeps_a_connection_for_each_sending_thread(settings):
    # given
    settings.DELIVERY_SEND_THREADS = 40
    # when
    adapter = http.session_make().get_adapter("https://partner.example/")
    # then: every thread sending at once gets a kept-alive connection back to the pool
    assert isinstance(adapter, HTTPAdapter)
    assert adapter._pool_maxsize >= 40
    assert adapter.max_retries.total == 0


def test_without_proxies_or_bundles_in_the_environment_none_is_read_on_each_call(monkeypatch, tmp_path):
    # given: nothing requests would take from the environment
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # and no ~/.netrc
    monkeypatch.delenv("NETRC", raising=False)
    # then: requests does not look at it again on every call
    assert http.session_make().trust_env is False


def test_a_proxy_in_the_environment_is_honoured(monkeypatch):
    # given
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    # then
    assert http.session_make().trust_env is True


def test_a_ca_bundle_in_the_environment_is_taken_once(monkeypatch, tmp_path):
    # given
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NETRC", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    # when
    session = http.session_make()
    # then: verified against it, as requests would on each call
    assert (session.verify, session.trust_env) == (str(tmp_path / "ca.pem"), False)
