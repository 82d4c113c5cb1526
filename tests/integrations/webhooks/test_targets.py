"""The SSRF guard: no subscriber URL may lead the hub into its own network unless that is allowed."""

from __future__ import annotations

import pytest

from integrations.webhooks.targets import TargetRefusedError, address_allowed, guarded_session, url_problem


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.5", "192.168.1.10", "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "ff02::1", "::",
])
def test_internal_addresses_are_refused(address):
    assert not address_allowed(address)


@pytest.mark.parametrize("address", [
    "64:ff9b::a00:1",  # NAT64 (an IPv6-only network's gateway) to 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 to 169.254.169.254
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
    "::a00:1",  # IPv4-compatible 10.0.0.1 (deprecated)
    "::5db8:d70e",  # IPv4-compatible, even of a public address: no network routes it as such
    "fec0::1",  # site-local (deprecated, still routed inside some networks)
])
def test_ipv6_addresses_that_carry_an_internal_ipv4_address_are_refused(address):
    assert not address_allowed(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8",
                                     "64:ff9b::5db8:d70e", "2002:5db8:d70e::1"])
def test_public_addresses_are_allowed(address):
    assert address_allowed(address)


@pytest.mark.parametrize(("url", "says"), [
    ("https://127.0.0.1/hook", "internal address"),
    ("https://localhost:8443/hook", "internal address"),
    ("https://[::1]/hook", "internal address"),
    ("https://169.254.169.254/latest/meta-data/", "internal address"),
    ("https://10.0.0.7/hook", "internal address"),
    ("https://[::ffff:192.168.0.1]/hook", "internal address"),
    ("http://93.184.215.14/hook", "https://"),
    ("ftp://93.184.215.14/hook", "full https:// URL"),
    ("https:///hook", "full https:// URL"),
    ("https://93.184.215.14:99999/hook", "valid URL"),
    ("https://no-such-host.invalid/hook", "cannot be resolved"),
    # requests connects to 127.0.0.1 (a backslash ends the host for it) where urlsplit reads 93.184.215.14
    ("https://127.0.0.1\\@93.184.215.14/hook", "valid URL"),
    ("https://127.0.0.1\t@93.184.215.14/hook", "valid URL"),
    ("https://[64:ff9b::7f00:1]/hook", "internal address"),
])
def test_a_url_to_an_internal_or_unsafe_target_is_refused(url, says):
    # when
    problem = url_problem(url, allow_private=False)
    # then
    assert problem is not None
    assert says in problem


def test_a_public_https_url_is_taken():
    assert url_problem("https://93.184.215.14/hooks/orders?key=1", allow_private=False) is None


def test_the_allowance_takes_loopback_and_plain_http():
    assert url_problem("http://127.0.0.1:8000/sandbox/subscriber/1/", allow_private=True) is None


def test_a_connection_that_reaches_loopback_is_refused_before_anything_is_sent(httpserver):
    # given: a name that leads to loopback (as a DNS answer changed after the URL was saved would)
    httpserver.expect_request("/hook").respond_with_data("taken")
    url = f"http://localhost:{httpserver.port}/hook"
    # when / then
    with pytest.raises(TargetRefusedError, match="internal address"):
        guarded_session().post(url, data=b"{}", timeout=2)
    assert httpserver.log == []



def test_the_subscribers_session_keeps_a_connection_for_each_sending_thread(settings):
    # given: a worker sends up to DELIVERY_SEND_THREADS requests at once, all to one subscriber perhaps
    from requests.adapters import HTTPAdapter

    # when
    adapter = guarded_session().get_adapter("https://subscriber.example/")
    # then: each goes back to the pool for the next request, none is dropped
    assert isinstance(adapter, HTTPAdapter)
    assert adapter._pool_maxsize >= settings.DELIVERY_SEND_THREADS
