"""Which webhook URLs the server may call (SSRF): every non-public range is refused, also in IPv6 forms that carry
an IPv4 address; hosts are judged by every address they resolve to. IP literals only: tests have no outside DNS."""

import ipaddress

import pytest
from django.core.exceptions import ValidationError

from webhooks.addresses import clean_webhook_url, non_public_reason

REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.254": "private",
    "192.168.1.1": "private",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "169.254.169.254": "link-local",  # the cloud metadata address
    "fe80::1": "link-local",
    "100.64.0.1": "shared (carrier-grade NAT)",
    "100.127.255.254": "shared (carrier-grade NAT)",
    "0.0.0.0": "unspecified",
    "0.1.2.3": "unspecified",
    "::": "unspecified",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",  # broadcast, inside 240.0.0.0/4
    "192.0.2.1": "private",  # documentation ranges are not routable either
    "2001:db8::1": "private",
    # IPv6 forms of IPv4 addresses are judged by the IPv4 address.
    "::ffff:127.0.0.1": "loopback",
    "::ffff:10.0.0.1": "private",
    "::ffff:169.254.169.254": "link-local",
    "::ffff:100.64.0.1": "shared (carrier-grade NAT)",
    "64:ff9b::a00:1": "private",  # NAT64 of 10.0.0.1
    "2002:7f00:1::1": "loopback",  # 6to4 of 127.0.0.1
}
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "100.128.0.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("address", "reason"), REFUSED.items())
def test_non_public_addresses_are_refused_with_their_reason(address: str, reason: str) -> None:
    assert non_public_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert non_public_reason(ipaddress.ip_address(address)) is None


def refusal(url: object, *, allow_private: bool = False) -> str:
    """The one INVALID_URL message for `url`."""
    with pytest.raises(ValidationError) as refused:
        clean_webhook_url(url, allow_private=allow_private)
    [error] = refused.value.error_dict["url"]
    assert error.code == "INVALID_URL"
    return error.message


def test_a_public_https_url_is_kept_trimmed() -> None:
    assert clean_webhook_url("  https://93.184.216.34:8443/hooks?x=1 ", allow_private=False) == (
        "https://93.184.216.34:8443/hooks?x=1"
    )
    assert clean_webhook_url("https://[2606:4700:4700::1111]/in", allow_private=False) == (
        "https://[2606:4700:4700::1111]/in"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/relative/path",
        "93.184.216.34/hooks",
        "ftp://93.184.216.34/x",
        "http://93.184.216.34/plain-http",  # plain http only with WEBHOOK_ALLOW_PRIVATE_ADDRESSES
        "https://",
        "https:///path-only",
        "javascript:alert(1)",
    ],
)
def test_only_absolute_https_urls(url: str) -> None:
    assert refusal(url).startswith("Must be an absolute https URL")


def test_plain_http_is_allowed_with_private_addresses() -> None:
    assert clean_webhook_url("http://127.0.0.1:9000/in", allow_private=True) == "http://127.0.0.1:9000/in"
    assert refusal("ftp://127.0.0.1/in", allow_private=True).startswith("Must be an absolute https or http URL")


@pytest.mark.parametrize("url", ["https://user:pass@93.184.216.34/", "https://token@93.184.216.34/"])
def test_credentials_are_refused(url: str) -> None:
    assert "credentials" in refusal(url)
    assert "credentials" in refusal(url, allow_private=True)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://93.184.216.34/" + "a" * 1979, "Must be at most 2000 characters (got 2001)."),
        ("https://93.184.216.34/a b", "Must not contain spaces or control characters."),
        ("https://93.184.216.34/a\nb", "Must not contain spaces or control characters."),
        ("https://93.184.216.34:99999/", "Not a valid URL."),
        ("https://[::1/", "Not a valid URL."),
        (42, "Must be a string."),
    ],
)
def test_malformed_urls(url: object, problem: str) -> None:
    assert refusal(url) == problem


def test_the_longest_url_is_2000_characters() -> None:
    url = "https://93.184.216.34/" + "a" * 1978
    assert clean_webhook_url(url, allow_private=False) == url


@pytest.mark.parametrize(
    ("url", "address", "reason"),
    [
        ("https://127.0.0.1/", "127.0.0.1", "loopback"),
        ("https://localhost:8443/in", "127.0.0.1", "loopback"),
        ("https://10.0.0.5/", "10.0.0.5", "private"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local"),
        ("https://100.64.1.1/", "100.64.1.1", "shared (carrier-grade NAT)"),
        ("https://[fd00::1]/", "fd00::1", "private"),
        ("https://[::ffff:127.0.0.1]/", "::ffff:7f00:1", "loopback"),
        ("https://0x7f.1/", "127.0.0.1", "loopback"),  # the resolver reads odd IPv4 spellings: judged as resolved
        ("https://2130706433/", "127.0.0.1", "loopback"),
    ],
)
def test_hosts_resolving_to_non_public_addresses_are_refused(url: str, address: str, reason: str) -> None:
    host = url.split("/")[2].rsplit(":", 1)[0] if not url.startswith("https://[") else url.split("[")[1].split("]")[0]
    assert refusal(url) == (
        f'The host "{host}" resolves to {address}, a {reason} address: webhooks are delivered to public addresses only.'
    )
    assert clean_webhook_url(url, allow_private=True) == url


def test_a_host_that_does_not_resolve_is_refused() -> None:
    assert refusal("https://nothing-here.invalid/hook") == 'The host "nothing-here.invalid" does not resolve.'


def test_every_resolved_address_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name with one public and one private address (DNS rebinding's first half) is refused."""
    answers = [(2, 1, 6, "", ("93.184.216.34", 443)), (2, 1, 6, "", ("10.0.0.1", 443))]
    monkeypatch.setattr("socket.getaddrinfo", lambda *args, **kwargs: answers)
    assert refusal("https://rebind.example/") == (
        'The host "rebind.example" resolves to 10.0.0.1, a private address: webhooks are delivered to public '
        "addresses only."
    )
