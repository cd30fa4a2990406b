"""Which webhook URLs the server may call (SSRF): an absolute https URL without credentials whose host resolves only
to public addresses. A receiver on the server's own network (loopback, private ranges, a cloud metadata address)
would let any user make the server send requests where they cannot. The Go delivery worker checks the addresses
again when it connects (a name may resolve differently later); WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true turns both
checks off, for local development and tests, and also allows plain http."""

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from django.core.exceptions import ValidationError

from webhooks.error_codes import INVALID_URL

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Python's is_global leaves these out on some versions: checked explicitly, so the rule does not depend on one.
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # an IPv4 address in the last 32 bits (RFC 6052)


def _invalid(message: str) -> ValidationError:
    return ValidationError({"url": ValidationError(message, code=INVALID_URL)})


def non_public_reason(address: IPAddress) -> str | None:
    """Why the server must not call this address ("loopback", "private", ...), or None for a public one. IPv6 forms
    that carry an IPv4 address (mapped ::ffff:a.b.c.d, NAT64, 6to4) are judged by that address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return non_public_reason(embedded)
    checks = (
        (address.is_unspecified or address in _THIS_NETWORK, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address in _SHARED, "shared (carrier-grade NAT)"),
        (address.is_multicast, "multicast"),
        (address.is_reserved, "reserved"),
        (address in _UNIQUE_LOCAL or address.is_private, "private"),
        (not address.is_global, "not globally routable"),
    )
    return next((reason for refused, reason in checks if refused), None)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal resolves to itself); ValueError when it resolves to none."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ValueError(f'The host "{host}" does not resolve.') from error
    # A scoped IPv6 address ("fe80::1%eth0") carries its zone after "%".
    return [ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]) for *_, sockaddr in answers]


def clean_webhook_url(raw: object, *, allow_private: bool) -> str:
    """A URL the server may deliver to, trimmed; INVALID_URL on `url` otherwise (see the module's docstring)."""
    if not isinstance(raw, str):
        raise _invalid("Must be a string.")
    url = raw.strip()
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"Must be at most {MAX_URL_LENGTH} characters (got {len(url)}).")
    if any(character.isspace() or not character.isprintable() for character in url):
        raise _invalid("Must not contain spaces or control characters.")
    parts = _split(url)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise _invalid(f"Must be an absolute {' or '.join(schemes)} URL (got {url[:100]!r}).")
    if parts.username is not None or parts.password is not None:
        raise _invalid("Must not contain credentials (user:password@); authenticate receivers by the signature.")
    if not allow_private:
        _refuse_non_public(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    return url


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        raise _invalid("Not a valid URL.") from None
    return parts


def _refuse_non_public(host: str, port: int) -> None:
    try:
        addresses = resolve(host, port)
    except ValueError as error:
        raise _invalid(str(error)) from None
    for address in addresses:
        reason = non_public_reason(address)
        if reason is not None:
            raise _invalid(
                f'The host "{host}" resolves to {address}, a {reason} address: webhooks are delivered to public '
                "addresses only."
            )
