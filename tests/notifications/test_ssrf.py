"""Webhook URLs may not point inside the network, at subscription time or at connect time."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_law, make_partner, move
from tests.notifications.marks import committing
from tracker.models import Delivery, DeliveryState
from tracker.notifications import ssrf
from tracker.services.subscriptions import webhook_subscription_create

PUBLIC_ADDRESS = "93.184.215.14"

FORBIDDEN_URLS = [
    "http://127.0.0.1/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.10/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",  # reserved
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]/",
    "http://[2002:7f00:1::]/",  # 6to4 around loopback
    "http://2130706433/",  # decimal integer
    "http://0x7f000001/",  # hex integer
    "http://0177.0.0.1/",  # octal
    "http://127.1/",  # shortened
    "http://0x7f.0.0.1/",
    "http://017700000001/",
]


@pytest.fixture
def strict(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False


@pytest.mark.django_db
@pytest.mark.parametrize("url", FORBIDDEN_URLS)
def test_forbidden_addresses_are_refused_at_subscription(strict, url):
    with pytest.raises(ValidationError) as info:
        webhook_subscription_create(partner=make_partner("DE"), url=url, event_types=["law.*"])
    assert "url" in info.value.message_dict


@pytest.mark.django_db
def test_a_name_resolving_to_a_private_address_is_refused(strict, monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: [PUBLIC_ADDRESS, "10.0.0.7"])
    with pytest.raises(ValidationError, match="private"):
        webhook_subscription_create(
            partner=make_partner("DE"), url="https://hooks.bund.example/", event_types=["*"]
        )


@pytest.mark.django_db
def test_production_requires_https(strict, settings, monkeypatch):
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: [PUBLIC_ADDRESS])
    with pytest.raises(ValidationError, match="https"):
        webhook_subscription_create(
            partner=make_partner("DE"), url="http://hooks.bund.example/", event_types=["*"]
        )
    subscription, _ = webhook_subscription_create(
        partner=make_partner("DE"), url="https://hooks.bund.example/", event_types=["*"]
    )
    assert subscription.pk


def test_public_addresses_pass():
    for address in (PUBLIC_ADDRESS, "8.8.8.8", "2a00:1450:4001:82a::200e"):
        assert ssrf.address_problem(ssrf.ipaddress.ip_address(address), allow_private=False) is None


@committing
def test_a_name_that_later_resolves_to_a_forbidden_address_is_refused_at_connect(
    strict, fake_dns, receiver, inline_tasks
):
    fake_dns("hooks.bund.example", PUBLIC_ADDRESS)
    subscription, _ = webhook_subscription_create(
        partner=make_partner("DE"),
        url=receiver.url(host="hooks.bund.example"),
        event_types=["law.*"],
    )
    # DNS rebinding: the name now points at this machine, where a receiver listens.
    fake_dns("hooks.bund.example", "127.0.0.1")
    move(make_law(), "registered")

    assert receiver.connections == 0
    delivery = Delivery.objects.filter(subscription=subscription).last()
    assert delivery.state == DeliveryState.PENDING
    assert "Refused to connect" in delivery.last_error
    assert "loopback" in delivery.last_error
    assert "127.0.0.1" not in delivery.last_error


@committing
def test_the_metadata_address_is_refused_at_connect_even_where_private_ones_are_allowed(
    fake_dns, inline_tasks, settings
):
    assert settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS
    fake_dns("hooks.bund.example", PUBLIC_ADDRESS)
    subscription, _ = webhook_subscription_create(
        partner=make_partner("DE"), url="http://hooks.bund.example/in", event_types=["law.*"]
    )
    fake_dns("hooks.bund.example", "169.254.169.254")
    move(make_law(), "registered")

    delivery = Delivery.objects.filter(subscription=subscription).last()
    assert delivery.state == DeliveryState.PENDING
    assert "metadata" in delivery.last_error
    assert "169.254" not in delivery.last_error


@committing
def test_the_connection_keeps_the_original_host(receiver, fake_dns, inline_tasks):
    fake_dns("hooks.bund.example", "127.0.0.1")
    webhook_subscription_create(
        partner=make_partner("DE"),
        url=receiver.url(host="hooks.bund.example"),
        event_types=["law.status_changed"],
    )
    move(make_law(), "registered")
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["host"] == f"hooks.bund.example:{receiver.port}"


@pytest.fixture
def https_receiver(tmp_path):
    """An https receiver on loopback with a certificate for hooks.bund.example only."""
    import shutil
    import ssl
    import subprocess
    from http.server import ThreadingHTTPServer

    from .receiver import Receiver, handler_for, serve

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed; cannot make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=hooks.bund.example", "-addext", "subjectAltName=DNS:hooks.bund.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    recv = Receiver()
    server_names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(recv))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    recv.server_names = server_names
    recv.cert = cert
    serve(recv, server)
    yield recv
    server.shutdown()
    server.server_close()


@committing
def test_https_checks_sni_and_the_certificate_against_the_host_name(
    https_receiver, fake_dns, inline_tasks, settings
):
    settings.WEBHOOKS_CA_BUNDLE = str(https_receiver.cert)
    fake_dns("hooks.bund.example", "127.0.0.1")
    fake_dns("other.bund.example", "127.0.0.1")
    germany = make_partner("DE")
    good, _ = webhook_subscription_create(
        partner=germany,
        url=f"https://hooks.bund.example:{https_receiver.port}/in",
        event_types=["law.status_changed"],
    )
    # Same address, a name the certificate does not cover: refused by the TLS check.
    wrong, _ = webhook_subscription_create(
        partner=germany,
        url=f"https://other.bund.example:{https_receiver.port}/in",
        event_types=["law.status_changed"],
    )
    move(make_law(), "registered")

    assert len(https_receiver.requests) == 1
    assert "hooks.bund.example" in https_receiver.server_names
    assert "other.bund.example" in https_receiver.server_names
    assert Delivery.objects.get(subscription=good).state == DeliveryState.SUCCEEDED
    refused = Delivery.objects.get(subscription=wrong)
    assert refused.state == DeliveryState.PENDING
    assert refused.last_error == "Connection failed: TLS error (certificate not accepted)."


# --- Ports and what last_error tells -----------------------------------------------------------


@committing
def test_a_port_no_longer_allowed_is_refused_at_send_time(receiver, inline_tasks, settings):
    """The suite's settings allow the receiver's random port; narrowed back to the default,
    the next attempt is refused before any connection, and the partner is told why."""
    subscription, _ = webhook_subscription_create(
        partner=make_partner("DE"), url=receiver.url(), event_types=["law.*"]
    )
    settings.WEBHOOKS_ALLOWED_PORTS = ["443", "80"]
    move(make_law(), "registered")

    assert receiver.connections == 0
    delivery = Delivery.objects.filter(subscription=subscription).last()
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_error == (
        f"Refused to connect: Webhook URLs may use port 443 or 80 only, not {receiver.port}."
    )


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@committing
def test_last_error_names_the_kind_of_failure_never_the_address(receiver, fake_dns, inline_tasks):
    germany = make_partner("DE")
    fake_dns("closed.bund.example", "127.0.0.1")
    fake_dns("failing.bund.example", "127.0.0.1")
    closed, _ = webhook_subscription_create(
        partner=germany,
        url=f"http://closed.bund.example:{_free_port()}/in",
        event_types=["law.*"],
    )
    receiver.default_status = 500
    failing, _ = webhook_subscription_create(
        partner=germany,
        url=receiver.url(host="failing.bund.example"),
        event_types=["law.*"],
    )
    move(make_law(), "registered")

    refused = Delivery.objects.filter(subscription=closed).last()
    assert refused.last_error == "Connection failed: connection refused."
    answered = Delivery.objects.filter(subscription=failing).last()
    assert answered.last_error == "The endpoint answered 500."
    assert answered.last_status_code == 500
