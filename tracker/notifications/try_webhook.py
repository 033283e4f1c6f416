"""See a signed webhook arrive, with `make run` going in another terminal:

    .venv/bin/python -m tracker.notifications.try_webhook [ISO code, default DE]

Starts a receiver on loopback, subscribes it for the partner, asks for a `webhook.test`
delivery and prints what the worker started by `make run` sends, its signature checked.
Leave it running and record a status change in the admin to see that arrive too; Ctrl-C
removes the subscription.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


def main(code: str = "DE") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from standardwebhooks import Webhook

    from tracker.models import PartnerCountry
    from tracker.services.subscriptions import (
        webhook_subscription_create,
        webhook_subscription_delete,
        webhook_subscription_test,
    )

    secret_box: list[str] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            try:
                Webhook(secret_box[0]).verify(body, dict(self.headers))
                verdict = "signature OK"
            except Exception as exc:
                verdict = f"signature NOT valid: {exc}"
            print(f"\n{self.headers['webhook-id']} ({verdict})")
            print(json.dumps(json.loads(body), indent=2, ensure_ascii=False), flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    partner = PartnerCountry.objects.get(code=code.upper())
    subscription, secret = webhook_subscription_create(
        partner=partner,
        url=f"http://127.0.0.1:{server.server_address[1]}/webhook",
        event_types=["*"],
        description="try_webhook",
    )
    secret_box.append(secret)
    print(f"Subscribed {subscription.url} for {partner}; waiting for the worker of `make run`.")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    webhook_subscription_test(subscription=subscription)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        webhook_subscription_delete(subscription=subscription)
        server.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:2])
