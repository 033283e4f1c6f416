"""Keep webhooks from reaching inside our own network.

A URL is checked when a partner subscribes it (every address its host resolves to), and
again at every attempt on each address curl is about to connect to (`connect_problem`, from
`wire`'s socket callback), so a DNS answer that changes between the two (DNS rebinding)
gains nothing. Through an egress proxy, `wire` resolves and checks the target itself and
opens the tunnel to the checked address.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services; refused even where private targets are allowed.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
# "127.1", "0x7f.1", "017700000001", "2130706433": forms inet_aton accepts for 127.0.0.1.
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)
OCTET = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
DOTTED_QUAD = re.compile(rf"^{OCTET}(\.{OCTET}){{3}}$")


class ForbiddenTarget(ValueError):
    """The URL or the address its host resolves to may not receive webhooks."""


def address_problem(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why `ip` may not receive a webhook (what kind of address it is, never the address
    itself: the text reaches partners), or None if it may."""
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address (give the IPv4 address)"
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and (problem := address_problem(embedded, allow_private=False)):
            return f"an IPv6 address around {problem}"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if allow_private and (ip.is_loopback or ip.is_private or ip in CGNAT):
        return None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT:
        return "a carrier-grade NAT address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private or not ip.is_global:
        return "a private or non-routable address"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address `host` spells directly, or None for a name. Odd numeric forms are refused."""
    host = host.strip("[]")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            raise ForbiddenTarget(f"'{host}' is not a valid IPv6 address.") from None
    if NUMERIC_HOST.match(host):
        if not DOTTED_QUAD.match(host):
            raise ForbiddenTarget(
                f"'{host}' is a numeric host in an unusual form (octal, hex, integer or "
                "shortened); give a host name or a plain dotted IPv4 address."
            )
        return ipaddress.IPv4Address(host)
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the one seam tests replace)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


@functools.lru_cache(maxsize=4096)
def _literal(host: str) -> tuple[str | None, str | None]:
    """`literal_address` as (address, None) or (None, why it is refused), remembered."""
    try:
        literal = literal_address(host)
    except ForbiddenTarget as exc:
        return None, str(exc)
    return (str(literal) if literal is not None else None), None


@functools.lru_cache(maxsize=4096)
def _address_problem(address: str, allow_private: bool) -> str | None:
    """`address_problem` of an address as text (a scope id is ignored), remembered."""
    return address_problem(ipaddress.ip_address(address.split("%")[0]), allow_private=allow_private)


def connect_problem(address: str, *, allow_private: bool | None = None) -> str | None:
    """Why a connection to the IP `address` is refused, or None if it may go ahead."""
    if allow_private is None:
        allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS
    try:
        return _address_problem(address, bool(allow_private))
    except ValueError:
        return f"{address!r} is not an IP address"


def allowed_addresses(host: str, port: int, *, allow_private: bool | None = None) -> list[str]:
    """Resolve `host` and return its addresses, refusing if any one of them is forbidden.

    A name is resolved at every call; only the verdicts on literal addresses, which never
    change, are remembered.
    """
    if allow_private is None:
        allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS
    literal, refused = _literal(host)
    if refused:
        raise ForbiddenTarget(refused)
    if literal is not None:
        addresses = [literal]
    else:
        if not allow_private and (host == "localhost" or host.endswith(".localhost")):
            raise ForbiddenTarget(f"'{host}' is a loopback name.")
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise ForbiddenTarget(f"'{host}' does not resolve: {exc}.") from None
        if not addresses:
            raise ForbiddenTarget(f"'{host}' does not resolve.")
    for address in addresses:
        problem = _address_problem(address, bool(allow_private))
        if problem:
            raise ForbiddenTarget(f"'{host}' resolves to a forbidden address: {problem}.")
    return addresses


def check_url(url: str) -> None:
    """Raise ForbiddenTarget with a message for the partner if `url` may not be subscribed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ForbiddenTarget(f"The URL is malformed: {exc}.") from None
    schemes = ("https",) if settings.WEBHOOKS_REQUIRE_HTTPS else ("https", "http")
    if parts.scheme not in schemes:
        raise ForbiddenTarget(f"Webhook URLs must use {' or '.join(schemes)}.")
    if not parts.hostname:
        raise ForbiddenTarget("The URL has no host.")
    if parts.username or parts.password:
        raise ForbiddenTarget("Put no credentials in the URL; verify the signature instead.")
    default_port = 443 if parts.scheme == "https" else 80
    if problem := port_problem(port or default_port):
        raise ForbiddenTarget(problem)
    allowed_addresses(parts.hostname, port or default_port)


@functools.lru_cache(maxsize=16)
def _port_ranges(allowed: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    ranges = []
    for item in allowed:
        low, _, high = str(item).partition("-")
        try:
            ranges.append((int(low), int(high or low)))
        except ValueError:
            raise ImproperlyConfigured(
                f"WEBHOOKS_ALLOWED_PORTS: {item!r} is neither a port nor a range like 8000-8999."
            ) from None
    return tuple(ranges)


def port_problem(port: int) -> str | None:
    """Why a webhook may not go to `port` (WEBHOOKS_ALLOWED_PORTS), or None if it may."""
    allowed = tuple(str(item) for item in settings.WEBHOOKS_ALLOWED_PORTS)
    if any(low <= port <= high for low, high in _port_ranges(allowed)):
        return None
    return f"Webhook URLs may use port {' or '.join(allowed)} only, not {port}."


def url_port_problem(url: str) -> str | None:
    """`port_problem` of the port `url` names (or its scheme's default)."""
    port = _port_of(url)
    return "The URL is malformed." if port is None else port_problem(port)


@functools.lru_cache(maxsize=4096)
def _port_of(url: str) -> int | None:
    # Every delivery asks; a subscription's URL does not change between them.
    try:
        parts = urlsplit(url)
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
