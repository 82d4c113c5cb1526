"""The one outbound path's shared session: sized for the sending threads, and no environment read per call."""

from __future__ import annotations

from integrations import http


def test_the_shared_session_keeps_a_connection_for_each_sending_thread(settings):
    # given
    settings.DELIVERY_SEND_THREADS = 40
    # when
    adapter = http.session_make().get_adapter("https://partner.example/")
    # then: every thread sending at once gets a kept-alive connection back to the pool
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
